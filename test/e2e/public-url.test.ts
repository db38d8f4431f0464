/**
 * PUBLIC_URL written with a trailing slash (bridge + both emulators over HTTP,
 * SQLite and PostgreSQL): every address the bridge registers has one slash
 * before its path, so MAX's webhooks and Bitrix24's events reach routes that
 * exist; an install left by a version that registered `…//max/webhook/…` and
 * `…//bitrix24/events/…` ends, after the upgrade, with exactly one MAX
 * subscription and one binding per event, at the right address.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { HANDLED_EVENTS } from '../../src/bitrix24/connector-setup.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { testEngines } from '../helpers/databases.ts';
import { until, waitForSetup } from '../helpers/e2e.ts';

for (const engine of testEngines()) {
  describe(`PUBLIC_URL with a trailing slash (${engine.name})`, () => {
    let sandbox: Sandbox;
    let bridge: Bridge | null = null;
    let config: ReturnType<typeof configSchema.parse>;
    let origin = '';

    const portal = () => sandbox.bitrix24.context.portals[0]!;
    const subscriptionUrls = async () => ((await (await fetch(`${sandbox.max.baseUrl}/subscriptions`, { headers: { authorization: SANDBOX_BOT_TOKEN } })).json()) as { subscriptions: Array<{ url: string }> })
      .subscriptions.map((s) => s.url);
    const handlersOf = (event: string) => portal().bindings.filter((b) => b.event === event).map((b) => b.handler);
    const write = (userId: number, text: string) => fetch(`${sandbox.max.controlUrl}/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { user_id: userId, first_name: 'Вера' }, text }),
    });
    const lineTexts = (userId: number) => {
      const chat = [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
      return (chat?.messageIds ?? []).map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
    };
    /** The operator's reply travels by the ONIMCONNECTORMESSAGEADD binding: it reaches MAX only if the binding's address is served. */
    const botTexts = (userId: number) => {
      const chat = [...sandbox.max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
      return (chat?.mids ?? []).map((mid) => sandbox.max.world.messages.get(mid)!).filter((m) => m.fromBot).map((m) => m.message.body.text ?? '');
    };
    async function roundTrip(userId: number, text: string): Promise<void> {
      await write(userId, text);
      await until(() => (lineTexts(userId).includes(text) ? true : undefined));
      const chat = [...portal().chats.values()].find((c) => c.externalUserId === String(userId))!;
      const res = await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `ответ на «${text}»` }),
      });
      assert.equal(res.status, 200);
      await until(() => (botTexts(userId).some((t) => t.endsWith(`ответ на «${text}»`)) ? true : undefined));
    }

    before(async () => {
      sandbox = await startSandbox({ preferredPorts: false });
      const port = await freePort();
      origin = `http://127.0.0.1:${port}`;
      config = configSchema.parse({
        server: { port, public_url: `${origin}/` },
        database: { url: await engine.createDatabase() },
        security: { secret_key: 'public-url-test-secret-key-0123' },
        bots: [{ id: 'main', token: SANDBOX_BOT_TOKEN, api_url: sandbox.max.baseUrl }],
        portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
      });
      bridge = await startBridge(config, { clock: systemClock });
      const res = await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/install`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: SANDBOX_APP.clientId, handlerUrl: `${origin}/bitrix24/install/main` }),
      });
      assert.equal(res.status, 200);
      await waitForSetup(sandbox.bitrix24.controlUrl);
    });
    after(async () => {
      await bridge?.close();
      await sandbox.close();
      await engine.dropAll();
    });

    test('a PUBLIC_URL with a trailing slash still receives MAX webhooks and Bitrix24 events (no "//" registered anywhere)', async () => {
      assert.deepEqual(await subscriptionUrls(), [`${origin}/max/webhook/main`]);
      for (const event of HANDLED_EVENTS) assert.deepEqual(handlersOf(event), [`${origin}/bitrix24/events/main`], event);
      const connector = portal().connectors.get('max_bridge')!;
      assert.equal(connector.raw.PLACEMENT_HANDLER, `${origin}/bitrix24/settings`);
      await roundTrip(8101, 'со слешем в адресе');
    });

    test('an install made while PUBLIC_URL ended in "/" ends, after the upgrade, with one subscription and one binding per event, at the right address', async () => {
      // What the earlier version left: every address with "//" before its path, and no record
      // of the addresses it gave the portal.
      await bridge!.store.db.deleteFrom('bridge_meta').where('key', '=', 'portal-addresses:main').execute();
      await bridge!.close();
      bridge = null;
      const broken = `${origin}//`;
      await fetch(`${sandbox.max.baseUrl}/subscriptions`, {
        method: 'POST', headers: { authorization: SANDBOX_BOT_TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${broken}max/webhook/main`, secret: 'old_secret' }),
      });
      const ours = portal().bindings.find((b) => b.event === 'ONIMCONNECTORMESSAGEADD')!;
      for (const event of HANDLED_EVENTS) portal().bindings.push({ ...ours, event, handler: `${broken}bitrix24/events/main`, id: portal().next('binding') });
      assert.equal((await subscriptionUrls()).length, 2, 'the stale subscription is there before the upgrade');
      bridge = await startBridge(config, { clock: systemClock });
      assert.deepEqual(await subscriptionUrls(), [`${origin}/max/webhook/main`]);
      for (const event of HANDLED_EVENTS) assert.deepEqual(handlersOf(event), [`${origin}/bitrix24/events/main`], event);
      await roundTrip(8102, 'после обновления');
    });
  });
}
