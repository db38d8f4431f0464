/**
 * Event webhooks end to end (issue 18; docs/hooks.md): the bridge and both emulators over HTTP,
 * a receiver written as a company would write one (test/helpers/hook-receiver.ts) verifying
 * every signature. Shown on SQLite and PostgreSQL:
 * - every event of a conversation's life arrives signed, once per event id, in the
 *   conversation's order (client messages, their delivery to the line, the operator's reply
 *   and its delivery, the session closed);
 * - a receiver that is away (connections refused, then 503s) gets everything afterwards, once
 *   per id and in order, while the conversations' own messages never waited for it;
 * - a receiver that refuses (400) makes a dead letter BRG_ERR_HOOK_REFUSED, failed in the
 *   delivery log; replayed once it is fixed, it is delivered.
 * The bridge SIGKILLed mid-delivery: test/e2e/hooks-crash.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bridgeWorldFor, webhookBridgeConfig } from '../helpers/bridge-world.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, until } from '../helpers/e2e.ts';
import { assertInOrder, eventsOf as of, startHookReceiver, type HookReceiver } from '../helpers/hook-receiver.ts';

const SECRET = 'erp-webhook-secret-0123456789abcdef';
const ADMIN_TOKEN = 'hooks-admin-token-0123456789abcdef';

for (const engine of testEngines()) {
  describe(`webhooks (${engine.name})`, () => {
    let receiver: HookReceiver;
    before(async () => {
      receiver = await startHookReceiver(SECRET);
    });
    after(async () => receiver.close());
    const world = bridgeWorldFor(engine, {
      config: (sandbox, port) => webhookBridgeConfig(sandbox, port, {
        security: { secret_key: 'hooks-webhooks-secret-key-0123456789', admin_token: ADMIN_TOKEN },
        hooks: { webhooks: [{ name: 'erp', url: receiver.url, secret: SECRET, timeout_ms: 2_000 }] },
      }),
    });
    const portal = () => world().sandbox.bitrix24.context.portals[0]!;
    const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    const say = (userId: number, text: string) => postOk(`${world().sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: `Клиент ${userId}` }, text });
    const admin = async (path: string) => {
      const res = await fetch(`${world().bridge.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const conversationOf = (userId: number) => receiver.events.find((e) => e.type === 'message.inbound' && (e.data.sender as { max_user_id?: string } | undefined)?.max_user_id === String(userId))?.conversation_id ?? undefined;

    test('a conversation\'s life arrives signed, once per event id, in order', { timeout: 120_000 }, async () => {
      const texts = { 7101: ['Здравствуйте', 'Хочу заказать', 'Номер заказа 15'], 7102: ['Добрый день', 'Есть доставка?', 'В Казань'] };
      for (let i = 0; i < 3; i++) {
        for (const [user, list] of Object.entries(texts)) await say(Number(user), list[i]!);
      }
      const a = await until(() => conversationOf(7101));
      const b = await until(() => conversationOf(7102));
      await until(() => (of(receiver.events, a, 'message.delivered').length >= 3 && of(receiver.events, b, 'message.delivered').length >= 3 ? true : undefined), 60_000);
      await postOk(`${world().sandbox.bitrix24.controlUrl}/portals/0/chats/${lineChatOf(7101)!.chatId}/reply`, { text: 'Оформим заказ' });
      await until(() => (of(receiver.events, a, 'message.delivered').some((e) => e.data.direction === 'outbound') ? true : undefined), 60_000);
      await postOk(`${world().sandbox.bitrix24.controlUrl}/portals/0/chats/${lineChatOf(7101)!.chatId}/close`, {});
      await until(() => (of(receiver.events, a, 'conversation.closed').length === 1 ? true : undefined), 60_000);

      assert.equal(receiver.badSignatures, 0, 'every request carried a valid signature');
      assert.equal(receiver.idMismatches, 0, 'X-Bridge-Event-Id is the body\'s id');
      assertInOrder(receiver.events, a, texts[7101]);
      assertInOrder(receiver.events, b, texts[7102]);
      for (const id of [a, b]) {
        const types = of(receiver.events, id).map((e) => e.type);
        assert.equal(types[0], 'conversation.started', `${id}: started first`);
        assert.equal(types[1], 'conversation.routed', `${id}: then routed`);
        assert.equal(types.filter((t) => t === 'conversation.started').length, 1);
      }
      // The line's own system messages (a welcome) go to the client too, told with `system: true`.
      const outbound = of(receiver.events, a, 'message.outbound').filter((e) => e.data.system === false);
      assert.equal(outbound.length, 1);
      assert.equal((outbound[0]!.data.operator as { name: string | null } | null)?.name !== undefined, true);
      assert.equal(outbound[0]!.data.text, 'Оформим заказ');
      const typesA = of(receiver.events, a).map((e) => e.type);
      const replyDelivered = of(receiver.events, a, 'message.delivered').find((e) => e.data.bitrix_message_id === outbound[0]!.data.bitrix_message_id)!;
      assert.ok(of(receiver.events, a).indexOf(outbound[0]!) < of(receiver.events, a).indexOf(replyDelivered), 'the reply told before its delivery');
      assert.equal(replyDelivered.data.direction, 'outbound');
      // The close text and the rating request the line sends as it closes may come either side of it.
      assert.ok(typesA.indexOf('conversation.closed') > of(receiver.events, a).indexOf(replyDelivered), 'closed after the reply was delivered');
      const started = of(receiver.events, a, 'conversation.started')[0]!;
      assert.match(started.id, /^evt_[a-z2-7]{26}$/);
      assert.ok(Number.isFinite(Date.parse(started.at)));
      assert.equal(started.data.bot, 'shop');

      // The delivery log (admin API): every delivery delivered, once.
      // Once nothing of the conversation is pending (the line's closing messages may still be on their way).
      const deliveries = await until(async () => {
        const log = await admin(`/admin/hooks/deliveries?webhook=erp&conversation=${encodeURIComponent(a)}&limit=1000`);
        assert.equal(log.status, 200);
        const rows = log.body.deliveries as Array<{ state: string; event_id: string; attempts: number; last_status: number }>;
        return rows.every((d) => d.state !== 'pending') ? rows : undefined;
      }, 30_000);
      assert.equal(deliveries.length, of(receiver.events, a).length);
      assert.ok(deliveries.every((d) => d.state === 'delivered' && d.last_status === 200 && d.attempts >= 1));
      assert.deepEqual(new Set(deliveries.map((d) => d.event_id)), new Set(of(receiver.events, a).map((e) => e.id)));
      const webhooks = await admin('/admin/hooks/webhooks');
      const erp = (webhooks.body.webhooks as Array<Record<string, unknown>>).find((w) => w.name === 'erp')!;
      assert.equal(erp.url, receiver.url);
      assert.equal(erp.failed, 0);
      assert.equal((await admin('/admin/hooks/deliveries?state=lost')).status, 400);
      const unauthorized = await fetch(`${world().bridge.url}/admin/hooks/deliveries`);
      assert.equal(unauthorized.status, 401);
    });

    test('a receiver away for a while gets everything afterwards, once per id and in order; the messages did not wait', { timeout: 180_000 }, async () => {
      await receiver.down();
      const users = [7201, 7202, 7203];
      const texts = (u: number) => [1, 2, 3, 4].map((i) => `сообщение ${i} от ${u}`);
      for (let i = 0; i < 4; i++) {
        for (const u of users) await say(u, texts(u)[i]!);
      }
      // The line got every message while the receiver was away.
      const clientTexts = (u: number) => (lineChatOf(u)?.messageIds ?? []).map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
      await until(() => (users.every((u) => clientTexts(u).length >= 4) ? true : undefined), 60_000);
      users.forEach((u) => assert.deepEqual(clientTexts(u), texts(u), 'the line got the messages in order while the receiver was away'));
      await sleep(2_000);
      // Then it answers 503 for a while, then it is back.
      await receiver.up();
      receiver.mode = 'error';
      await sleep(2_000);
      const failing = await admin('/admin/hooks/deliveries?webhook=erp&state=pending&limit=1000');
      assert.ok((failing.body.deliveries as unknown[]).length > 0, 'deliveries wait while the receiver is away');
      assert.ok((failing.body.deliveries as Array<{ attempts: number; last_error: string | null }>).some((d) => d.attempts >= 1 && d.last_error !== null), 'with their failed attempts in the log');
      receiver.mode = 'up';
      const ids = await until(() => {
        const found = users.map((u) => conversationOf(u));
        return found.every((id) => id !== undefined && of(receiver.events, id, 'message.delivered').length >= 4) ? (found as string[]) : undefined;
      }, 120_000);
      assert.equal(receiver.badSignatures, 0);
      users.forEach((u, i) => assertInOrder(receiver.events, ids[i]!, texts(u)));
      // Duplicates only as retries of one id: the unique events are each a different fact.
      assert.equal(new Set(receiver.events.map((e) => e.id)).size, receiver.events.length);
    });

    test('a receiver that refuses: a dead letter, failed in the log, delivered when replayed', { timeout: 120_000 }, async () => {
      receiver.mode = 'refuse';
      await say(7301, 'Проверка отказа');
      // The conversation's events die one after another (each is the head of its queue in turn):
      // wait until the line has the message and nothing is pending any more.
      await until(() => (lineChatOf(7301) !== undefined ? true : undefined), 60_000);
      const failed = await until(async () => {
        const pending = await admin('/admin/hooks/deliveries?webhook=erp&state=pending&limit=100');
        const log = await admin('/admin/hooks/deliveries?webhook=erp&state=failed&limit=100');
        const rows = log.body.deliveries as Array<{ id: number; event_id: string; type: string; last_status: number | null }>;
        return (pending.body.deliveries as unknown[]).length === 0 && rows.some((r) => r.type === 'message.delivered') ? rows : undefined;
      }, 60_000);
      assert.ok(failed.every((r) => r.last_status === 400));
      assert.deepEqual(new Set(failed.map((r) => r.type)), new Set(['conversation.started', 'conversation.routed', 'message.inbound', 'message.delivered']));
      const dead = (await world().bridge.store.deadLetters.list(100)).filter((d) => d.kind === 'hook.deliver');
      assert.equal(dead.length, failed.length, 'each failed delivery is a dead letter');
      assert.ok(dead.every((d) => d.errorCode === 'BRG_ERR_HOOK_REFUSED'));
      receiver.mode = 'up';
      for (const d of dead) assert.ok(await world().bridge.store.deadLetters.replay(d.id));
      world().bridge.runner.poke();
      const conversation = await until(() => conversationOf(7301), 60_000);
      await until(() => (of(receiver.events, conversation, 'message.delivered').length === 1 ? true : undefined), 60_000);
      assert.deepEqual(of(receiver.events, conversation).map((e) => e.type), ['conversation.started', 'conversation.routed', 'message.inbound', 'message.delivered'], 'replayed in order');
      // Each replayed delivery is delivered now.
      await until(async () => {
        const rows = (await admin('/admin/hooks/deliveries?webhook=erp&limit=1000')).body.deliveries as Array<{ id: number; state: string }>;
        return failed.every((f) => rows.find((r) => r.id === f.id)?.state === 'delivered') ? true : undefined;
      }, 60_000);
    });
  });
}
