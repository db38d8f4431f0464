/**
 * docs/exports.md lists the columns of each export and of each SQL view; the code's lists
 * (src/hooks/export-records.ts, src/store/bi-views.ts) are what runs. They must say the same,
 * in the same order: the columns are a promise to whoever loads the files or reads the views.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXPORT_COLUMNS } from '../../../src/hooks/export-records.ts';
import { BI_VIEW_COLUMNS } from '../../../src/store/bi-views.ts';

const doc = readFileSync('docs/exports.md', 'utf8');

/** The backticked names in the first cell of each row of the table that follows `heading`. */
function tableColumns(heading: string): string[] {
  const at = doc.indexOf(heading);
  assert.ok(at >= 0, `docs/exports.md has no "${heading}"`);
  const lines = doc.slice(at).split('\n').slice(1);
  const start = lines.findIndex((l) => l.startsWith('| column |'));
  const rows = lines.slice(start + 2);
  const table = rows.slice(0, rows.findIndex((l) => !l.startsWith('|')));
  return table.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string));
}

test('the documented columns of each kind are the exported ones, in order', () => {
  assert.deepEqual(tableColumns('`conversations` (the view'), [...EXPORT_COLUMNS.conversations]);
  assert.deepEqual(tableColumns('`messages` (the view'), [...EXPORT_COLUMNS.messages]);
  const journal = doc.slice(doc.indexOf('`journal` (the view'), doc.indexOf('### Personal data'));
  const listed = [...journal.replace(/\([^)]*\)/g, '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string).filter((c) => c !== 'journal');
  assert.deepEqual(listed, [...EXPORT_COLUMNS.journal]);
});

test('the views are documented as the exports\' first columns, up to the documented one', () => {
  assert.match(doc, /`bi_conversations` has the columns up to `updated_at_ms`/);
  const upTo = EXPORT_COLUMNS.conversations.indexOf('updated_at_ms') + 1;
  assert.deepEqual([...BI_VIEW_COLUMNS.bi_conversations], EXPORT_COLUMNS.conversations.slice(0, upTo));
  assert.deepEqual([...BI_VIEW_COLUMNS.bi_messages], [...EXPORT_COLUMNS.messages]);
  assert.deepEqual([...BI_VIEW_COLUMNS.bi_journal], [...EXPORT_COLUMNS.journal]);
});
