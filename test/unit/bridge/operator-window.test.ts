/**
 * The operator reply window: the configured base on a healthy bridge; twice
 * the largest recent delay (known from below, `ts` being whole seconds) while
 * events come late, up to the cap; back to the base once late events age out.
 * Lateness is learned at intake, from `ts` and from overtaken message ids.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATOR_WINDOW_CAP_MS, OperatorWindow } from '../../../src/bridge/operator-window.ts';

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

test('an event overtaken by a later-written one (any chat of the portal) stretches the wait by how late it came', () => {
  const w = new OperatorWindow(100);
  const t0 = 1_800_000_000_000;
  const ts = String(Math.floor((t0 + 900) / 1000));
  w.observe('p1', t0 + 100, ts, [86437]); // written later, arrives first
  w.observe('p1', t0 + 150, ts, [86440]);
  assert.equal(w.currentMs(t0 + 150), 100, 'in order so far: the base');
  // 86429 was written before both: it comes 463 ms after the first of them.
  w.observe('p1', t0 + 563, ts, [86429]);
  assert.equal(w.currentMs(t0 + 600), 2 * 463);
  // Another portal's ids are another sequence: no lateness from them.
  const other = new OperatorWindow(100);
  other.observe('p1', t0, ts, [500]);
  other.observe('p2', t0 + 300, ts, [100]);
  assert.equal(other.currentMs(t0 + 300), 100);
  // Ten seconds later it has aged out.
  assert.equal(w.currentMs(t0 + 11_000), 100);
  // A reply job reads the same window: what the intake learned applies to every conversation.
  const w2 = new OperatorWindow(100);
  w2.observe('p1', t0, ts, [10]);
  w2.observe('p1', t0 + 700, ts, [9]);
  assert.equal(w2.windowMs(t0 + 800, ts, t0 + 800), 1_400);
});

test('lateness from ts is learned at intake, before any reply job runs', () => {
  const w = new OperatorWindow(100);
  const t0 = 1_800_000_000_000;
  w.observe('p1', t0 + 2_500, String(t0 / 1000), [1]);
  assert.equal(w.currentMs(t0 + 2_600), 3_000);
  assert.equal(new OperatorWindow(0).currentMs(t0), 0);
});
