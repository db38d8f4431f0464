/**
 * `npm run bridge -- export messages|conversations|journal --from <time> [--to <time>]
 * [--format ndjson|csv] [--out <file>] [--bom] [--json]`: the rows of a time range from the
 * store the configuration names, as NDJSON or CSV (docs/exports.md; the admin API's
 * `GET /admin/export/:kind` gives the same bytes). Written as it is read, in bounded memory
 * (src/hooks/export-stream.ts). Personal data masked by the configured `privacy` policy.
 *
 * With --out the file appears only when complete: the text goes to `<file>.partial`, renamed
 * at the end (removed if the export fails). The rows are counted first, for the progress on
 * stderr: a bar on a terminal, plain lines with the percentage otherwise. --json prints the
 * summary as one JSON object (on stdout with --out; on stderr when stdout carries the export).
 *
 * `npm run bridge -- export views [--sql]`: creates or replaces the SQL views for BI tools
 * under the configured policy (src/store/bi-views.ts); --sql prints their SQL instead.
 *
 * Exit 0: done (also when the range is empty); 1: the export failed half-way (nothing is left
 * at --out); 2: bad usage or a configuration error (nothing is opened or written).
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { nearestName } from '../config/nearest-name.ts';
import type { BridgeConfigData as BridgeConfig } from '../config/schema.ts';
import { exportBytes } from '../hooks/export-stream.ts';
import { EXPORT_KINDS, EXPORT_PARAMETERS, parseExportRequest, type ExportRequest } from '../hooks/export-query.ts';
import { privacyHashKey } from '../journal/hash-key.ts';
import { createMasker, type Masker } from '../journal/masking.ts';
import { BI_VIEW_NAMES } from '../store/bi-views.ts';
import type { Store } from '../store/open-store.ts';
import { openCliStore } from './cli-store.ts';
import { startProgress } from './progress.ts';

export const EXPORT_USAGE = [
  'Использование / usage:',
  '  npm run bridge -- export messages|conversations|journal --from <time> [--to <time>] [--format ndjson|csv] [--out <file>] [--bom] [--json]',
  '    строки за период как NDJSON или CSV, персональные данные — по политике privacy / the rows of a time range as NDJSON or CSV,',
  '    personal data masked by the privacy policy (docs/exports.md)',
  '  npm run bridge -- export views [--sql]',
  '    создать или обновить SQL-представления для BI (bi_conversations, bi_messages, bi_journal); --sql — только показать SQL',
  '    / create or replace the SQL views for BI tools; --sql prints their SQL instead',
  '',
  'Параметры / options:',
  `  --from     ${EXPORT_PARAMETERS.from}`,
  `  --to       ${EXPORT_PARAMETERS.to}`,
  `  --format   ${EXPORT_PARAMETERS.format}`,
  '  --out      файл; без него — в stdout / a file; without it, stdout',
  '  --bom      UTF-8 BOM первым символом (CSV для Excel) / a UTF-8 byte order mark first (CSV for Excel)',
  '  --json     итог одним JSON-объектом / the summary as one JSON object',
  '',
  'Exit 0: done; 1: the export failed half-way (nothing left at --out); 2: usage or configuration.',
].join('\n');

function fail(message: string): number {
  console.error(`export: ${message}\n\n${EXPORT_USAGE}`);
  return 2;
}

/** The journal's masker, as the bridge makes it (src/runtime/start-bridge.ts), from the same key. */
function maskerOf(config: BridgeConfig): Masker {
  return createMasker(config.privacy, privacyHashKey(config.security.secret_key ?? process.env.BRIDGE_SECRET_KEY));
}

/** Where --out may be written: its folder exists, and it is not a folder itself. */
function outProblem(out: string): string | null {
  const path = resolve(out);
  if (existsSync(path) && statSync(path).isDirectory()) return `--out "${out}" is a folder; fix: give a file name, e.g. --out ${out.replace(/\/$/, '')}/export.ndjson`;
  if (!existsSync(dirname(path))) return `--out: the folder ${dirname(path)} does not exist; fix: create it first or write the file elsewhere`;
  return null;
}

async function views(store: Store, masker: Masker, sqlOnly: boolean): Promise<number> {
  if (sqlOnly) {
    for (const statement of store.exports.viewStatements(masker.policy)) console.log(statement);
    return 0;
  }
  await store.exports.replaceViews(masker.policy);
  const policy = Object.entries(masker.policy).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`Представления обновлены / views replaced: ${BI_VIEW_NAMES.join(', ')} (privacy: ${policy}; docs/exports.md)`);
  return 0;
}

