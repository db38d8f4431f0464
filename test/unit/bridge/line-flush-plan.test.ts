import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrivalRatePerS, conversationsWithUnreadEarlier, pickBatch } from '../../../src/bridge/line-flush.ts';
import { REORDER_MARGIN_MS, ReorderWatermark } from '../../../src/bridge/reorder-watermark.ts';
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
  const plan = pickBatch([held, status], 50, 1_000, (r) => (r.method === 'send' ? 2_000 : 0));
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

test('an item not yet eligible holds its conversation back; others go', () => {
  const fresh = row('a', 'send', 5, 1_000);
  const olderOfB = row('b', 'send', 1, 900);
  const eligibleAt = (r: PendingOutboxRow) => r.createdAtMs + 100;
  const plan = pickBatch([fresh, olderOfB], 50, 1_050, eligibleAt);
  assert.deepEqual(plan.batch.map((r) => r.id), [olderOfB.id]);
  assert.equal(plan.nextEligibleAtMs, 1_100);
  assert.deepEqual(pickBatch([fresh], 50, 1_100, eligibleAt).batch.map((r) => r.id), [fresh.id]);
});

test('the watermark holds an item as long as recent deliveries were overtaken, up to the cap; a clock offset and steady delays cost nothing', () => {
  const w = new ReorderWatermark(1_000);
  const at = (id: string, tsMs: number, arrivedMs: number) => ({ ...row(id, 'send', tsMs, arrivedMs), arrivedMs });
  // MAX's clock is 700 ms behind ours and every delivery takes 40 ms: nothing was overtaken.
  const steady = [at('a', 10_000, 10_740), at('b', 10_005, 10_745), at('c', 10_010, 10_750)];
  w.observe('L', steady, 10_750);
  assert.equal(w.maxStraggleMs('L', 10_750), 0);
  assert.equal(w.eligibleAtMs('L', steady[2]!, 10_750), 10_750 + REORDER_MARGIN_MS, 'a line with no overtakes: the margin only');
  // d (MAX 10_020) arrives 30 ms after e (MAX 10_030): d was overtaken; its way took 40 ms longer.
  const e = at('e', 10_030, 10_770);
  const d = at('d', 10_020, 10_800);
  w.observe('L', [e], 10_770);
  w.observe('L', [d], 10_800);
  assert.equal(w.maxStraggleMs('L', 10_800), 40);
  const next = at('a', 10_100, 10_840);
  assert.equal(w.eligibleAtMs('L', next, 10_840), 10_840 + 2 * 40 + REORDER_MARGIN_MS, 'twice the largest recent straggle');
  // One that itself came 160 ms later than the quickest way here: what was sent before it had
  // as long to arrive, so it waits that much less — here not at all.
  const tardy = at('g', 10_200, 11_100);
  w.observe('L', [tardy], 11_100);
  assert.equal(w.eligibleAtMs('L', tardy, 11_100), 10_200 + 740 + 2 * 40 + REORDER_MARGIN_MS);
  assert.ok(w.eligibleAtMs('L', tardy, 11_100) < tardy.arrivedMs, 'it goes at once');
  // Seen in the other order (the late one read first, e.g. from another page of the outbox): the same.
  const v = new ReorderWatermark(1_000);
  v.observe('L', [d], 10_800);
  v.observe('L', [e], 10_800);
  assert.equal(v.maxStraggleMs('L', 10_800), 40);
  // A MAX retry (60 s late) is above the cap: not learned from, and it goes at once.
  const retried = at('f', 10_000 - 60_000, 10_810);
  w.observe('L', [retried], 10_810);
  assert.equal(w.maxStraggleMs('L', 10_810), 40, 'the retry taught nothing');
  // Forgotten after the horizon.
  w.observe('L', [], 21_000);
  assert.equal(w.maxStraggleMs('L', 21_000), 0, 'ten seconds later the line is quiet again');
  const capped = new ReorderWatermark(35);
  capped.observe('L', [e, d], 10_800);
  assert.equal(capped.eligibleAtMs('L', next, 10_840), 10_840 + REORDER_MARGIN_MS, 'a straggle above the cap is not learned: the margin only');
  assert.equal(new ReorderWatermark(0).eligibleAtMs('L', next, 10_840), 0, 'cap 0: off');
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
