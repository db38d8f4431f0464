/**
 * The line flush reads the oldest pending rows in queue order; a message
 * queued after a later one of its conversation (a late arrival, a catch-up)
 * can lie beyond them. The outbox gives the keys of every pending row of the
 * conversations read, and reads a conversation's pending rows whole. Real
 * databases.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { conversationsWithUnreadEarlier } from '../../../src/bridge/line-flush.ts';
import { makeConversationId, makeLineRef, makeMessageKey, parseBotId, parsePortalId, type ConversationId } from '../../../src/domain/ids.ts';
import { sortKeyOf, type OutboxMethod } from '../../../src/store/repos/outbox-repo.ts';
import { testEngines } from '../../helpers/databases.ts';
import { storeFor } from '../../helpers/store.ts';

for (const engine of testEngines()) {
  describe(`outbox rows beyond a flush's read (${engine.name})`, () => {
    const storeOf = storeFor(engine);

    const portal = parsePortalId('main');
    const line = makeLineRef(portal, 1);
    const conversation = (chatId: number) => makeConversationId(parseBotId('shop'), String(chatId));
    const a = conversation(1);
    const b = conversation(2);
    const queue = async (conversationId: ConversationId, mid: string, tsMs: number, method: OutboxMethod = 'send') => {
      const store = storeOf();
      await store.transaction((trx) => store.outbox.enqueue([{
        lineRef: line, conversationId, method, messageKey: makeMessageKey(mid), sortKey: sortKeyOf(tsMs), tsMs, arrivedMs: tsMs,
        item: { message: { id: mid, text: mid } },
      }], portal, trx));
    };

    test('a message queued after later ones of its conversation is found and read with its conversation', async () => {
      const store = storeOf();
      await queue(a, 'a-1', 1_000);
      await queue(a, 'a-3', 3_000);
      for (let i = 0; i < 30; i++) await queue(conversation(100 + i), `o-${i}`, 1_500 + i);
      await queue(a, 'a-2', 2_000); // queued after a-3, written before it
      await queue(b, 'b-1', 1_200);
      await queue(a, 'a-4', 4_000, 'update');
      const firstPage = await store.outbox.pending(line, 10);
      assert.deepEqual(firstPage.slice(0, 2).map((r) => r.messageKey), ['a-1', 'a-3']);
      assert.ok(!firstPage.some((r) => r.messageKey === 'a-2'), 'the first page does not hold a-2');
      const conversations = [...new Set(firstPage.map((r) => r.conversationId))];
      const keys = await store.outbox.pendingKeys(line, conversations);
      assert.deepEqual(keys.filter((k) => k.conversationId === a).map((k) => [k.method, k.sortKey]).sort(),
        [['send', sortKeyOf(1_000)], ['send', sortKeyOf(2_000)], ['send', sortKeyOf(3_000)], ['update', sortKeyOf(4_000)]].sort());
      assert.deepEqual(conversationsWithUnreadEarlier(firstPage, keys), [a]);
      const whole = await store.outbox.pendingOf(line, [a]);
      assert.deepEqual(whole.map((r) => r.messageKey), ['a-1', 'a-3', 'a-2', 'a-4'], 'every pending row of a, in queue order');
      // Once a-2 went out, what was read of a is complete again.
      const a2 = whole.find((r) => r.messageKey === 'a-2')!;
      await store.transaction((trx) => store.outbox.finish(a2.id, 'sent', null, trx));
      assert.deepEqual(conversationsWithUnreadEarlier(firstPage, await store.outbox.pendingKeys(line, conversations)), []);
      assert.deepEqual(await store.outbox.pendingOf(line, []), []);
      assert.deepEqual(await store.outbox.pendingKeys(line, []), []);
    });
  });
}
