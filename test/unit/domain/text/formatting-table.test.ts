/**
 * Reads the input → output tables of docs/formatting.md and checks the code
 * against every row, so the documentation cannot drift from the behaviour.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bbcodeToMaxHtml } from '../../../../src/domain/text/bbcode-to-max.ts';
import { maxMarkupToBbcode, type MarkupElement } from '../../../../src/domain/text/markup-to-bbcode.ts';
import { splitForMax, type LengthUnit } from '../../../../src/domain/text/split.ts';
import { renderOperatorText } from '../../../../src/bridge/outbound.ts';
import type { SystemMessageKind, SystemMessagesSetting } from '../../../../src/domain/text/system-message-kind.ts';

const doc = readFileSync('docs/formatting.md', 'utf8');

function unescape(cell: string): string {
  return cell.replace(/\\n/g, '\n').replace(/\\u200B/g, '\u200B');
}

function tableAfter(heading: string): string[][] {
  const section = doc.slice(doc.indexOf(heading));
  const lines = section.split('\n').slice(1);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const cells = [...line.matchAll(/`([^`]*)`/g)].map((m) => unescape(m[1] as string));
    if (cells.length >= 2) rows.push(cells);
  }
  return rows;
}

test('every MAX → Bitrix24 row of docs/formatting.md holds', () => {
  const rows = tableAfter('## MAX → Bitrix24');
  assert.ok(rows.length >= 15, `found ${rows.length} rows`);
  for (const [text, markup, expected] of rows) {
    assert.equal(maxMarkupToBbcode(text as string, JSON.parse(markup as string) as MarkupElement[]), expected, `row: ${text}`);
  }
});

test('every Bitrix24 → MAX row of docs/formatting.md holds', () => {
  const rows = tableAfter('## Bitrix24 → MAX');
  assert.ok(rows.length >= 25, `found ${rows.length} rows`);
  for (const [input, expected] of rows) assert.equal(bbcodeToMaxHtml(input as string), expected, `row: ${input}`);
});

test('the Bitrix24 → MAX table covers every construct operators use', () => {
  const inputs = tableAfter('## Bitrix24 → MAX').map((r) => (r[0] as string).toLowerCase());
  for (const tag of ['[b]', '[i]', '[u]', '[s]', '[url=', '[url]', '[quote]', '[code]', '[list]', '[list=1]', '[*]', '[br]', '\n', '[user=', '[chat=', '[icon=', '😀',
    '&amp;', '&lt;', '&quot;', '&#', '<br />', '-'.repeat(54), '&gt;&gt;']) {
    assert.ok(inputs.some((i) => i.includes(tag)), `a row with ${tag}`);
  }
});

test('every operator-name / system-message row of docs/formatting.md holds', () => {
  const rows = tableAfter('## Operator name and system messages');
  assert.ok(rows.length >= 10, `found ${rows.length} rows`);
  for (const [operatorName, systemMessages, from, text, expected] of rows) {
    const deps = { operatorName: operatorName as 'keep' | 'strip', systemMessages: systemMessages as SystemMessagesSetting };
    const kind = from === 'operator' ? false : from as SystemMessageKind;
    assert.equal(renderOperatorText(text as string, kind, deps), expected ?? null, `row: ${operatorName}/${systemMessages}/${from}: ${text}`);
  }
  const settings = new Set(rows.map((r) => `${r[0]}/${r[1]}`));
  for (const s of ['keep/rewrite', 'strip/rewrite', 'keep/forward', 'keep/drop', 'keep/rewrite_all', 'keep/forward_all']) assert.ok(settings.has(s), `a row for ${s}`);
  const kinds = new Set(rows.map((r) => `${r[1]}/${r[2]}`));
  for (const k of ['rewrite/internal', 'forward/internal', 'rewrite/for-client']) assert.ok(kinds.has(k), `a row for ${k}`);
});

test('every long-text row of docs/formatting.md holds: parts in order, each within the limit, nothing lost', () => {
  const rows = tableAfter('## Long texts');
  assert.ok(rows.length >= 8, `found ${rows.length} rows`);
  for (const [limit, unit, html, ...parts] of rows) {
    const got = splitForMax(html as string, Number(limit), unit as LengthUnit);
    assert.deepEqual(got, parts, `row: ${html} @ ${limit} ${unit}`);
    const size = (t: string) => (unit === 'bytes' ? Buffer.byteLength(t) : [...t].length);
    for (const part of got) assert.ok(size(part) <= Number(limit), `"${part}" fits ${limit} ${unit}`);
    const text = (t: string) => t.replace(/<[^>]+>/g, '').replace(/\s+/g, '');
    assert.equal(got.map(text).join(''), text(html as string), 'nothing lost or repeated');
  }
});
