/**
 * Lost operator replies (bridge + both emulators over HTTP, SQLite and
 * PostgreSQL): the bridge is stopped, the operator replies 20 times (the
 * portal's events fail and are never retried), the bridge starts again: all 20
 * reach MAX once, in order, before a reply written after the start.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { testEngines } from '../helpers/databases.ts';
import { until, waitForSetup } from '../helpers/e2e.ts';
import { untilIdle } from '../helpers/settled.ts';

for (const engine of testEngines()) {
  describe(`lost operator replies (${engine.name})`, () => {
    let sandbox: Sandbox;
    let bridge: Bridge | null = null;
    let config: ReturnType<typeof configSchema.parse>;

    const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const portal = () => sandbox.bitrix24.context.portals[0]!;
    const lineChat = () => [...portal().chats.values()].find((c) => c.externalUserId === '7301');
    const botTexts = () => {
      const chat = [...sandbox.max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === 7301);
      return (chat?.mids ?? []).map((mid) => sandbox.max.world.messages.get(mid)!).filter((m) => m.fromBot).map((m) => (m.message.body.text ?? '').replace(/^[^\n]+:\n/, ''));
    };

    before(async () => {
      sandbox = await startSandbox({ preferredPorts: false });
      const port = await freePort();
      config = configSchema.parse({
        server: { port, public_url: `http://127.0.0.1:${port}` },
        database: { url: await engine.createDatabase() },
        security: { secret_key: 'reconcile-test-secret-key-0123' },
        bots: [{ id: 'shop', token: SANDBOX_BOT_TOKEN, webhook_secret: 'shop_secret', api_url: sandbox.max.baseUrl }],
        portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
        routes: [{ bot: '*', portal: 'main' }],
      });
      bridge = await startBridge(config, { clock: systemClock });
      await post(`${sandbox.bitrix24.controlUrl}/portals/0/install`, { clientId: SANDBOX_APP.clientId, handlerUrl: `${bridge.url}/bitrix24/install/main` });
      await waitForSetup(sandbox.bitrix24.controlUrl);
    });
    after(async () => {
      await bridge?.close();
      await sandbox.close();
      await engine.dropAll();
    });

    test('20 replies written while the bridge was stopped reach MAX once, in order, after it starts', async () => {
      await post(`${sandbox.max.controlUrl}/messages`, { user: { user_id: 7301, first_name: 'Софья' }, text: 'Жду ответа' });
      await until(() => lineChat());
      await post(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${lineChat()!.chatId}/reply`, { text: 'ответ 0' });
      await until(() => (botTexts().length === 1 ? true : undefined));
      await bridge!.close();
      bridge = null;
      for (let i = 1; i <= 20; i++) await post(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${lineChat()!.chatId}/reply`, { text: `ответ ${i}` });
      // The portal tried to post each event once and gave up (no retries).
      await until(async () => (((await (await fetch(`${sandbox.bitrix24.controlUrl}/deliveries`)).json()) as { deliveries: Array<{ event: string; status: number | null }> })
        .deliveries.filter((d) => d.event === 'ONIMCONNECTORMESSAGEADD' && d.status !== 200).length >= 20 ? true : undefined));
      bridge = await startBridge(config, { clock: systemClock });
      await post(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${lineChat()!.chatId}/reply`, { text: 'после запуска' });
      const texts = await until(() => (botTexts().length >= 22 ? botTexts() : undefined));
      assert.deepEqual(texts, ['ответ 0', ...Array.from({ length: 20 }, (_, i) => `ответ ${i + 1}`), 'после запуска']);
      // Looking again finds nothing new: each reply once.
      const again = await bridge.reconcile();
      assert.equal(again.recovered, 0);
      await untilIdle(bridge, sandbox);
      assert.equal(botTexts().length, 22);
    });
  });
}
