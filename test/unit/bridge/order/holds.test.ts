/**
 * The order gate's hold policies one by one, as pure rules (src/bridge/order/*):
 * what each holds, until when it says to look again, and when it lets go. The
 * gate composing them over a real database is test/integration/store/order-gate.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catchUpHold } from '../../../../src/bridge/order/catch-up-hold.ts';
import { GRACE_MS, HEARTBEAT_MS, INTAKE_RECHECK_MS, STORED_HOLD_RECHECK_MS } from '../../../../src/bridge/order/constants.ts';
import type { ConversationId, MessageKey } from '../../../../src/domain/ids.ts';
import { describeHold } from '../../../../src/bridge/order/hold-reason.ts';
import { inFlightHold } from '../../../../src/bridge/order/in-flight-hold.ts';
import { peersHold } from '../../../../src/bridge/order/peers-barrier.ts';
import { storedUpdateHold } from '../../../../src/bridge/order/stored-update-hold.ts';
import { sortKeyOf, type PendingOutboxRow } from '../../../../src/store/repos/outbox-repo.ts';

const now = 100_000;
const item = (tsMs: number, arrivedMs: number): PendingOutboxRow => ({
  id: 1, conversationId: 'bot:1' as ConversationId, method: 'send', messageKey: 'm' as MessageKey, sortKey: sortKeyOf(tsMs), createdAtMs: arrivedMs, tried: false, tsMs, arrivedMs, item: {},
});

test('catch-up: a conversation whose history is being read waits, looked at again shortly; none otherwise', () => {
  assert.deepEqual(catchUpHold(true, now), { hold: 'catch-up', lookAgainAtMs: now + STORED_HOLD_RECHECK_MS });
  assert.equal(catchUpHold(false, now), null);
});

test('in-flight: an item that arrived with or after a request still being taken in waits a few ms, never past the cap', () => {
  // Everything begun before 99_990 is settled; the item arrived at 99_995: a request begun before it is open.
  assert.deepEqual(inFlightHold(99_995, 99_990, 104_995, now), { hold: 'in-flight', lookAgainAtMs: now + INTAKE_RECHECK_MS });
  assert.deepEqual(inFlightHold(99_990, 99_990, 104_990, now)?.hold, 'in-flight', 'begun in the same turn: it waits too');
  assert.equal(inFlightHold(99_980, 99_990, 104_980, now), null, 'everything begun with it is settled');
  assert.equal(inFlightHold(99_995, 99_990, now, now), null, 'past the cap (or the window off: 0) it holds no more');
});

test('peers: an item waits until every other process beat, settled, GRACE_MS after it arrived', () => {
  const arrivedMs = now - 100;
  assert.equal(peersHold([], arrivedMs, now), null, 'one process: nothing to wait for');
  const fresh = { id: 'b', beatMs: now, settledMs: arrivedMs + GRACE_MS };
  assert.equal(peersHold([fresh], arrivedMs, now), null);
  const early = { id: 'c', beatMs: arrivedMs + GRACE_MS - 1, settledMs: arrivedMs + GRACE_MS - 1 };
  assert.deepEqual(peersHold([fresh, early], arrivedMs, now), { hold: 'peers', lookAgainAtMs: now + HEARTBEAT_MS });
  const alive = { id: 'd', beatMs: now, settledMs: arrivedMs - 10 };
  assert.equal(peersHold([alive], arrivedMs, now)?.hold, 'peers', 'alive but still taking in a request begun before the item');
});

test('stored updates: an earlier one goes first however long; a later one may bring an earlier message, up to the cap', () => {
  const it = item(50_000, 99_000);
  assert.equal(storedUpdateHold(it, undefined, 104_000, now), null, 'nothing stored and unprocessed');
  assert.deepEqual(storedUpdateHold(it, 49_000, 104_000, now), { hold: 'earlier-update', lookAgainAtMs: now + STORED_HOLD_RECHECK_MS });
  assert.equal(storedUpdateHold(it, 50_000, 104_000, now)?.hold, 'earlier-update', 'stamped in the same millisecond: it goes first');
  assert.equal(storedUpdateHold(it, 49_000, 0, now + 3_600_000)?.hold, 'earlier-update', 'an hour later, with the window off: still held');
  assert.deepEqual(storedUpdateHold(it, 51_000, 104_000, now), { hold: 'update-in-process', lookAgainAtMs: 104_000 });
  assert.equal(storedUpdateHold(it, 51_000, 104_000, 104_000), null, 'the cap reached');
  assert.equal(storedUpdateHold(it, 51_000, 0, now), null, 'window off');
});

test('every hold has a sentence for people', () => {
  for (const hold of ['catch-up', 'earlier-update', 'update-in-process', 'in-flight', 'peers', 'reorder-window', 'operator-window'] as const) {
    assert.ok(describeHold({ hold, lookAgainAtMs: 0 }).length > 10, hold);
  }
});
