/**
 * The operator reply window: the configured base on a healthy bridge; twice
 * the largest recent lateness (known from below) while events come late, up to
 * the cap; back to the base once late events age out. Lateness is learned at
 * intake, from `ts` (against the portal's quickest recent event, so an offset
 * between the portal's clock and ours costs nothing) and from overtaken
 * message ids.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATOR_WINDOW_CAP_MS } from '../../../../src/bridge/order/constants.ts';
import { OperatorReplyWindow as OperatorWindow } from '../../../../src/bridge/order/operator-reply-window.ts';

const t0 = 1_800_000_000_000;
const sec = (ms: number) => String(Math.floor(ms / 1000));

test('a portal clock 3 s behind ours costs nothing; late events stretch the wait, up to the cap, then it shrinks back', () => {
  const w = new OperatorWindow(5);
  // The portal stamps 3 s behind our clock: every event looks 3 s "late" against ours.
  assert.equal(w.windowMs('p1', t0 + 3_400, sec(t0), t0 + 3_400), 5);
  assert.equal(w.windowMs('p1', t0 + 4_300, sec(t0 + 1_000), t0 + 4_300), 5, 'punctual, whatever the offset: the base');
  // Stamped in the portal's second t0+1 s like the one before, received 2.5 s later than that one: at least 1.5 s late.
  assert.equal(w.windowMs('p1', t0 + 6_800, sec(t0 + 1_000), t0 + 6_800), 3_000);
  // A later punctual event still waits for the recent straggling.
  assert.equal(w.windowMs('p1', t0 + 7_300, sec(t0 + 4_000), t0 + 7_300), 3_000);
  // Very late: capped.
  assert.equal(w.windowMs('p1', t0 + 12_000, sec(t0), t0 + 12_000), OPERATOR_WINDOW_CAP_MS);
  // Ten seconds of punctual events later the base applies again.
  assert.equal(w.windowMs('p1', t0 + 25_000, sec(t0 + 22_000), t0 + 25_000), 5);
});

test('no ts, or a window of 0, changes nothing', () => {
  assert.equal(new OperatorWindow(100).windowMs('p1', 5_000, null, 5_000), 100);
  assert.equal(new OperatorWindow(0).windowMs('p1', 9_000, '1', 9_000), 0);
});

test('an event overtaken by a later-written one (any chat of the portal) stretches the wait by how late it came', () => {
  const w = new OperatorWindow(100);
  const ts = sec(t0 + 900);
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
  assert.equal(w2.windowMs('p1', t0 + 800, ts, t0 + 800), 1_400);
});

test('lateness from ts is learned at intake, before any reply job runs; each portal against its own quickest', () => {
  const w = new OperatorWindow(5);
  w.observe('p1', t0 + 400, sec(t0), [1]);
  w.observe('p2', t0 + 9_000, sec(t0), [1]); // another portal whose clock is 9 s behind: not late
  assert.equal(w.currentMs(t0 + 9_000), 5);
  w.observe('p1', t0 + 2_500, sec(t0), [2]);
  assert.equal(w.currentMs(t0 + 2_600), 2 * (2_500 - 400 - 1_000));
  assert.equal(new OperatorWindow(0).currentMs(t0), 0);
});

test('as a hold: operator-window until the window after the event has passed, then nothing', () => {
  const w = new OperatorWindow(5);
  assert.deepEqual(w.whyNotYet('p1', t0, sec(t0), t0 + 1), { hold: 'operator-window', lookAgainAtMs: t0 + 5 });
  assert.equal(w.whyNotYet('p1', t0, sec(t0), t0 + 5), null);
  assert.equal(new OperatorWindow(0).whyNotYet('p1', t0, sec(t0), t0), null, 'off: never held');
});
