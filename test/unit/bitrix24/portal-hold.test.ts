import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyBitrix24Error, isPortalBlocked } from '../../../src/bitrix24/errors.ts';
import { PortalHolds, PROBE_FIRST_MS, PROBE_MAX_MS } from '../../../src/bitrix24/portal-hold.ts';
import { createLogger } from '../../../src/log/logger.ts';

test('OVERLOAD_LIMIT (a blocked app) is a pause to wait out, never a final "no", whatever its HTTP status', () => {
  for (const status of [503, 401]) {
    const err = classifyBitrix24Error(status, '{"error":"OVERLOAD_LIMIT","error_description":"REST API is blocked due to overload"}', 0);
    assert.equal(err.code, 'BRG_ERR_BITRIX24_OVERLOAD');
    assert.equal(err.retryable, true);
    assert.ok(isPortalBlocked(err));
  }
  assert.equal(isPortalBlocked(classifyBitrix24Error(503, '{"error":"QUERY_LIMIT_EXCEEDED"}', 0)), false);
});

test('a blocked portal is probed at a growing interval up to the cap, once at a time, and its first other answer lifts the hold', () => {
  const lines: Array<Record<string, unknown>> = [];
  const holds = new PortalHolds({ logger: createLogger({ destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } }) });
  let now = 1_000_000;
  assert.equal(holds.admit('p', now), null, 'not blocked: calls go');
  // Three calls in flight when the block began: one hold, not three growths.
  for (let i = 0; i < 3; i++) holds.blocked('p', now);
  assert.equal(holds.blockedSinceMs('p'), now);
  assert.equal(holds.admit('p', now + 1), now + PROBE_FIRST_MS, 'held until the first probe');
  assert.equal(lines.filter((l) => l.level === 40 && l.portal === 'p' && l.component === 'bitrix24-client').length, 1, 'one warning');
  const intervals: number[] = [];
  let interval = PROBE_FIRST_MS;
  for (let probe = 0; probe < 12; probe++) {
    now = holds.heldUntilMs('p', now) as number;
    assert.equal(holds.admit('p', now), null, 'the probe goes');
    assert.notEqual(holds.admit('p', now), null, 'only one probe at a time');
    holds.blocked('p', now);
    const next = holds.heldUntilMs('p', now) as number;
    intervals.push(next - now);
    interval = Math.min(PROBE_MAX_MS, interval * 2);
    assert.equal(next - now, interval);
  }
  assert.equal(Math.max(...intervals), PROBE_MAX_MS, 'capped');
  // A probe that got no answer (network) is tried again after the same interval, not lost.
  now = holds.heldUntilMs('p', now) as number;
  assert.equal(holds.admit('p', now), null);
  holds.noAnswer('p', now);
  assert.equal(holds.heldUntilMs('p', now), now + PROBE_MAX_MS);
  now += PROBE_MAX_MS;
  assert.equal(holds.admit('p', now), null);
  holds.answered('p', now + 20);
  assert.equal(holds.blockedSinceMs('p'), null);
  assert.equal(holds.admit('p', now + 21), null);
  assert.ok(lines.some((l) => l.level === 30 && l.portal === 'p'), 'an info line when the block lifts');
});
