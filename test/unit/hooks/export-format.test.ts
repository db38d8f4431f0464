/**
 * The export's file formats (src/hooks/export-format.ts): CSV by RFC 4180 (quotes doubled,
 * a field with a comma, quote, CR or LF quoted, CRLF line ends, null as an empty field) and
 * NDJSON lines with the keys in column order; and the request as people write it
 * (src/hooks/export-query.ts): each problem names its parameter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvField, csvHeader, csvLine, ndjsonLine } from '../../../src/hooks/export-format.ts';
import { exportFileName, parseExportRequest } from '../../../src/hooks/export-query.ts';

test('CSV fields: plain as they are, quoted when they hold a comma, quote, CR, LF or an edge space; quotes doubled', () => {
  assert.equal(csvField('shop:101'), 'shop:101');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('он сказал "да"'), '"он сказал ""да"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('cr\rhere'), '"cr\rhere"');
  assert.equal(csvField(' padded'), '" padded"');
  assert.equal(csvField(null), '');
  assert.equal(csvField(0), '0');
  assert.equal(csvField(false), 'false');
  assert.equal(csvField(['vip', 'b2b']), '"[""vip"",""b2b""]"');
  assert.equal(csvField('=1+1'), '=1+1', 'values are written unchanged');
});

test('CSV lines: a header, then the record in column order, CRLF ends; columns absent from the record are empty', () => {
  const columns = ['id', 'text', 'missing', 'n'];
  assert.equal(csvHeader(columns), 'id,text,missing,n\r\n');
  assert.equal(csvLine(columns, { n: 3, id: 'x', text: 'a "b", c' }), 'x,"a ""b"", c",,3\r\n');
});

test('NDJSON: one object per line, keys in column order, nulls kept, newlines inside values escaped', () => {
  const line = ndjsonLine(['b', 'a', 'c'], { a: 'one\ntwo', b: 1 });
  assert.equal(line, '{"b":1,"a":"one\\ntwo","c":null}\n');
  assert.equal(line.split('\n').length, 2, 'exactly one line');
});

test('a request: kind, a Moscow day or ISO time, format and BOM; to defaults to now', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  const day = parseExportRequest({ kind: 'messages', from: '2026-12-01', to: '2026-12-02', format: 'csv', bom: '1' }, now);
  assert.deepEqual(day, { ok: true, request: { kind: 'messages', fromMs: Date.parse('2026-11-30T21:00:00Z'), toMs: Date.parse('2026-12-01T21:00:00Z'), format: 'csv', bom: true } });
  const open = parseExportRequest({ kind: 'journal', from: '2026-12-03T10:00:00+03:00' }, now);
  assert.deepEqual(open, { ok: true, request: { kind: 'journal', fromMs: Date.parse('2026-12-03T07:00:00Z'), toMs: now, format: 'ndjson', bom: false } });
  assert.equal(exportFileName(open.ok ? open.request : (undefined as never)), 'journal-2026-12-03T07-00-00Z-2026-12-03T12-00-00Z.ndjson');
});

test('bad requests: every problem names its parameter and what it takes', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  const problems = (params: Record<string, string | undefined>) => {
    const r = parseExportRequest(params, now);
    assert.equal(r.ok, false);
    return r.ok ? '' : r.problems.join(' | ');
  };
  assert.match(problems({ kind: 'chats', from: '2026-12-01' }), /^kind: "chats" is not conversations, messages, journal$/);
  assert.match(problems({ kind: 'messages' }), /^from is required/);
  assert.match(problems({ kind: 'messages', from: 'yesterday' }), /^from: "yesterday" is not start time/);
  assert.match(problems({ kind: 'messages', from: '2026-12-01T10:00:00' }), /^from: .* is not/, 'a time without an offset is refused');
  assert.match(problems({ kind: 'messages', from: '2026-12-02', to: '2026-12-01' }), /to must be later than from/);
  assert.match(problems({ kind: 'messages', from: '2026-12-04' }), /from is in the future/);
  assert.match(problems({ kind: 'messages', from: '2026-12-01', format: 'xlsx' }), /^format: "xlsx" is not ndjson or csv/);
  assert.match(problems({ kind: 'messages', from: '2026-12-01', bom: 'yes' }), /^bom: "yes" is not 1 or 0/);
  assert.match(problems({ kind: 'messages', from: '2026-12-01', limit: '5' }), /unknown parameter "limit"; the parameters are kind, from, to, format, bom/);
});
