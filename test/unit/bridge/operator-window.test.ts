/**
 * The operator reply window: the configured base on a healthy bridge; twice
 * the largest recent delay (known from below, `ts` being whole seconds) while
 * events come late, up to the cap; back to the base once late events age out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATOR_WINDOW_CAP_MS, OperatorWindow } from '../../../src/bridge/lifecycle.ts';

test('a healthy bridge waits the base; late events stretch the wait, up to the cap, then it shrinks back', () => {
  const w = new OperatorWindow(100);
  const t0 = 1_800_000_000_000;
  // Received within the second the event was stamped: no delay is known.
  assert.equal(w.windowMs(t0 + 400, String(t0 / 1000), t0 + 400), 100);
  // Stamped at t0 (whole seconds), received 2.5 s later: at least 1.5 s late.
  assert.equal(w.windowMs(t0 + 2_500, String(t0 / 1000), t0 + 2_500), 3_000);
  // A later event on time still waits for the recent straggling.
  assert.equal(w.windowMs(t0 + 3_000, String((t0 + 3_000) / 1000), t0 + 3_000), 3_000);
  // Very late: capped.
  assert.equal(w.windowMs(t0 + 20_000, String(t0 / 1000), t0 + 20_000), OPERATOR_WINDOW_CAP_MS);
  // Ten seconds of punctual events later the base applies again.
  assert.equal(w.windowMs(t0 + 31_000, String((t0 + 31_000) / 1000), t0 + 31_000), 100);
});

test('no ts, or a window of 0, changes nothing', () => {
  assert.equal(new OperatorWindow(100).windowMs(5_000, null, 5_000), 100);
  assert.equal(new OperatorWindow(0).windowMs(9_000, '1', 9_000), 0);
});
