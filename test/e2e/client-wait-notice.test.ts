/**
 * The client is told when the Open Line does not take their messages
 * (messages.client_wait_notice_minutes / _text): once per episode, however often
 * they write; again in a new episode; never when set to 0. The bridge runs on a
 * ManualClock (test/helpers/clock-driver.ts); the portal fails with 500s. Bridge
 * + both emulators over HTTP, SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bridgeWorldFor, webhookBridgeConfig } from '../helpers/bridge-world.ts';
import { driveClockTo, settleWhileDriving } from '../helpers/clock-driver.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk } from '../helpers/e2e.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

const MINUTE_MS = 60_000;
const TEXT = 'Мы получили ваше сообщение; оператор ответит позже.';
const CLIENT = 9_301;

for (const engine of testEngines()) {
  describe(`the client told that the line has not taken their messages (${engine.name})`, () => {
    const clock = new ManualClock(Date.now());
    const world = bridgeWorldFor(engine, {
      clock,
      config: (emulators, port) => webhookBridgeConfig(emulators, port, {
        security: { secret_key: 'client-wait-test-secret-key-01' },
        messages: { client_wait_notice_minutes: 2, client_wait_notice_text: TEXT },
      }),
    });
    const portal = () => world().sandbox.bitrix24.context.portals[0]!;
    const lineTexts = () => {
      const chat = [...portal().chats.values()].find((c) => c.externalUserId === String(CLIENT));
      return (chat?.messageIds ?? []).map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
    };
    const botTexts = () => {
      const max = world().sandbox.max.world;
      const chat = [...max.chats.values()].find((c) => c.type === 'dialog' && c.userId === CLIENT);
      return (chat?.mids ?? []).map((mid) => max.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
    };
    const write = (text: string) => postOk(`${world().sandbox.max.controlUrl}/messages`, { user: { user_id: CLIENT, first_name: 'Клиент' }, text });
    const faults = async (rules: unknown[]) => {
      const res = await fetch(`${world().sandbox.bitrix24.controlUrl}/portals/0/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }) });
      assert.equal(res.status, 200, await res.text());
    };
    const portalDown = () => faults([{ kind: 'status', status: 500, code: 'INTERNAL_SERVER_ERROR' }]);
    const driveUntil = async (done: () => boolean) => {
      const deadline = Date.now() + 120_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error('not reached in 2 minutes of real time');
        await driveClockTo(clock, world().bridge, clock.nowMs() + 1_000);
      }
    };
    const told = () => botTexts().filter((t) => t === TEXT).length;

    test('told once per episode with the configured text; again in a new episode; never when set to 0', { timeout: 300_000 }, async () => {
      await write('первое');
      await driveUntil(() => lineTexts().length === 1);
      // Under the threshold: nobody is told.
      assert.deepEqual((await settleWhileDriving(clock, world().bridge.noticeWaitingClients())).told, []);

      await portalDown();
      await write('второе');
      await driveClockTo(clock, world().bridge, clock.nowMs() + MINUTE_MS);
      assert.deepEqual((await settleWhileDriving(clock, world().bridge.noticeWaitingClients())).told, [], 'a minute of waiting is under the 2 configured');
      await driveClockTo(clock, world().bridge, clock.nowMs() + 2 * MINUTE_MS);
      assert.equal((await settleWhileDriving(clock, world().bridge.noticeWaitingClients())).told.length, 1);
      assert.equal(told(), 1);
      // The client writes again in the same outage: not told again.
      await write('третье');
      await write('четвёртое');
      await driveClockTo(clock, world().bridge, clock.nowMs() + 5 * MINUTE_MS);
      assert.deepEqual((await settleWhileDriving(clock, world().bridge.noticeWaitingClients())).told, []);
      assert.equal(told(), 1);

      // The portal answers again: everything reaches the line once, in order.
      await faults([]);
      await driveUntil(() => lineTexts().length === 4);
      assert.deepEqual(lineTexts(), ['первое', 'второе', 'третье', 'четвёртое']);

      // A new outage is a new episode: told again.
      await portalDown();
      await write('пятое');
      await driveClockTo(clock, world().bridge, clock.nowMs() + 3 * MINUTE_MS);
      assert.equal((await settleWhileDriving(clock, world().bridge.noticeWaitingClients())).told.length, 1);
      assert.equal(told(), 2);

      // Turned off: a stuck message tells nobody.
      await world().stop();
      await world().start((c) => ({ ...c, messages: { ...c.messages, client_wait_notice_minutes: 0 } }));
      await write('шестое');
      await driveClockTo(clock, world().bridge, clock.nowMs() + 30 * MINUTE_MS);
      assert.deepEqual((await settleWhileDriving(clock, world().bridge.noticeWaitingClients())).told, []);
      assert.equal(told(), 2);

      await faults([]);
      await driveUntil(() => lineTexts().length === 6);
      assert.deepEqual(lineTexts(), ['первое', 'второе', 'третье', 'четвёртое', 'пятое', 'шестое']);
      // The notices are the bot's own messages: none of them went to the line.
      assert.ok(!lineTexts().includes(TEXT));
    });
  });
}
