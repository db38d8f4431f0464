/**
 * At a process start (catch-up.ts): every conversation with client messages
 * still waiting for the line gets one `max.catchup` job in its own queue —
 * not two when several processes start, none for a conversation whose
 * messages all went out. Real databases.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scheduleCatchUps } from '../../../src/bridge/catch-up.ts';
import { makeLineRef, makeMessageKey, parseBotId, parsePortalId, type ConversationId } from '../../../src/domain/ids.ts';
import { MAX_CATCHUP_JOB } from '../../../src/queue/job-kinds.ts';
import { sortKeyOf } from '../../../src/store/repos/outbox-repo.ts';
import { testEngines } from '../../helpers/databases.ts';
import { storeFor } from '../../helpers/store.ts';

for (const engine of testEngines()) {
  describe(`catch-up jobs at start (${engine.name})`, () => {
    const storeOf = storeFor(engine);

    const portal = parsePortalId('main');
    const line = makeLineRef(portal, 1);
    const shop = parseBotId('shop');
    const queue = async (conversationId: ConversationId, mid: string) => {
      const store = storeOf();
      await store.transaction((trx) => store.outbox.enqueue([{
        lineRef: line, conversationId, method: 'send', messageKey: makeMessageKey(mid), sortKey: sortKeyOf(1_000), tsMs: 1_000, arrivedMs: 1_000,
        item: { message: { id: mid, text: 'x' } },
      }], portal, trx));
    };

    test('one job per conversation with messages waiting, none for the others, none twice', async () => {
      const store = storeOf();
      const waiting = await store.conversations.getOrCreate({ botId: shop, maxChatId: '101', maxUserId: '7', lineRef: line });
      const done = await store.conversations.getOrCreate({ botId: shop, maxChatId: '102', maxUserId: '8', lineRef: line });
      await queue(waiting.id, 'mid.a');
      await queue(done.id, 'mid.b');
      const sent = await store.db.selectFrom('line_outbox').select('id').where('conversation_id', '=', done.id).executeTakeFirstOrThrow();
      await store.db.transaction().execute((trx) => store.outbox.finish(Number(sent.id), 'sent', null, trx));

      assert.equal(await scheduleCatchUps(store), 1);
      assert.equal(await scheduleCatchUps(store), 0, 'a second process starting finds the job pending');
      const jobs = await store.db.selectFrom('jobs').select(['conversation_key', 'payload']).where('kind', '=', MAX_CATCHUP_JOB).execute();
      assert.deepEqual(jobs.map((j) => [j.conversation_key, JSON.parse(j.payload) as unknown]), [[`max:${waiting.id}`, { botId: 'shop', conversationId: waiting.id }]]);
    });
  });
}
