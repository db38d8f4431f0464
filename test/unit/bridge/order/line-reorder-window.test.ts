/**
 * Hold policy `reorder-window` (src/bridge/order/line-reorder-window.ts): the
 * line's window learns from overtakes, not from delays against MAX's clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LINE_WINDOW_MARGIN_MS } from '../../../../src/bridge/order/constants.ts';
import type { ConversationId, MessageKey } from '../../../../src/domain/ids.ts';
import { LineReorderWindow } from '../../../../src/bridge/order/line-reorder-window.ts';
import { sortKeyOf, type OutboxMethod, type PendingOutboxRow } from '../../../../src/store/repos/outbox-repo.ts';

let nextId = 1;
function row(conversationId: string, method: OutboxMethod, tsMs: number, createdAtMs = 0, seq = 0): PendingOutboxRow {
  return { id: nextId++, conversationId: conversationId as ConversationId, method, messageKey: `k${nextId}` as MessageKey, sortKey: sortKeyOf(tsMs, seq), createdAtMs, tried: false, tsMs, arrivedMs: createdAtMs, item: {} };
}

test('the line window holds an item as long as recent deliveries were overtaken, up to the cap; a clock offset and steady delays cost nothing', () => {
  const w = new LineReorderWindow(1_000);
  const at = (id: string, tsMs: number, arrivedMs: number) => ({ ...row(id, 'send', tsMs, arrivedMs), arrivedMs });
  // MAX's clock is 700 ms behind ours and every delivery takes 40 ms: nothing was overtaken.
  const steady = [at('a', 10_000, 10_740), at('b', 10_005, 10_745), at('c', 10_010, 10_750)];
  w.observe('L', steady, 10_750);
  assert.equal(w.maxStraggleMs('L', 10_750), 0);
  assert.equal(w.eligibleAtMs('L', steady[2]!, 10_750), 10_750 + LINE_WINDOW_MARGIN_MS, 'a line with no overtakes: the margin only');
  // d (MAX 10_020) arrives 30 ms after e (MAX 10_030): d was overtaken; its way took 40 ms longer.
  const e = at('e', 10_030, 10_770);
  const d = at('d', 10_020, 10_800);
  w.observe('L', [e], 10_770);
  w.observe('L', [d], 10_800);
  assert.equal(w.maxStraggleMs('L', 10_800), 40);
  const next = at('a', 10_100, 10_840);
  assert.equal(w.eligibleAtMs('L', next, 10_840), 10_840 + 2 * 40 + LINE_WINDOW_MARGIN_MS, 'twice the largest recent straggle');
  // One that itself came 160 ms later than the quickest way here: what was sent before it had
  // as long to arrive, so it waits that much less — here not at all.
  const tardy = at('g', 10_200, 11_100);
  w.observe('L', [tardy], 11_100);
  assert.equal(w.eligibleAtMs('L', tardy, 11_100), 10_200 + 740 + 2 * 40 + LINE_WINDOW_MARGIN_MS);
  assert.ok(w.eligibleAtMs('L', tardy, 11_100) < tardy.arrivedMs, 'it goes at once');
  // Seen in the other order (the late one read first, e.g. from another page of the outbox): the same.
  const v = new LineReorderWindow(1_000);
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
  const capped = new LineReorderWindow(35);
  capped.observe('L', [e, d], 10_800);
  assert.equal(capped.eligibleAtMs('L', next, 10_840), 10_840 + LINE_WINDOW_MARGIN_MS, 'a straggle above the cap is not learned: the margin only');
  assert.equal(new LineReorderWindow(0).eligibleAtMs('L', next, 10_840), 0, 'cap 0: off');
});

test('as a hold: reorder-window until the item may go, then nothing; off with a cap of 0', () => {
  const w = new LineReorderWindow(5_000);
  const item = { ...row('a', 'send', 10_000, 10_040), arrivedMs: 10_040 };
  w.observe('L', [item], 10_040);
  assert.deepEqual(w.whyNotYet('L', item, 10_040), { hold: 'reorder-window', lookAgainAtMs: 10_040 + LINE_WINDOW_MARGIN_MS });
  assert.equal(w.whyNotYet('L', item, 10_040 + LINE_WINDOW_MARGIN_MS), null);
  assert.equal(new LineReorderWindow(0).whyNotYet('L', item, 10_040), null);
  assert.equal(new LineReorderWindow(0).heldAtMostUntilMs(item), 0, 'nothing capped by it holds either');
  assert.equal(w.heldAtMostUntilMs(item), 10_040 + 5_000);
});
