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

test('long digit runs in fractions and exponents stay numbers; big integers anywhere become strings', () => {
  const parsed = parseJsonKeepingBigIntegers('[0.12345678901234567890,1.5e-12345678901234567,12345678901234567.5,[-12345678901234567],{"a":{"b":98765432109876543210}}]') as unknown[];
  assert.equal(parsed[0], Number('0.12345678901234567890'));
  assert.equal(parsed[1], 0);
  assert.equal(parsed[2], Number('12345678901234567.5'));
  assert.deepEqual(parsed[3], ['-12345678901234567']);
  assert.deepEqual(parsed[4], { a: { b: '98765432109876543210' } });
});

test('property: every integer of 16+ digits comes back exactly, as a string, wherever it stands', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 2 }), fc.bigInt({ min: 10n ** 15n, max: 10n ** 20n }), fc.boolean(), (value, big, negative) => {
      const literal = `${negative ? '-' : ''}${big.toString()}`;
      const inner = JSON.stringify(value);
      const text = `{"v":${inner},"big":${literal},"list":[${inner},${literal}]}`;
      const parsed = parseJsonKeepingBigIntegers(text) as { big: string; list: unknown[] };
      assert.equal(parsed.big, literal);
      assert.equal(parsed.list[1], literal);
    }),
    { numRuns: 300 },
  );
});
