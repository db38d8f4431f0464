import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shortenFileName } from '../../../src/domain/file-name.ts';

/** Half of a surrogate pair: a string that is not valid UTF-8 once encoded. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

test('a file name over the limit is cut to it, keeping the extension and marking the cut', () => {
  const name = `${'Счёт на оплату '.repeat(20)}.xlsx`;
  const short = shortenFileName(name, 200);
  assert.equal(short.length, 200);
  assert.ok(short.endsWith('….xlsx'), short);
  assert.ok(name.startsWith(short.slice(0, -'….xlsx'.length)));
});

test('a name within the limit is left alone', () => {
  assert.equal(shortenFileName('акт.pdf', 200), 'акт.pdf');
  assert.equal(shortenFileName('ж'.repeat(200), 200), 'ж'.repeat(200));
});

test('the cut never splits a surrogate pair: the name stays valid UTF-8', () => {
  for (let stem = 190; stem <= 199; stem++) {
    const name = `${'a'.repeat(stem)}${'😀'.repeat(40)}.pdf`;
    const short = shortenFileName(name, 200);
    assert.ok(short.length <= 200, `${stem}: ${short.length}`);
    assert.ok(!LONE_SURROGATE.test(short), `${stem}: a lone surrogate`);
    assert.equal(Buffer.from(short, 'utf8').toString('utf8'), short);
    assert.ok(short.endsWith('….pdf'));
  }
});

test('no usable extension (too long, or none): the whole name is cut', () => {
  assert.equal(shortenFileName('x'.repeat(300), 10), `${'x'.repeat(9)}…`);
  const odd = `report.${'y'.repeat(40)}`;
  assert.equal(shortenFileName(odd, 12), 'report.yyyy…');
  assert.equal(shortenFileName('.bashrc_with_a_long_tail', 8), '.bashrc…');
});
