/**
 * The repository methods the pipelines call instead of writing SQL themselves
 * (lines, jobs, conversations, outbound parts and uploads, polling bots, and
 * store.transaction across several of them), on both engines with real
 * databases and a manual clock.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeConversationId, makeLineRef, makeMessageKey, parseBotId, parsePortalId, type ConversationId, type LineRef, type PortalId } from '../../../src/domain/ids.ts';
import type { Store } from '../../../src/store/open-store.ts';
import { sortKeyOf } from '../../../src/store/repos/outbox-repo.ts';
import { testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { storeFor } from '../../helpers/store.ts';

const shop = parseBotId('shop');

async function queueSend(store: Store, portalId: PortalId, lineRef: LineRef, conversationId: ConversationId, mid: string): Promise<void> {
  await store.transaction((trx) => store.outbox.enqueue([{
    lineRef, conversationId, method: 'send', messageKey: makeMessageKey(mid), sortKey: sortKeyOf(1_000), tsMs: 1_000, arrivedMs: 1_000, item: { message: { id: mid } },
  }], portalId, trx));
}

for (const engine of testEngines()) {
  describe(`pipeline repositories (${engine.name})`, () => {
    const clock = new ManualClock();
    const storeOf = storeFor(engine, clock);

    test('a line set up anew takes over the conversations and the waiting messages of the portal\'s earlier line, which is forgotten', async () => {
      const store = storeOf();
      const portal = parsePortalId('moved');
      const other = parsePortalId('other');
      const first = await store.transaction((trx) => store.lines.setUp(portal, 1, 'max_bridge', trx));
      const untouched = await store.transaction((trx) => store.lines.setUp(other, 1, 'max_bridge', trx));
      const conversation = await store.conversations.getOrCreate({ botId: shop, maxChatId: '501', maxUserId: '5', lineRef: first });
      const elsewhere = await store.conversations.getOrCreate({ botId: shop, maxChatId: '502', maxUserId: '6', lineRef: untouched });
      await queueSend(store, portal, first, conversation.id, 'mid.waiting');
      await clock.advance(10);
      const second = await store.transaction((trx) => store.lines.setUp(portal, 7, 'max_bridge', trx));
      assert.equal(second, makeLineRef(portal, 7));
      assert.equal(await store.lines.stateOf(first), null, 'the earlier line is forgotten');
      assert.equal(await store.lines.stateOf(second), 'active');
      assert.deepEqual(await store.lines.latestOf(portal), { lineId: 7, active: true });
      assert.equal((await store.conversations.get(conversation.id))?.lineRef, second);
      assert.equal((await store.conversations.get(elsewhere.id))?.lineRef, untouched, 'another portal\'s conversations stay');
      assert.equal(await store.outbox.countPending(second), 1);
      assert.equal(await store.outbox.countPending(first), 0);
      assert.deepEqual((await store.lines.portalIds()).filter((p) => p === portal || p === other).sort(), [portal, other]);
    });

    test('a paused line keeps the first reason it was paused for, is listed with it, and works again once reactivated', async () => {
      const store = storeOf();
      const portal = parsePortalId('paused');
      const line = await store.transaction((trx) => store.lines.setUp(portal, 3, 'max_bridge', trx));
      await store.lines.pause(portal, 99, 'another line');
      assert.equal(await store.lines.stateOf(line), 'active', 'pausing line 99 leaves line 3 alone');
      await store.lines.pause(portal, 3, 'line deleted in Bitrix24');
      await store.lines.pause(portal, null, 'app uninstalled');
      const paused = (await store.lines.paused()).filter((l) => l.portalId === portal);
      assert.deepEqual(paused, [{ ref: line, portalId: portal, lineId: 3, state: 'paused', pausedReason: 'line deleted in Bitrix24' }]);
      assert.deepEqual(await store.lines.activeLineIds(portal), []);
      assert.deepEqual(await store.lines.latestOf(portal), { lineId: 3, active: false });
      await store.lines.reactivate(line);
      assert.equal(await store.lines.stateOf(line), 'active');
      assert.deepEqual(await store.lines.activeLineIds(portal), [3]);
    });

    test('jobs that waited for a line run at once when it is restored; other pending jobs keep their time', async () => {
      const store = storeOf();
      const later = clock.nowMs() + 60_000;
      const waiting = await store.jobs.enqueue({ kind: 'k', conversationKey: 'wait-line', payload: {}, runAtMs: later });
      const other = await store.jobs.enqueue({ kind: 'k', conversationKey: 'wait-other', payload: {}, runAtMs: later });
      await store.db.updateTable('jobs').set({ last_error_code: 'BRG_ERR_LINE_PAUSED' }).where('id', '=', waiting).execute();
      await store.db.updateTable('jobs').set({ last_error_code: 'BRG_ERR_MAX_UNAVAILABLE' }).where('id', '=', other).execute();
      await clock.advance(5);
      await store.jobs.runNowAfter(['BRG_ERR_NO_ROUTE', 'BRG_ERR_LINE_PAUSED']);
      assert.equal(Number((await store.jobs.get(waiting))?.run_at_ms), clock.nowMs());
      assert.equal(Number((await store.jobs.get(other))?.run_at_ms), later);
      assert.equal(await store.jobs.hasUnfinished('wait-line', 'k'), true);
      assert.equal(await store.jobs.hasUnfinished('wait-line', 'other-kind'), false);
      assert.equal(await store.jobs.hasUnfinished('nowhere', 'k'), false);
    });

    test('an operator reply stored after the one being handled is found among the later pending events of its chat, in queue order', async () => {
      const store = storeOf();
      const key = 'b24:p:chat-1';
      const record = (n: number, kind: string, conversationKey = key) => store.events.record({
        source: 'bitrix24:p', kind, dedupeKey: `later-${n}`, raw: `event=${kind}&n=${n}`, jobs: [{ kind: 'bitrix24.event', conversationKey, payload: { portalId: 'p' } }],
      });
      const current = (await record(1, 'ONIMCONNECTORMESSAGEADD')).jobIds[0] as number;
      await record(2, 'ONIMCONNECTORMESSAGEUPDATE');
      await record(3, 'ONIMCONNECTORMESSAGEADD');
      await record(4, 'ONIMCONNECTORMESSAGEADD', 'b24:p:chat-2');
      await record(5, 'ONIMCONNECTORMESSAGEADD');
      assert.deepEqual(await store.jobs.laterPendingEvents(key, current, 'ONIMCONNECTORMESSAGEADD'),
        ['event=ONIMCONNECTORMESSAGEADD&n=3', 'event=ONIMCONNECTORMESSAGEADD&n=5']);
    });

    test('conversations with an Open Lines chat are found by id, and the recently changed ones for the reconciliation', async () => {
      const store = storeOf();
      const line = makeLineRef(parsePortalId('chats'), 1);
      const withChat = await store.conversations.getOrCreate({ botId: shop, maxChatId: '601', maxUserId: '1', lineRef: line });
      const without = await store.conversations.getOrCreate({ botId: shop, maxChatId: '602', maxUserId: '2', lineRef: line });
      const since = clock.nowMs();
      await clock.advance(1);
      await store.conversations.setBitrixIds(withChat.id, '9001', '77');
      assert.deepEqual(await store.conversations.bitrixChatsOf([withChat.id, without.id]), [{ id: withChat.id, bitrixChatId: '9001' }]);
      assert.deepEqual(await store.conversations.bitrixChatsOf([]), []);
      assert.deepEqual(await store.conversations.recentWithBitrixChat(since), [{ id: withChat.id, lineRef: line, bitrixChatId: '9001' }]);
      assert.deepEqual(await store.conversations.recentWithBitrixChat(clock.nowMs()), []);
    });

    test('a part of an operator message is recorded once (a retry keeps the first mid); an edit\'s part takes the new mid', async () => {
      const store = storeOf();
      const conversation = makeConversationId(shop, '701');
      assert.equal(await store.outboundParts.sentMid(conversation, '55', 0), undefined);
      await store.outboundParts.record(conversation, '55', 0, 'mid.first');
      await store.outboundParts.record(conversation, '55', 0, 'mid.again');
      await store.outboundParts.record(conversation, '55', 1, null);
      assert.equal(await store.outboundParts.sentMid(conversation, '55', 0), 'mid.first');
      assert.equal(await store.outboundParts.sentMid(conversation, '55', 1), null, 'sent, no mid known');
      assert.equal(await store.outboundParts.anySent(conversation, '55'), true);
      await store.outboundParts.recordEdited(conversation, '55', 1, 'mid.edited');
      const parts = await store.outboundParts.partsOf(conversation, '55');
      assert.deepEqual(parts.map((p) => [p.part, p.maxMid]), [[0, 'mid.first'], [1, 'mid.edited']]);
      await store.outboundParts.forgetPart(parts[1]!.id);
      assert.deepEqual((await store.outboundParts.partsOf(conversation, '55')).map((p) => p.part), [0]);
      await store.outboundParts.forgetMessage(conversation, '55');
      assert.equal(await store.outboundParts.anySent(conversation, '55'), false);
      assert.equal(await store.operatorNotices.isOurs('1234'), false);
      await store.operatorNotices.record('1234', conversation, 'blocked');
      await store.operatorNotices.record('1234', conversation, 'again');
      assert.equal(await store.operatorNotices.isOurs('1234'), true);
    });

    test('an operator file\'s upload is remembered per part, replaced by a newer one, swept once old, and forgotten when delivered', async () => {
      const store = storeOf();
      const conversationId = makeConversationId(shop, '801');
      const key = { conversationId, imMessageId: '66', part: 0 };
      assert.equal(await store.outboundUploads.get(key), null);
      await store.outboundUploads.remember(key, { type: 'file', payload: { token: 'T1' } }, 1_000, 0);
      assert.deepEqual(await store.outboundUploads.get(key), { attachment: { type: 'file', payload: { token: 'T1' } }, createdAtMs: 1_000 });
      await store.outboundUploads.remember(key, { type: 'file', payload: { token: 'T2' } }, 2_000, 0);
      assert.deepEqual((await store.outboundUploads.get(key))?.attachment, { type: 'file', payload: { token: 'T2' } });
      const old = { conversationId, imMessageId: '67', part: 0 };
      await store.outboundUploads.remember(old, { type: 'image' }, 500, 0);
      await store.outboundUploads.remember({ ...key, part: 1 }, { type: 'video' }, 3_000, 1_000);
      assert.equal(await store.outboundUploads.get(old), null, 'rows older than the sweep bound are dropped');
      await store.outboundUploads.forget(conversationId, '66');
      assert.equal(await store.outboundUploads.get(key), null);
      // A damaged row (not an object) reads as never uploaded: the file is uploaded again.
      await store.db.insertInto('outbound_uploads').values({ conversation_id: conversationId, bitrix_message_id: '68', part: 0, attachment: '"text"', created_at_ms: 3_000 }).execute();
      assert.equal(await store.outboundUploads.get({ conversationId, imMessageId: '68', part: 0 }), null);
    });

    test('a polling batch whose transaction fails stores none of its updates and leaves the marker where it was', async () => {
      const store = storeOf();
      const bot = { id: parseBotId('poller'), name: 'poller', token: 'SECRET-TOKEN' };
      assert.equal(await store.bots.ensurePolling(bot), null, 'no marker before the first batch');
      await store.transaction((trx) => store.bots.setPollMarker(bot.id, '100', trx));
      await assert.rejects(store.transaction(async (trx) => {
        await store.events.record({ source: 'max:poller', kind: 'message_created', dedupeKey: 'poll-1', raw: '{}', jobs: [] }, trx);
        await store.bots.setPollMarker(bot.id, '200', trx);
        throw new Error('the process died before the commit');
      }), /died/);
      assert.equal(await store.bots.ensurePolling(bot), '100', 'the marker did not move');
      assert.equal(await store.events.findByKey('max:poller', 'poll-1'), undefined, 'the update was not stored');
      const row = await store.db.selectFrom('bots').select('token_enc').where('id', '=', bot.id).executeTakeFirstOrThrow();
      assert.ok(!row.token_enc.includes('SECRET-TOKEN'), 'the token is sealed at rest');
    });
  });
}
