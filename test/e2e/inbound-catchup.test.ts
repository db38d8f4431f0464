/**
 * Order across a restart (bridge + both emulators over HTTP, SQLite and
 * PostgreSQL): a client writes while the bridge is down (MAX's delivery fails
 * and is retried seconds later), the bridge comes back, and the client writes
 * again at once. The earlier message must reach the Open Line first and once:
 * the bridge reads the chat history on the conversation's first message after
 * its start and takes what MAX has not redelivered yet; MAX's retry (the same
 * update, ≥ 60 s later in production) is then a duplicate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { freePort } from '../../bench/child-process.ts';
import { testEngines } from '../helpers/databases.ts';
import { installApp, until } from '../helpers/e2e.ts';
import { untilIdle } from '../helpers/settled.ts';

for (const engine of testEngines()) {
  describe(`catch-up after a restart (${engine.name})`, () => {
    let sandbox: Sandbox;
    let bridge: Bridge | null = null;
    let config: ReturnType<typeof configSchema.parse>;

    const write = (userId: number, text: string) => fetch(`${sandbox.max.controlUrl}/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { user_id: userId, first_name: 'Ирина' }, text }),
    });
    const textsOf = (userId: number) => {
      const portal = sandbox.bitrix24.context.portals[0]!;
      const chat = [...portal.chats.values()].find((c) => c.externalUserId === String(userId));
      return chat ? chat.messageIds.map((id) => portal.messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text) : [];
    };

    before(async () => {
      sandbox = await startSandbox({ preferredPorts: false });
      const port = await freePort();
      config = configSchema.parse({
        server: { port, public_url: `http://127.0.0.1:${port}` },
        database: { url: await engine.createDatabase() },
        security: { secret_key: 'catchup-test-secret-key-0123' },
        workers: { line_reorder_window_ms: 0 },
        bots: [{ id: 'shop', token: SANDBOX_BOT_TOKEN, webhook_secret: 'shop_secret', api_url: sandbox.max.baseUrl }],
        portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
        routes: [{ bot: '*', portal: 'main' }],
      });
      bridge = await startBridge(config, { clock: systemClock });
      await installApp(sandbox.bitrix24.controlUrl, bridge.url);
    });
    after(async () => {
      await bridge?.close();
      await sandbox.close();
      await engine.dropAll();
    });

    test('a message written while the bridge was down reaches the line before the next one, once', async () => {
      await write(7001, 'до остановки');
      await until(async () => (textsOf(7001).includes('до остановки') ? true : undefined));
      await bridge!.close();
      bridge = null;
      await write(7001, 'пока моста нет');
      // MAX tried at once and failed; it would retry later.
      await until(async () => (((await (await fetch(`${sandbox.max.controlUrl}/deliveries`)).json()) as { attempts: Array<{ status: number | null }> })
        .attempts.some((a) => a.status === null) ? true : undefined));
      bridge = await startBridge(config, { clock: systemClock });
      await write(7001, 'после запуска');
      await until(async () => (textsOf(7001).includes('после запуска') ? true : undefined));
      assert.deepEqual(textsOf(7001), ['до остановки', 'пока моста нет', 'после запуска']);
      const recovered = await bridge.store.db.selectFrom('events').select('raw').where('raw', 'like', '%пока моста нет%').execute();
      assert.equal(recovered.length, 1);
      assert.match(recovered[0]!.raw, /recovered_from/);
      // MAX's retry of that update (the same body) is answered as a duplicate: still one copy in the line.
      const updates = ((await (await fetch(`${sandbox.max.controlUrl}/updates`)).json()) as { updates: Array<{ update: { message?: { body?: { text?: string } } } }> }).updates;
      const missed = updates.find((u) => u.update.message?.body?.text === 'пока моста нет')!.update;
      const retry = await fetch(`${bridge.url}/max/webhook/shop`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': 'shop_secret' }, body: JSON.stringify(missed),
      });
      assert.equal(retry.status, 200);
      assert.equal(((await retry.json()) as { duplicate: boolean }).duplicate, true);
      await untilIdle(bridge, sandbox);
      assert.deepEqual(textsOf(7001), ['до остановки', 'пока моста нет', 'после запуска']);
    });
  });
}
