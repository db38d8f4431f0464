import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '../../../src/domain/errors.ts';
import { decideRetry, type RetryPolicy } from '../../../src/queue/retry-policy.ts';

const policy: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 10 };
const retryable = new BridgeError('BRG_ERR_X', 'x', { retryable: true });

test('backoff doubles, with jitter between half and the full delay', () => {
  assert.deepEqual(decideRetry(retryable, 1, policy, () => 0), { action: 'retry', delayMs: 500 });
  assert.deepEqual(decideRetry(retryable, 1, policy, () => 0.999999), { action: 'retry', delayMs: 1_000 });
  assert.deepEqual(decideRetry(retryable, 3, policy, () => 0), { action: 'retry', delayMs: 2_000 });
});

test('backoff reaches its cap and stays there', () => {
  const delays = Array.from({ length: 9 }, (_, i) => decideRetry(retryable, i + 1, policy, () => 0.999999));
  const ms = delays.map((d) => (d.action === 'retry' ? d.delayMs : -1));
  assert.deepEqual(ms, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
});

test('retryAfterMs (Retry-After, QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT reset) is a floor', () => {
  const limited = new BridgeError('BRG_ERR_BITRIX24_OPERATION_TIME_LIMIT', 'x', { retryable: true, retryAfterMs: 420_000 });
  assert.deepEqual(decideRetry(limited, 1, policy, () => 0), { action: 'retry', delayMs: 420_000 });
});

test('non-retryable errors go straight to dead letters; exhausted attempts too', () => {
  const denied = new BridgeError('BRG_ERR_MAX_BLOCKED', 'x', { retryable: false });
  assert.deepEqual(decideRetry(denied, 1, policy, () => 0), { action: 'dead', reason: 'not_retryable' });
  assert.deepEqual(decideRetry(retryable, 10, policy, () => 0), { action: 'dead', reason: 'attempts_exhausted' });
});

test('an unexpected exception is treated as transient', () => {
  assert.equal(decideRetry(new Error('boom'), 1, policy, () => 0).action, 'retry');
});

const byCause: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 300_000, maxAttempts: 12, transientForMs: 7 * 24 * 3_600_000 };
const HOUR_MS = 3_600_000;

test('a transient failure is retried for as long as the outage lasts: dozens of attempts over 6 hours, every 5 minutes at most', () => {
  let ageMs = 0;
  let attempt = 0;
  while (ageMs < 6 * HOUR_MS) {
    attempt++;
    const d = decideRetry(retryable, attempt, byCause, () => 0.999999, ageMs);
    assert.equal(d.action, 'retry', `attempt ${attempt}, ${Math.round(ageMs / 60_000)} min into the outage`);
    if (d.action === 'retry') {
      assert.ok(d.delayMs <= 300_000);
      ageMs += d.delayMs;
    }
  }
  assert.ok(attempt > 12 && attempt < 100, `attempts over 6 hours: ${attempt}`);
});

test('past the configured days a transient failure becomes a dead letter that says why', () => {
  assert.deepEqual(decideRetry(retryable, 3_000, byCause, () => 0, 7 * 24 * HOUR_MS), { action: 'dead', reason: 'outage_too_long' });
  assert.equal(decideRetry(retryable, 3_000, byCause, () => 0, 7 * 24 * HOUR_MS - 1).action, 'retry');
});

test('with retry by cause a refusal is still a dead letter at once, and an unexpected exception still gets its 12 attempts', () => {
  const denied = new BridgeError('BRG_ERR_CLIENT_BLOCKED', 'x', { retryable: false });
  assert.deepEqual(decideRetry(denied, 1, byCause, () => 0, 0), { action: 'dead', reason: 'not_retryable' });
  assert.equal(decideRetry(new Error('bug'), 11, byCause, () => 0, 0).action, 'retry');
  assert.deepEqual(decideRetry(new Error('bug'), 12, byCause, () => 0, 0), { action: 'dead', reason: 'attempts_exhausted' });
});
