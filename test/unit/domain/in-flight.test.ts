import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlightRequests } from '../../../src/domain/in-flight.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

/** A clock and an "after the turn" the test moves by hand. */
function world() {
  const clock = new ManualClock(1_000);
  const pending: Array<() => void> = [];
  const inFlight = new InFlightRequests(clock, (fn) => pending.push(fn));
  return {
    inFlight, clock,
    advance: (ms: number) => clock.advance(ms),
    endTurn: () => { for (const fn of pending.splice(0)) fn(); },
  };
}

test('requests begun in one turn of the event loop share its stamp; the next turn gets a new one', async () => {
  const w = world();
  const a = w.inFlight.begin();
  await w.advance(7); // a busy poll phase: the second request is taken in 7 ms later, in the same turn
  const b = w.inFlight.begin();
  assert.equal(w.inFlight.beganAtMs(a), 1_000);
  assert.equal(w.inFlight.beganAtMs(b), 1_000, 'same turn, same stamp: neither counts as begun after the other');
  w.endTurn();
  await w.advance(1);
  const c = w.inFlight.begin();
  assert.equal(w.inFlight.beganAtMs(c), 1_008);
  w.inFlight.end(a);
  assert.equal(w.inFlight.beganAtMs(a), undefined);
});

test('settled: the oldest unfinished start, or now; requests older than the limit are not waited for', async () => {
  const w = world();
  assert.equal(w.inFlight.settledMs(), 1_000, 'nothing in flight: now');
  const slow = w.inFlight.begin();
  w.endTurn();
  await w.advance(50);
  const quick = w.inFlight.begin();
  assert.equal(w.inFlight.settledMs(), 1_000);
  await w.advance(3_000);
  assert.equal(w.inFlight.settledMs(2_000), 4_050, 'both are older than 2 s: not waited for');
  w.inFlight.end(slow);
  assert.equal(w.inFlight.settledMs(), 1_050);
  w.inFlight.end(quick);
  assert.equal(w.inFlight.settledMs(), 4_050);
  assert.equal(w.inFlight.size, 0);
});

test('waitSettled resolves when the requests begun by then end, at once when none are, and at the latest after its timeout', async () => {
  const w = world();
  await w.inFlight.waitSettled(1_000, 10_000, 2_000); // nothing in flight: at once
  const earlier = w.inFlight.begin();
  w.endTurn();
  await w.advance(5);
  const later = w.inFlight.begin(); // begun after the moment waited for
  let settled = false;
  const waiting = w.inFlight.waitSettled(1_002, 10_000, 2_000).then(() => { settled = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the earlier request is still being taken in');
  w.inFlight.end(later);
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'a request begun later does not count');
  w.inFlight.end(earlier);
  await waiting;
  assert.equal(settled, true);
  // A request that never ends holds a waiter only until its timeout, on the injected clock.
  w.inFlight.begin();
  let timedOut = false;
  const stuck = w.inFlight.waitSettled(w.clock.nowMs(), 30, 2_000).then(() => { timedOut = true; });
  await w.advance(29);
  assert.equal(timedOut, false, 'not before its timeout');
  await w.advance(1);
  await stuck;
  assert.equal(timedOut, true, 'waited for the timeout');
  // An aborted job stops waiting at once.
  const abort = new AbortController();
  const aborted = w.inFlight.waitSettled(w.clock.nowMs(), 10_000, 2_000, abort.signal);
  abort.abort();
  await aborted;
});
