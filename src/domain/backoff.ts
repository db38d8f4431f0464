/**
 * Capped exponential back-off, the one schedule every "try again later" of the
 * bridge grows by: `firstMs` for the first retry, doubling with each one after,
 * never more than `maxMs`. Jitter, where wanted, is the caller's (retry-policy.ts).
 */

/** The wait before retry number `retry` (1 = the first retry). */
export function cappedBackoffMs(firstMs: number, maxMs: number, retry: number): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`cappedBackoffMs: retry must be a whole number ≥ 1, got ${retry}`);
  // 2 ** 1024 is Infinity; Math.min caps it, so long outages never overflow.
  return Math.min(maxMs, firstMs * 2 ** (retry - 1));
}
