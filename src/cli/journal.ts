/**
 * `npm run bridge -- journal search [filters] [--json]` and
 * `npm run bridge -- journal export <conversation id> [--format html|json] [--out <file>] [--lang ru|en]`:
 * the journal of the store the configuration names (as the admin API's `GET /admin/journal`
 * and `GET /admin/conversations/:id/trail`). Exit 0: done (also when nothing matched);
 * 1: the conversation has no trail; 2: bad usage or a configuration error.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadTrailInput } from '../bridge/trail-source.ts';
import { systemClock } from '../domain/clock.ts';
import { parseConversationId } from '../domain/ids.ts';
import { JOURNAL_FILTERS, parseJournalQuery } from '../journal/journal-query.ts';
import { buildTrail } from '../journal/trail.ts';
import { renderTrailHtml } from '../journal/trail-html.ts';
import type { JournalRow } from '../store/repos/journal-repo.ts';
import { openCliStore } from './cli-store.ts';
import { startProgress } from './progress.ts';

export const JOURNAL_USAGE = [
  'Использование / usage:',
  '  npm run bridge -- journal search [--client <MAX user id>] [--chat <id>] [--conversation <bot:chat>] [--message <id>]',
  '      [--portal <id>] [--line <portal:line>] [--bot <id>] [--side max|bitrix24|hook|admin] [--direction in|out]',
  '      [--from <time>] [--to <time>] [--status ok|failed|<code>] [--code <error code>] [--text <words>] [--limit N] [--before <id>] [--json]',
  '    строки журнала, новые первыми / journal rows, newest first; --json: one JSON object per line with the bodies',
  '  npm run bridge -- journal export <conversation id> [--format html|json] [--out <file>] [--lang ru|en]',
  '    весь путь диалога для спора: HTML-страница (по умолчанию) или JSON / one conversation\'s whole trail for a dispute',
  '',
  'Фильтры / filters:',
  ...Object.entries(JOURNAL_FILTERS).map(([name, what]) => `  --${name.padEnd(13)}${what}`),
].join('\n');

function fail(message: string): number {
  console.error(`journal: ${message}\n\n${JOURNAL_USAGE}`);
  return 2;
}

function lineOf(r: JournalRow): string {
  const ids = [r.conversationId ?? (r.refs.length > 0 ? `${r.refs.length} conversations` : ''), r.messageId ?? '', r.jobId ? `job ${r.jobId}` : ''].filter(Boolean).join(' ');
  return [String(r.id).padStart(8), new Date(r.atMs).toISOString(), r.side.padEnd(8), r.direction.padEnd(3), r.endpoint.padEnd(32),
    String(r.status ?? '—').padStart(3), `${r.durationMs} ms`.padStart(8), r.errorCode ?? '', ids].join('  ');
}

async function search(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: false, strict: true,
      options: { ...Object.fromEntries(Object.keys(JOURNAL_FILTERS).map((k) => [k, { type: 'string' as const }])), json: { type: 'boolean' } },
    });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const { json, ...filters } = parsed.values as Record<string, string | boolean | undefined>;
  const query = parseJournalQuery(filters as Record<string, string | undefined>);
  if (!query.ok) return fail(query.problems.join('; '));
  const opened = await openCliStore('journal');
  if (!opened.ok) return opened.exitCode;
  try {
    const page = await opened.store.journal.search(query.query);
    for (const r of page.rows) console.log(json ? JSON.stringify(r) : lineOf(r));
    if (!json) console.error(page.rows.length === 0 ? 'Ничего не найдено / nothing matched' : `${page.rows.length} строк / rows${page.nextBefore !== null ? `; дальше / next page: --before ${page.nextBefore}` : ''}`);
    return 0;
  } finally {
    await opened.store.close();
  }
}

async function exportTrail(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { format: { type: 'string' }, out: { type: 'string' }, lang: { type: 'string' } } });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const [given, ...extra] = parsed.positionals;
  if (given === undefined || extra.length > 0) return fail('нужен один id диалога / one conversation id is needed, e.g. sales:90000001');
  const id = parseConversationId(given);
  if (id === null) return fail(`"${given}" не id диалога / is not a conversation id; fix: write <bot id>:<MAX chat id>, e.g. sales:90000001`);
  const format = parsed.values.format ?? 'html';
  if (format !== 'html' && format !== 'json') return fail('--format is html or json');
  const lang = parsed.values.lang ?? 'ru';
  if (lang !== 'ru' && lang !== 'en') return fail('--lang is ru or en');
  const opened = await openCliStore('journal');
  if (!opened.ok) return opened.exitCode;
  const progress = startProgress({ label: 'журнал / journal', total: 0 });
  try {
    let seen = 0;
    const input = await loadTrailInput(opened.store, id, {
      exportedAtMs: systemClock.nowMs(), exportedBy: `CLI (${process.env.USER ?? 'unknown user'})`, policy: opened.config.privacy,
      onRows: (count) => {
        progress.setTotal(count);
        progress.advance(count - seen, 'rows');
        seen = count;
      },
    });
    progress.stop();
    if (!input) {
      console.error(`journal: диалога ${id} нет, и строк журнала о нём нет / no conversation ${id} and no journal rows of it; fix: check the id (GET /admin/journal?client=<MAX user id> lists a client's conversations)`);
      return 1;
    }
    const trail = buildTrail(input);
    const text = format === 'json' ? `${JSON.stringify(trail, null, 2)}\n` : renderTrailHtml(trail, lang);
    if (parsed.values.out) {
      writeFileSync(parsed.values.out, text);
      console.error(`Записано / written: ${parsed.values.out} (${input.rows.length} строк журнала / journal rows)`);
    } else {
      process.stdout.write(text);
    }
    return 0;
  } finally {
    await opened.store.close();
  }
}

export async function journalCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'search') return search(rest);
  if (sub === 'export') return exportTrail(rest);
  if (sub === '--help' || sub === '-h') {
    console.log(JOURNAL_USAGE);
    return 0;
  }
  return fail(sub === undefined ? 'which subcommand: search or export?' : `unknown subcommand "${sub}"; fix: search or export`);
}
