/**
 * A side whose every call fails in passing (5xx, limits, timeouts) is degraded
 * after a minute with none going through: said once at warning level, listed for
 * /ready and /metrics, and back to normal at the first call that goes through.
 * Nothing is held: jobs keep their own retry policy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEGRADED_AFTER_MS, SideHolds } from '../../../src/domain/side-hold.ts';
import { createLogger } from '../../../src/log/logger.ts';

function holdsWithLog() {
  const lines: Array<Record<string, unknown>> = [];
  const holds = new SideHolds({ component: 'max-client', sideKind: 'bot', logger: createLogger({ destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } }) });
  return { holds, lines };
}

test('failures in passing for a minute with none through make the side degraded, said once; a call through ends it', () => {
  const { holds, lines } = holdsWithLog();
  const t0 = 5_000_000;
  holds.troubled('shop', t0, 'BRG_ERR_MAX_UNAVAILABLE');
  holds.answered('shop', t0 + 20_000, 'BRG_ERR_MAX_UNAVAILABLE');
  assert.deepEqual(holds.degradedStates(t0 + 30_000), [], 'not yet: a failing half-minute is bad luck');
  assert.equal(holds.admit('shop', t0 + 30_000), null, 'nothing is held');
  holds.troubled('shop', t0 + DEGRADED_AFTER_MS + 1, 'BRG_ERR_NETWORK');
  holds.troubled('shop', t0 + DEGRADED_AFTER_MS + 2, 'BRG_ERR_NETWORK');
  assert.deepEqual(holds.degradedStates(t0 + DEGRADED_AFTER_MS + 10), [{ side: 'shop', sinceMs: t0, code: 'BRG_ERR_NETWORK', failures: 4 }]);
  const warns = lines.filter((l) => l.level === 40 && l.bot === 'shop');
  assert.equal(warns.length, 1, 'one warning per streak');
  assert.match(String(warns[0]!.msg), /bot shop is degraded/);
  assert.equal(holds.admit('shop', t0 + DEGRADED_AFTER_MS + 20), null, 'degraded is not held: each job retries by its policy');

  holds.answered('shop', t0 + DEGRADED_AFTER_MS + 30);
  assert.deepEqual(holds.degradedStates(t0 + DEGRADED_AFTER_MS + 40), []);
  assert.equal(lines.filter((l) => l.level === 30 && l.bot === 'shop' && String(l.msg).includes('no longer degraded')).length, 1);
});

test('one failure, however old, is not a degraded side; a held side is down, not degraded', () => {
  const { holds } = holdsWithLog();
  holds.troubled('a', 0, 'BRG_ERR_NETWORK');
  assert.deepEqual(holds.degradedStates(10 * DEGRADED_AFTER_MS), [], 'a single failure says nothing of the side');
  holds.troubled('b', 0, 'BRG_ERR_NETWORK');
  holds.troubled('b', DEGRADED_AFTER_MS, 'BRG_ERR_NETWORK');
  holds.blocked('b', DEGRADED_AFTER_MS, { code: 'BRG_ERR_MAX_UNREACHABLE', problem: 'unreachable' });
  assert.deepEqual(holds.degradedStates(2 * DEGRADED_AFTER_MS), []);
  assert.equal(holds.states()[0]?.side, 'b');
});
