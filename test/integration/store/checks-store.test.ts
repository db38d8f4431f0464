/**
 * What the checks keep in the store (docs/hooks.md, "Checks"), on both engines: a conversation's
 * tags and whether getOrCreate made it, gates (the client told once per verdict), an
 * administrator's release and block with the held queue woken, the verdicts looked up.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blockConversation, releaseConversation } from '../../../src/bridge/checks/gate-admin.ts';
import { makeConversationId, makeLineRef, parseBotId, parsePortalId } from '../../../src/domain/ids.ts';
import { conversationQueue, MAX_UPDATE_JOB } from '../../../src/queue/job-kinds.ts';
import { testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { storeFor } from '../../helpers/store.ts';

const shop = parseBotId('shop');
const line = makeLineRef(parsePortalId('main'), 1);

for (const engine of testEngines()) {
  describe(`checks in the store (${engine.name})`, () => {
    const clock = new ManualClock();
    const storeOf = storeFor(engine, clock);

    test('getOrCreateTracked says whether it made the row; tags are kept, set and rerouted with', async () => {
      const store = storeOf();
      const made = await store.conversations.getOrCreateTracked({ botId: shop, maxChatId: '11', maxUserId: '11', lineRef: line, tags: ['vip'] });
      assert.equal(made.created, true);
      assert.deepEqual(made.row.tags, ['vip']);
      const again = await store.conversations.getOrCreateTracked({ botId: shop, maxChatId: '11', maxUserId: '11', lineRef: line, tags: ['other'] });
      assert.equal(again.created, false);
      assert.deepEqual(again.row.tags, ['vip'], 'found, not changed');
      await store.conversations.setTags(made.row.id, ['vip', 'gold']);
      assert.deepEqual((await store.conversations.get(made.row.id))?.tags, ['vip', 'gold']);
      await store.conversations.reroute(made.row.id, { lineRef: line, routeName: 'r', routeJson: '{}', tags: [] });
      assert.deepEqual((await store.conversations.get(made.row.id))?.tags, []);
      const plain = await store.conversations.getOrCreate({ botId: shop, maxChatId: '12', maxUserId: '12', lineRef: line });
      assert.deepEqual(plain.tags, []);
    });

    test('a gate tells the client once per verdict: hold then block is told again', async () => {
      const store = storeOf();
      const id = makeConversationId(shop, '21');
      await store.hooks.setGate({ conversationId: id, verdict: 'hold', checkName: 'af', note: null });
      assert.equal(await store.hooks.markReplied(id), true);
      assert.equal(await store.hooks.markReplied(id), false);
      await store.hooks.setGate({ conversationId: id, verdict: 'hold', checkName: 'af', note: 'again' });
      assert.equal(await store.hooks.markReplied(id), false, 'the same verdict: told already');
      await store.hooks.setGate({ conversationId: id, verdict: 'block', checkName: 'admin', note: null });
      assert.equal(await store.hooks.markReplied(id), true, 'a new verdict: told afresh');
    });

    test('release lifts the gate, records the admin verdict and wakes the held queue; block needs a known conversation', async () => {
      const store = storeOf();
      const id = makeConversationId(shop, '31');
      const queue = conversationQueue(id);
      const jobs = [
        await store.jobs.enqueue({ kind: MAX_UPDATE_JOB, conversationKey: queue, payload: { botId: 'shop' }, runAtMs: clock.nowMs() + 30_000 }),
        await store.jobs.enqueue({ kind: MAX_UPDATE_JOB, conversationKey: queue, payload: { botId: 'shop' } }),
      ];
      const other = await store.jobs.enqueue({ kind: MAX_UPDATE_JOB, conversationKey: conversationQueue(makeConversationId(shop, '32')), payload: { botId: 'shop' }, runAtMs: clock.nowMs() + 30_000 });
      await store.hooks.recordVerdict({ conversationId: id, checkName: 'af', verdict: 'hold', source: 'answer', route: null, tags: ['x'], note: null, eventId: 5, atMs: clock.nowMs() });
      await store.hooks.setGate({ conversationId: id, verdict: 'hold', checkName: 'af', note: null });
      assert.deepEqual(await releaseConversation(store, makeConversationId(shop, '39'), { nowMs: clock.nowMs(), note: null }), { done: false, reason: 'not-gated' });
      const released = await releaseConversation(store, id, { nowMs: clock.nowMs(), note: 'ok' });
      assert.equal(released.done && released.woken, 1, 'the put-back job runs now');
      assert.equal(Number((await store.jobs.get(jobs[0] as number))?.run_at_ms), clock.nowMs());
      assert.equal(Number((await store.jobs.get(other))?.run_at_ms), clock.nowMs() + 30_000, 'other queues untouched');
      assert.equal(await store.hooks.gate(id), null);
      assert.deepEqual((await store.hooks.latestVerdict(id))?.source, 'admin');
      assert.deepEqual((await store.hooks.verdictsOfEvent(id, 5)).map((v) => [v.checkName, v.verdict, v.tags]), [['af', 'hold', ['x']]]);
      assert.deepEqual(await blockConversation(store, makeConversationId(shop, '40'), { nowMs: clock.nowMs(), note: null }), { done: false, reason: 'unknown' });
      const blocked = await blockConversation(store, id, { nowMs: clock.nowMs(), note: 'жалоба' });
      assert.equal(blocked.done && blocked.gate?.verdict, 'block');
      assert.deepEqual((await store.hooks.verdictsOf(id)).map((v) => [v.checkName, v.verdict, v.source]), [['af', 'hold', 'answer'], ['af', 'allow', 'admin'], ['admin', 'block', 'admin']]);
    });
  });
}
