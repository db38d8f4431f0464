import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlightRequests } from '../../../src/domain/in-flight.ts';

/** A clock and an "after the turn" the test moves by hand. */
function world() {
  let nowMs = 1_000;
  const pending: Array<() => void> = [];
  const inFlight = new InFlightRequests(() => nowMs, (fn) => pending.push(fn));
  return {
    inFlight,
    advance: (ms: number) => { nowMs += ms; },
    endTurn: () => { for (const fn of pending.splice(0)) fn(); },
  };
}

test('requests begun in one turn of the event loop share its stamp; the next turn gets a new one', () => {
  const w = world();
  const a = w.inFlight.begin();
  w.advance(7); // a busy poll phase: the second request is taken in 7 ms later, in the same turn
  const b = w.inFlight.begin();
  assert.equal(w.inFlight.beganAtMs(a), 1_000);
  assert.equal(w.inFlight.beganAtMs(b), 1_000, 'same turn, same stamp: neither counts as begun after the other');
  w.endTurn();
  w.advance(1);
  const c = w.inFlight.begin();
  assert.equal(w.inFlight.beganAtMs(c), 1_008);
  w.inFlight.end(a);
  assert.equal(w.inFlight.beganAtMs(a), undefined);
});

test('settled: the oldest unfinished start, or now; requests older than the limit are not waited for', () => {
  const w = world();
  assert.equal(w.inFlight.settledMs(), 1_000, 'nothing in flight: now');
  const slow = w.inFlight.begin();
  w.endTurn();
  w.advance(50);
  const quick = w.inFlight.begin();
  assert.equal(w.inFlight.settledMs(), 1_000);
  w.advance(3_000);
  assert.equal(w.inFlight.settledMs(2_000), 4_050, 'both are older than 2 s: not waited for');
  w.inFlight.end(slow);
  assert.equal(w.inFlight.settledMs(), 1_050);
  w.inFlight.end(quick);
  assert.equal(w.inFlight.settledMs(), 4_050);
  assert.equal(w.inFlight.size, 0);
});

test('waitSettled resolves when the requests begun by then end, at once when none are, and at the latest after its timeout', async () => {
  const w = world();
  await w.inFlight.waitSettled(1_000, 10_000); // nothing in flight: at once
  const earlier = w.inFlight.begin();
  w.endTurn();
  w.advance(5);
  const later = w.inFlight.begin(); // begun after the moment waited for
  let settled = false;
  const waiting = w.inFlight.waitSettled(1_002, 10_000).then(() => { settled = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the earlier request is still being taken in');
  w.inFlight.end(later);
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'a request begun later does not count');
  w.inFlight.end(earlier);
  await waiting;
  assert.equal(settled, true);
  // A request that never ends holds a waiter only until its timeout (real 30 ms here).
  w.inFlight.begin();
  const startedAt = Date.now();
  await w.inFlight.waitSettled(2_000, 30);
  assert.ok(Date.now() - startedAt >= 25, 'waited for the timeout');
  // An aborted job stops waiting at once.
  const abort = new AbortController();
  const aborted = w.inFlight.waitSettled(2_000, 10_000, abort.signal);
  abort.abort();
  await aborted;
});
