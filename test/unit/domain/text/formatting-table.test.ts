/**
 * Reads the input → output tables of docs/formatting.md and checks the code
 * against every row, so the documentation cannot drift from the behaviour.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bbcodeToMaxHtml } from '../../../../src/domain/text/bbcode-to-max.ts';
import { maxMarkupToBbcode, type MarkupElement } from '../../../../src/domain/text/markup-to-bbcode.ts';

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