interface Summary {
  kind: string;
  format: string;
  from: string;
  to: string;
  rows: number;
  bytes: number;
  out: string | null;
  duration_ms: number;
}

/** Writes the export to `out` (via `<out>.partial`) or to stdout, with progress on stderr. */
async function write(store: Store, masker: Masker, request: ExportRequest, out: string | undefined): Promise<Omit<Summary, 'kind' | 'format' | 'from' | 'to' | 'out' | 'duration_ms'>> {
  const total = await store.exports.count(request.kind, request);
  const progress = startProgress({ label: `выгрузка / export ${request.kind}`, total });
  let seen = 0;
  let bytes = 0;
  const chunks = exportBytes(store, masker, request, {
    onRows: (rows) => {
      progress.setTotal(Math.max(total, rows));
      progress.advance(rows - seen, `${total > 0 ? Math.min(100, Math.floor((rows / total) * 100)) : 100}%`);
      seen = rows;
    },
  });
  async function* counted() {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      yield chunk;
    }
  }
  try {
    if (out === undefined) {
      // A reader that stops early (`| head`) closes the pipe: the export stops there, quietly.
      let closed = false;
      const onClosed = () => {
        closed = true;
      };
      process.stdout.on('error', onClosed);
      try {
        for await (const chunk of counted()) {
          if (!process.stdout.write(chunk)) await Promise.race([once(process.stdout, 'drain'), once(process.stdout, 'close')]).catch(() => undefined);
          if (closed) break;
        }
      } finally {
        process.stdout.off('error', onClosed);
      }
    } else {
      const partial = `${out}.partial`;
      try {
        await pipeline(Readable.from(counted()), createWriteStream(partial));
        renameSync(partial, out);
      } catch (err) {
        rmSync(partial, { force: true });
        throw err;
      }
    }
  } finally {
    progress.stop();
  }
  return { rows: seen, bytes };
}

export async function exportCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: {
        from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' },
        bom: { type: 'boolean' }, json: { type: 'boolean' }, sql: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(EXPORT_USAGE);
    return 0;
  }
  const [kind, ...extra] = positionals;
  if (extra.length > 0) return fail(`one kind at a time; fix: drop "${extra.join(' ')}"`);
  if (kind === undefined) return fail(`what to export? fix: one of ${[...EXPORT_KINDS, 'views'].join(', ')}`);
  if (kind === 'views') {
    const other = (['from', 'to', 'format', 'out', 'bom', 'json'] as const).filter((k) => values[k] !== undefined);
    if (other.length > 0) return fail(`export views takes only --sql; fix: drop --${other.join(', --')}`);
  } else if (values.sql) {
    return fail('--sql is for export views');
  }
  if (kind !== 'views' && !(EXPORT_KINDS as readonly string[]).includes(kind)) {
    const near = nearestName(kind, [...EXPORT_KINDS, 'views']);
    return fail(`unknown kind "${kind}"; fix: ${near ? `did you mean "${near}"?` : `one of ${[...EXPORT_KINDS, 'views'].join(', ')}`}`);
  }
  let request: ExportRequest | undefined;
  if (kind !== 'views') {
    const result = parseExportRequest({ kind, from: values.from, to: values.to, format: values.format, bom: values.bom ? '1' : '0' }, Date.now());
    if (!result.ok) return fail(result.problems.map((p) => p.replace(/^(from|to|format|bom)\b/, '--$1')).join('; '));
    request = result.request;
    const problem = values.out === undefined ? null : outProblem(values.out);
    if (problem) return fail(problem);
  }
  const opened = await openCliStore('export');
  if (!opened.ok) return opened.exitCode;
  const masker = maskerOf(opened.config);
  const startedMs = Date.now();
  try {
    if (request === undefined) return await views(opened.store, masker, values.sql === true);
    const written = await write(opened.store, masker, request, values.out);
    const summary: Summary = {
      kind: request.kind, format: request.format, from: new Date(request.fromMs).toISOString(), to: new Date(request.toMs).toISOString(),
      ...written, out: values.out ?? null, duration_ms: Date.now() - startedMs,
    };
    if (values.json) (values.out === undefined ? console.error : console.log)(JSON.stringify(summary));
    else console.error(`${values.out ? `Записано / written: ${values.out}` : 'Выгружено / exported'} — ${summary.rows} строк / rows, ${summary.bytes} байт / bytes, ${(summary.duration_ms / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    console.error(`export: выгрузка прервана / the export failed: ${err instanceof Error ? err.message : String(err)}${values.out ? `; ${values.out} не записан / not written` : ''}; fix: run it again (nothing was changed in the store)`);
    return 1;
  } finally {
    await opened.store.close();
  }
}
