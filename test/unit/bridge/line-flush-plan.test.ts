import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrivalRatePerS, conversationsWithUnreadEarlier, pickBatch } from '../../../src/bridge/line-flush.ts';
import type { HoldReason } from '../../../src/bridge/order/hold-reason.ts';
import type { ConversationId, MessageKey } from '../../../src/domain/ids.ts';
import { sortKeyOf, type OutboxMethod, type PendingOutboxRow } from '../../../src/store/repos/outbox-repo.ts';

let nextId = 1;
function row(conversationId: string, method: OutboxMethod, tsMs: number, createdAtMs = 0, seq = 0): PendingOutboxRow {
  // Short made-up ids ('a', 'b') keep the cases readable; the plan never parses them.
  return { id: nextId++, conversationId: conversationId as ConversationId, method, messageKey: `k${nextId}` as MessageKey, sortKey: sortKeyOf(tsMs, seq), createdAtMs, tried: false, tsMs, arrivedMs: createdAtMs, item: {} };
}

test('a batch takes one method and never lets an item overtake an earlier one of its conversation', () => {
  const rows = [row('a', 'send', 1), row('b', 'send', 1), row('a', 'update', 2), row('a', 'send', 3), row('b', 'send', 2), row('c', 'delete', 1)];
  const { batch } = pickBatch(rows, 50);
  assert.deepEqual(batch.map((r) => [r.conversationId, r.method]), [['a', 'send'], ['b', 'send'], ['b', 'send']]);
});

test('delivery statuses are a lane of their own: they neither wait for nor hold back client messages', () => {
  const rows = [row('a', 'send', 1), row('a', 'status', 2), row('a', 'send', 3), row('b', 'status', 1), row('b', 'send', 2), row('b', 'status', 3)];
  assert.deepEqual(pickBatch(rows, 50).batch.map((r) => [r.conversationId, r.method]), [['a', 'send'], ['a', 'send'], ['b', 'send']]);
  const statuses = rows.filter((r) => r.method === 'status');
  assert.deepEqual(pickBatch(statuses, 50).batch.map((r) => r.id), [statuses[0]!.id, statuses[1]!.id, statuses[2]!.id]);
  // A client message held by the reorder window does not hold the conversation's statuses.
  const held = row('c', 'send', 1, 1_000);
  const status = row('c', 'status', 2, 1_000);
  const plan = pickBatch([held, status], 50, (r) => (r.method === 'send' ? { hold: 'reorder-window', lookAgainAtMs: 2_000 } : null));
  assert.deepEqual(plan.batch.map((r) => r.id), [status.id]);
  assert.equal(plan.nextEligibleAtMs, 2_000);
});

test('within a conversation items go in MAX order (time, then seq), not arrival order', () => {
  const late = row('a', 'send', 2_000, 0, 5);
  const early = row('a', 'send', 1_000, 0, 9);
  const sameMsLowerSeq = row('a', 'send', 2_000, 0, 4);
  const { batch } = pickBatch([late, early, sameMsLowerSeq], 50);
  assert.deepEqual(batch.map((r) => r.id), [early.id, sameMsLowerSeq.id, late.id]);
});

test('seq values above 2^53 compare correctly as padded text', () => {
  assert.ok(sortKeyOf(5, '116688673966208835') < sortKeyOf(5, '116688673966208836'));
  assert.ok(sortKeyOf(5, '999') < sortKeyOf(5, '116688673966208835'));
  assert.ok(sortKeyOf(4, '116688673966208835') < sortKeyOf(5, '1'));
});

test('the batch is capped and chat renames go one per call', () => {
  const many = Array.from({ length: 120 }, (_, i) => row(`c${i}`, 'send', 1));
  assert.equal(pickBatch(many, 50).batch.length, 50);
  const renames = [row('a', 'chat_name', 1), row('b', 'chat_name', 1)];
  assert.equal(pickBatch(renames, 50).batch.length, 1);
});

