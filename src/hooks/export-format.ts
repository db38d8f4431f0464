/**
 * The two file formats of an export (docs/exports.md, "Formats"), both UTF-8:
 * - NDJSON: one JSON object per line (`\n`), keys in the column order, nulls kept, lists as
 *   JSON arrays — what most DWH loaders (BigQuery, ClickHouse JSONEachRow, Snowflake) read;
 * - CSV (RFC 4180): a header row, then one row per record, lines ended by CRLF; a field is
 *   quoted when it holds a comma, a quote, CR or LF (a quote inside doubled), or starts or ends
 *   with a space; null is an empty field, a list is its JSON text, booleans `true`/`false`.
 *   A BOM on request (`--bom`, `bom=1`): Excel reads UTF-8 without one as the local code page.
 *   Values are written as they are: a text starting with `=` stays that text (a DWH must get the
 *   data unchanged); open such a file in a spreadsheet with its formulas off.
 */
import type { ExportRecord, ExportValue } from './export-records.ts';

export type ExportFormat = 'ndjson' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['ndjson', 'csv'];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** The UTF-8 byte order mark, as the first character of a CSV for Excel. */
export const UTF8_BOM = '\uFEFF';

const CSV_NEEDS_QUOTES = /[",\r\n]|^ | $/;

export function csvField(value: ExportValue | undefined): string {
  if (value === null || value === undefined) return '';
  const text = Array.isArray(value) ? JSON.stringify(value) : String(value);
  return CSV_NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(columns: readonly string[]): string {
  return `${columns.map(csvField).join(',')}\r\n`;
}

export function csvLine(columns: readonly string[], record: ExportRecord): string {
  return `${columns.map((c) => csvField(record[c])).join(',')}\r\n`;
}

export function ndjsonLine(columns: readonly string[], record: ExportRecord): string {
  const ordered: Record<string, ExportValue> = {};
  for (const c of columns) ordered[c] = record[c] ?? null;
  return `${JSON.stringify(ordered)}\n`;
}
