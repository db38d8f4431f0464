import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseJsonKeepingBigIntegers } from '../../../src/domain/big-json.ts';

test('integers above 2^53 survive as exact strings; small numbers stay numbers', () => {
  const parsed = parseJsonKeepingBigIntegers('{"seq":116688673966208835,"n":42,"f":1.5e3,"neg":-9007199254740993,"s":"116688673966208835 \\" x"}') as Record<string, unknown>;
  assert.equal(parsed.seq, '116688673966208835');
  assert.equal(parsed.n, 42);
  assert.equal(parsed.f, 1500);
  assert.equal(parsed.neg, '-9007199254740993');
  assert.equal(parsed.s, '116688673966208835 " x');
});

test('property: any JSON without big integers parses exactly like JSON.parse', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
      const text = JSON.stringify(value);
      const safe = !/\d{16,}/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'));
      fc.pre(safe);
      assert.deepEqual(parseJsonKeepingBigIntegers(text), JSON.parse(text));
    }),
    { numRuns: 300 },
  );
});