test('an item the order gate holds holds its conversation back; others go', () => {
  const fresh = row('a', 'send', 5, 1_000);
  const olderOfB = row('b', 'send', 1, 900);
  const heldUntil = (nowMs: number) => (r: PendingOutboxRow): HoldReason | null =>
    (r.createdAtMs + 100 > nowMs ? { hold: 'reorder-window', lookAgainAtMs: r.createdAtMs + 100 } : null);
  const plan = pickBatch([fresh, olderOfB], 50, heldUntil(1_050));
  assert.deepEqual(plan.batch.map((r) => r.id), [olderOfB.id]);
  assert.equal(plan.nextEligibleAtMs, 1_100);
  assert.deepEqual(pickBatch([fresh], 50, heldUntil(1_100)).batch.map((r) => r.id), [fresh.id]);
});

test('a conversation with a message queued beyond the rows read but sorting before one read is named, so its rows are read whole', () => {
  // The flush read the oldest rows in queue order. a: its messages at 1 s and 3 s were read; the
  // one at 2 s was queued later (a catch-up) and was not — it lies between them. b: complete.
  // c: the unread item sorts after everything read of c (a later message): nothing to do.
  // d: the unread earlier item is a status (another lane).
  const read = [row('a', 'send', 1_000), row('a', 'send', 3_000), row('b', 'send', 1_000), row('c', 'send', 5_000), row('d', 'send', 5_000)];
  const key = (r: PendingOutboxRow) => ({ id: r.id, conversationId: r.conversationId, method: r.method, sortKey: r.sortKey });
  const aMiddle = row('a', 'send', 2_000);
  const pending = [...read.map(key), key(aMiddle), key(row('c', 'send', 6_000)), key(row('d', 'status', 1))];
  assert.deepEqual(conversationsWithUnreadEarlier(read, pending), ['a']);
  // An earlier edit counts too: it is in the same lane as the messages.
  assert.deepEqual(conversationsWithUnreadEarlier(read, [...read.map(key), key(row('c', 'update', 4_000))]), ['c']);
  // With a's rows read whole, the plan sends them in MAX order: 1 s, 2 s, 3 s.
  const plan = pickBatch([...read, aMiddle], 50);
  assert.deepEqual(plan.batch.filter((r) => r.conversationId === 'a').map((r) => r.tsMs), [1_000, 2_000, 3_000]);
  // Without it, 3 s would have gone before 2 s.
  assert.deepEqual(pickBatch(read, 50).batch.filter((r) => r.conversationId === 'a').map((r) => r.tsMs), [1_000, 3_000]);
});

test('the arrival rate shows a burst from its first moments, and a lone message as no burst', () => {
  const arrived = (ms: number, method: OutboxMethod = 'send') => ({ ...row('a', method, ms, ms), arrivedMs: ms });
  assert.equal(arrivalRatePerS([], 10_000), 0);
  assert.equal(arrivalRatePerS([arrived(9_990)], 10_000), 20, 'one message: counted over the 50 ms floor');
  // 40 messages in the last 20 ms: 2,000 per second — a burst, 40 calls/s in batches of 50.
  const burst = Array.from({ length: 40 }, (_, i) => arrived(9_980 + (i % 20)));
  assert.equal(arrivalRatePerS(burst, 10_000), 800, 'at least the 50 ms floor: 40 / 0.05 s');
  const spread = Array.from({ length: 40 }, (_, i) => arrived(9_600 + i * 10));
  assert.equal(arrivalRatePerS(spread, 10_000), 100, '40 over 400 ms');
  assert.equal(arrivalRatePerS([arrived(9_000), arrived(9_400)], 10_000), 0, 'older than half a second: not counted');
  assert.equal(arrivalRatePerS([arrived(9_990, 'status')], 10_000), 0, 'delivery statuses are not client messages');
});
