/**
 * The bridge away longer than MAX keeps retrying (issue 14, item 4): MAX's
 * emulator runs 10,000 times faster (its 8-hour give-up takes under 3 s), the
 * bridge's last sign of life is set 10 hours back, and 50 clients each write
 * once while it is away and never again. MAX gives up and drops the webhook
 * subscription; after the start every one of those messages reaches its Open
 * Line, once, after the client's earlier message, and the start-up log says
 * how many were recovered and from how many chats. Bridge + both emulators
 * over HTTP, SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LAST_ALIVE_KEY } from '../../src/bridge/downtime-catch-up.ts';
import { bridgeWorldFor, webhookBridgeConfig } from '../helpers/bridge-world.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { openStore } from '../../src/store/open-store.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, until } from '../helpers/e2e.ts';
import { untilIdle } from '../helpers/settled.ts';

const CLIENTS = Array.from({ length: 50 }, (_, i) => 8_001 + i);
const HOUR_MS = 3_600_000;

for (const engine of testEngines()) {
  describe(`catch-up after a downtime longer than MAX's retries (${engine.name})`, () => {
    const world = bridgeWorldFor(engine, {
      maxTimeFactor: 0.0001,
      // No CRM steps: 50 sessions' verification would take the standard plan's portal a minute
      // more to come to rest (CRM steps only use the room messages leave: test/e2e/crm-*.test.ts).
      config: (emulators, port) => webhookBridgeConfig(emulators, port, { security: { secret_key: 'downtime-test-secret-key-0123' }, crm: { mode: 'none' } }),
    });
    const sandbox = () => world().sandbox;
    const logLines = () => world().logLines;

    const portal = () => sandbox().bitrix24.context.portals[0]!;
    const lineTexts = (userId: number) => {
      const chat = [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
      return chat ? chat.messageIds.map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text) : [];
    };
    const lineChat = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    const botTexts = (userId: number) => {
      const max = sandbox().max.world;
      const chat = [...max.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
      return (chat?.mids ?? []).map((mid) => max.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
    };
    const write = (userId: number, text: string) => postOk(`${sandbox().max.controlUrl}/messages`, { user: { user_id: userId, first_name: `Клиент ${userId}` }, text });
    // Through the control API: the bot's own API is busy with the bridge's history reads (30 requests/s).
    const subscriptions = async () => ((await (await fetch(`${sandbox().max.controlUrl}/subscriptions`)).json()) as { subscriptions: unknown[] }).subscriptions;

    test('50 clients who wrote once while the bridge was away 10 hours are all heard, in order, once; the start says how many were recovered', { timeout: 240_000 }, async () => {
      for (const c of CLIENTS) await write(c, 'первое');
      await until(() => (CLIENTS.every((c) => lineTexts(c).length === 1) ? true : undefined), 120_000);

      await world().stop();
      for (const c of CLIENTS) await write(c, 'пока моста не было');
      // An operator answers the first client meanwhile: Bitrix24's event finds no bridge and is gone.
      await postOk(`${sandbox().bitrix24.controlUrl}/portals/0/chats/${lineChat(CLIENTS[0]!)!.chatId}/reply`, { text: 'ответ, пока моста не было' });
      // MAX retries, fails, and after its (scaled) 8 hours deletes the subscription: those updates are gone from MAX's side.
      await until(async () => ((await subscriptions()).length === 0 ? true : undefined), 60_000);

      // The bridge's last sign of life was 10 hours ago.
      const store = await openStore({ databaseUrl: world().config.database.url, secretKey: world().config.security.secret_key!, clock: systemClock });
      await store.meta.set(LAST_ALIVE_KEY, String(Date.now() - 10 * HOUR_MS));
      // The first client's conversation was quiet for 20 hours before the bridge went away:
      // its last activity is older than the everyday reconciliation's day.
      await store.db.updateTable('conversations').set({ updated_at_ms: Date.now() - 30 * HOUR_MS }).where('max_user_id', '=', String(CLIENTS[0])).execute();
      await store.close();

      const bridge = await world().start();
      await until(() => (CLIENTS.every((c) => lineTexts(c).length === 2) ? true : undefined), 120_000);
      for (const c of CLIENTS) assert.deepEqual(lineTexts(c), ['первое', 'пока моста не было'], `client ${c}`);
      // The operator's reply written meanwhile is read from the chat's history and delivered.
      await until(() => (botTexts(CLIENTS[0]!).some((t) => t.includes('ответ, пока моста не было')) ? true : undefined));

      const started = logLines().find((l) => l.component === 'catch-up' && l.reason === 'downtime' && l.level === 40);
      assert.ok(started, 'the start says the bridge was away and what it reads');
      assert.match(String(started.msg), /away for 600 min: reading the history of 50 chat\(s\) active in the last 7 day\(s\)/);
      const done = await until(() => logLines().find((l) => typeof l.msg === 'string' && l.msg.startsWith('downtime catch-up done')));
      assert.equal(done.recovered, 50);
      assert.equal((done.fromChats as string[]).length, 50);
      assert.deepEqual((await subscriptions()).length, 1, 'subscribed again');
      // Still once each after the bridge is at rest (the restart catch-up read the same chats too).
      await untilIdle(bridge, sandbox());
      for (const c of CLIENTS) assert.equal(lineTexts(c).length, 2, `client ${c}: nothing twice`);
      assert.equal(botTexts(CLIENTS[0]!).filter((t) => t.includes('ответ, пока моста не было')).length, 1, 'the recovered reply once');
    });
  });
}
