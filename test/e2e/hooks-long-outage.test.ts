/**
 * A webhook receiver down for an hour (issue 18): the bridge runs on a ManualClock driven an
 * hour ahead (test/helpers/clock-driver.ts), clients write every ten minutes meanwhile; their
 * messages reach the line on time — the receiver's outage holds nothing of theirs — and once the
 * receiver is back it gets every event, once per id, in each conversation's order, with no
 * dead letter and no hand. SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bridgeWorldFor, webhookBridgeConfig } from '../helpers/bridge-world.ts';
import { driveClockTo } from '../helpers/clock-driver.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk } from '../helpers/e2e.ts';
import { assertInOrder, eventsOf, startHookReceiver, type HookReceiver } from '../helpers/hook-receiver.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

const SECRET = 'long-outage-webhook-secret-0123456789';
const MINUTE_MS = 60_000;

for (const engine of testEngines()) {
  describe(`a webhook receiver down for an hour (${engine.name})`, () => {
    const clock = new ManualClock(Date.now());
    let receiver: HookReceiver;
    before(async () => {
      receiver = await startHookReceiver(SECRET, { nowMs: () => clock.nowMs() });
    });
    after(async () => receiver.close());
    const world = bridgeWorldFor(engine, {
      clock,
      config: (sandbox, port) => webhookBridgeConfig(sandbox, port, {
        security: { secret_key: 'hooks-long-outage-secret-key-0123' },
        hooks: { webhooks: [{ name: 'erp', url: receiver.url, secret: SECRET, events: ['conversation.started', 'message.inbound', 'message.delivered'] }] },
      }),
    });
    const portal = () => world().sandbox.bitrix24.context.portals[0]!;
    const lineTexts = (userId: number) => {
      const chat = [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
      return (chat?.messageIds ?? []).map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
    };
    const driveUntil = async (done: () => boolean, realMs = 120_000) => {
      const deadline = Date.now() + realMs;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`not reached in ${realMs} ms of real time`);
        await driveClockTo(clock, world().bridge, clock.nowMs() + 1_000);
      }
    };

    test('the line gets every message meanwhile; the receiver gets every event afterwards, once, in order', { timeout: 600_000 }, async () => {
      const clients = [9_501, 9_502, 9_503];
      const texts = (c: number) => Array.from({ length: 6 }, (_, round) => `${c}: сообщение ${round}`);
      await receiver.down();
      const startMs = clock.nowMs();
      for (let round = 0; round < 6; round++) {
        for (const c of clients) await postOk(`${world().sandbox.max.controlUrl}/messages`, { user: { user_id: c, first_name: `Клиент ${c}` }, text: texts(c)[round] });
        await driveUntil(() => clients.every((c) => lineTexts(c).length === round + 1));
        await driveClockTo(clock, world().bridge, startMs + (round + 1) * 10 * MINUTE_MS);
      }
      assert.ok(clock.nowMs() - startMs >= 60 * MINUTE_MS, 'an hour passed on the bridge\'s clock');
      for (const c of clients) assert.deepEqual(lineTexts(c), texts(c), 'the line got every message, in order, during the outage');
      assert.equal(receiver.events.length, 0, 'nothing reached the receiver while it was down');
      const waiting = await world().bridge.store.hooks.deliveries({ webhook: 'erp', state: 'pending', limit: 1_000 });
      assert.ok(waiting.length >= clients.length * 13, `every event waits: ${waiting.length}`);
      assert.ok(waiting.some((d) => d.attempts > 1), 'retried meanwhile');

      await receiver.up();
      const byClient = () => clients.map((c) => receiver.events.find((e) => e.type === 'message.inbound' && (e.data.sender as { max_user_id?: string }).max_user_id === String(c))?.conversation_id);
      await driveUntil(() => {
        const ids = byClient();
        return ids.every((id) => typeof id === 'string' && eventsOf(receiver.events, id, 'message.delivered').length === 6);
      }, 180_000);
      assert.equal(receiver.badSignatures, 0);
      byClient().forEach((id, i) => {
        assertInOrder(receiver.events, id!, texts(clients[i]!));
        assert.equal(eventsOf(receiver.events, id!)[0]?.type, 'conversation.started');
      });
      assert.deepEqual(await world().bridge.store.deadLetters.list(), [], 'no dead letter');
      // The receiver has every event; the bridge marks a delivery delivered once the 200 is back
      // (a loaded machine may read between the two).
      const deliveredBy = Date.now() + 30_000;
      let log = await world().bridge.store.hooks.deliveries({ webhook: 'erp', limit: 1_000 });
      while (!log.every((d) => d.state === 'delivered') && Date.now() < deliveredBy) {
        await driveClockTo(clock, world().bridge, clock.nowMs() + 1_000);
        log = await world().bridge.store.hooks.deliveries({ webhook: 'erp', limit: 1_000 });
      }
      assert.ok(log.every((d) => d.state === 'delivered'), 'every delivery recorded as delivered');
      assert.equal(log.length, receiver.events.length, 'each event delivered once');
    });
  });
}
