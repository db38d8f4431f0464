import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeakyBucketLimiter } from '../../../src/domain/limits/leaky-bucket-limiter.ts';
import { SlidingWindowLimiter } from '../../../src/domain/limits/sliding-window-limiter.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

test('sliding window: 2 per second per chat, the third waits a window; keys are independent', () => {
  const clock = new ManualClock();
  const limiter = new SlidingWindowLimiter(clock, 2, 1_000, 25);
  assert.deepEqual([limiter.reserve('a'), limiter.reserve('a'), limiter.reserve('a')], [0, 0, 1_025]);
  assert.equal(limiter.reserve('b'), 0);
});

test('sliding window: waitMs tells how long a call made now would wait, and reserves nothing', async () => {
  const clock = new ManualClock();
  const limiter = new SlidingWindowLimiter(clock, 2, 1_000, 25);
  assert.equal(limiter.waitMs('a'), 0);
  limiter.reserve('a');
  limiter.reserve('a');
  assert.equal(limiter.waitMs('a'), 1_025);
  assert.equal(limiter.waitMs('a'), 1_025, 'asking again does not take a slot');
  assert.equal(limiter.reserve('a'), 1_025, 'the next reservation waits just that long');
  await clock.advance(400);
  assert.equal(limiter.waitMs('b'), 0, 'keys are independent');
  assert.equal(limiter.waitMs('a'), 625);
});

test('sliding window: callers wait on the clock instead of failing', async () => {
  const clock = new ManualClock();
  const limiter = new SlidingWindowLimiter(clock, 1, 1_000, 0);
  await limiter.acquire('k');
  let done = false;
  const waiting = limiter.acquire('k').then(() => (done = true));
  await clock.advance(999);
  assert.equal(done, false);
  await clock.advance(1);
  await waiting;
  assert.equal(done, true);
});

test('leaky bucket: a burst of 49 passes (one slot of headroom for jitter), then one every 500 ms at 2/s', () => {
  const clock = new ManualClock();
  const limiter = new LeakyBucketLimiter(clock, () => ({ drainPerSecond: 2, burst: 50 }));
  const waits = Array.from({ length: 52 }, () => limiter.reserve('portal'));
  assert.deepEqual(waits.slice(0, 49), Array(49).fill(0));
  assert.deepEqual(waits.slice(49), [500, 1_000, 1_500]);
});

test('leaky bucket: a key taken over from another process starts as if full', () => {
  const clock = new ManualClock();
  const limiter = new LeakyBucketLimiter(clock, () => ({ drainPerSecond: 2, burst: 50 }));
  limiter.assumeFull('portal');
  assert.equal(limiter.reserve('portal'), 1_000, 'waits until only headroom-minus-one is in the bucket');
});

test('leaky bucket: after QUERY_LIMIT_EXCEEDED it assumes a full bucket, halves the rate, stops bursting, then recovers', async () => {
  const clock = new ManualClock();
  const limiter = new LeakyBucketLimiter(clock, () => ({ drainPerSecond: 2, burst: 50 }));
  limiter.penalize('portal');
  assert.deepEqual(limiter.effective('portal'), { drainPerSecond: 1, burst: 1 });
  assert.equal(limiter.reserve('portal'), 1_000, 'waits for the assumed-full bucket to drain, at most 1 s (not 25 s)');
  assert.equal(limiter.reserve('portal'), 2_000, 'then one per second: half the drain, so the bucket empties');
  limiter.penalize('portal');
  assert.deepEqual(limiter.effective('portal'), { drainPerSecond: 0.5, burst: 1 }, 'another warning halves again');
  await clock.advance(60_000);
  assert.deepEqual(limiter.effective('portal'), { drainPerSecond: 2, burst: 50 });
});
