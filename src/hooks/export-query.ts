/**
 * An export as people ask for it — the admin API's path and query
 * (`GET /admin/export/messages?from=…&to=…&format=csv&bom=1`) and the CLI's arguments
 * (`export messages --from … --to … --format csv --bom`) — checked and turned into an
 * ExportRequest. Each problem names the parameter and what it takes; nothing is read or
 * written while there is one. Times are read as the journal search reads them
 * (src/journal/journal-query.ts): ISO 8601 with an offset, or a date (a Moscow day).
 */
import { parseJournalQuery } from '../journal/journal-query.ts';
import type { ExportKind } from '../store/repos/export-repo.ts';
import { EXPORT_FORMATS, type ExportFormat } from './export-format.ts';

export const EXPORT_KINDS: readonly ExportKind[] = ['conversations', 'messages', 'journal'];

export interface ExportRequest {
  kind: ExportKind;
  /** Inclusive start and exclusive end, Unix ms. */
  fromMs: number;
  toMs: number;
  format: ExportFormat;
  /** A UTF-8 byte order mark first (CSV for Excel). */
  bom: boolean;
}

/** The parameters, with what each takes (the problems and the CLI's help quote these). */
export const EXPORT_PARAMETERS: Readonly<Record<string, string>> = {
  kind: EXPORT_KINDS.join(', '),
  from: 'start time (inclusive), ISO 8601 (2026-12-01T10:00:00+03:00) or a date (2026-12-01, Moscow time)',
  to: 'end time (exclusive), same forms as from; default: now',
  format: `${EXPORT_FORMATS.join(' or ')} (default ndjson)`,
  bom: '1 or 0: a UTF-8 byte order mark first, for Excel (default 0)',
};

export type ExportRequestResult = { ok: true; request: ExportRequest } | { ok: false; problems: string[] };

const isKind = (v: string): v is ExportKind => (EXPORT_KINDS as readonly string[]).includes(v);
const isFormat = (v: string): v is ExportFormat => (EXPORT_FORMATS as readonly string[]).includes(v);

export function parseExportRequest(params: Readonly<Record<string, string | undefined>>, nowMs: number): ExportRequestResult {
  const problems: string[] = [];
  const bad = (name: string, value: string) => problems.push(`${name}: "${value.slice(0, 80)}" is not ${EXPORT_PARAMETERS[name]}`);
  for (const name of Object.keys(params)) {
    if (params[name] !== undefined && !(name in EXPORT_PARAMETERS)) problems.push(`unknown parameter "${name}"; the parameters are ${Object.keys(EXPORT_PARAMETERS).join(', ')}`);
  }
  const { kind = '', from, to, format = 'ndjson', bom = '0' } = params;
  if (!isKind(kind)) bad('kind', kind);
  if (!isFormat(format)) bad('format', format);
  if (bom !== '0' && bom !== '1') bad('bom', bom);
  if (from === undefined) problems.push(`from is required: ${EXPORT_PARAMETERS.from}`);
  const times = parseJournalQuery({ from, to });
  if (!times.ok) problems.push(...times.problems);
  const fromMs = times.ok ? times.query.fromMs : undefined;
  const toMs = times.ok ? times.query.toMs ?? nowMs : nowMs;
  if (fromMs !== undefined && to === undefined && toMs <= fromMs) problems.push('from is in the future: nothing was written yet; give an earlier from, or a to');
  if (problems.length > 0 || fromMs === undefined || !isKind(kind) || !isFormat(format)) return { ok: false, problems };
  return { ok: true, request: { kind, fromMs, toMs, format, bom: bom === '1' } };
}

/** The file name an export is saved under: `messages-2026-12-01T00-00-00Z-2026-12-02T00-00-00Z.ndjson`. */
export function exportFileName(request: ExportRequest): string {
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
  return `${request.kind}-${stamp(request.fromMs)}-${stamp(request.toMs)}.${request.format}`;
}
