import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cappedBackoffMs } from '../../../src/domain/backoff.ts';

test('the back-off starts at the first wait, doubles with each retry and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => cappedBackoffMs(3_000, 300_000, n)), [3_000, 6_000, 12_000, 24_000, 48_000, 96_000, 192_000, 300_000]);
});

test('a very long outage stays at the cap (no overflow to Infinity or NaN)', () => {
  assert.equal(cappedBackoffMs(1_000, 300_000, 5_000), 300_000);
});

test('a retry number below 1 or not whole is a caller bug and is refused', () => {
  assert.throws(() => cappedBackoffMs(1_000, 10_000, 0), RangeError);
  assert.throws(() => cappedBackoffMs(1_000, 10_000, 1.5), RangeError);
});
