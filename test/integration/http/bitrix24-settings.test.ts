/**
 * The connector settings page with a line fixed in the configuration
 * (portals[].line_id), on both engines, opened by the Bitrix24 emulator over
 * HTTP as the Contact Center does: picking another line changes nothing and
 * says why (409); the configured line itself is shown as connected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { buildApp } from '../../../src/http/app.ts';
import { bitrix24SettingsPlugin } from '../../../src/http/plugins/bitrix24-settings.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { ctl, installApp, rest, startAppHandler, type AppHandler, tokensFromInstall } from '../../emulators/bitrix24/helpers.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

for (const engine of testEngines()) {
  describe(`connector settings page with a configured line (${engine.name})`, () => {
    let store: Store;
    let emu: Bitrix24Emulator;
    let handler: AppHandler;
    let bridge: ReturnType<typeof buildApp>;
    let otherLine = 0;
    const CONFIGURED_LINE = 1;

    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: systemClock });
      emu = await startBitrix24Emulator();
      handler = await startAppHandler();
      const { auth } = await installApp(emu.controlUrl, handler);
      await store.portals.upsertInstall(tokensFromInstall('main', auth), 'local.bridge.1');
      bridge = buildApp({ plugins: [bitrix24SettingsPlugin({
        portals: store.portals, events: store.events, jobs: store.jobs, connectorId: 'max_bridge', clientIdFor: () => 'local.bridge.1',
        configuredLineFor: () => CONFIGURED_LINE, lineOf: async () => ({ lineId: CONFIGURED_LINE, active: true }), nowMs: () => Date.now(),
      })] });
      await bridge.listen({ host: '127.0.0.1', port: 0 });
      const settingsUrl = `http://127.0.0.1:${(bridge.server.address() as { port: number }).port}/bitrix24/settings`;
      const base = emu.portals[0]!.baseUrl;
      await rest(base, 'imconnector.register', { ID: 'max_bridge', NAME: 'MAX', ICON: { DATA_IMAGE: 'data:image/svg+xml,x' }, PLACEMENT_HANDLER: settingsUrl }, auth.access_token);
      await rest(base, 'imconnector.activate', { CONNECTOR: 'max_bridge', LINE: CONFIGURED_LINE, ACTIVE: 1 }, auth.access_token);
      await rest(base, 'imconnector.connector.data.set', { CONNECTOR: 'max_bridge', LINE: CONFIGURED_LINE, DATA: { ID: 'max_bridge_1', URL: 'https://b', URL_IM: 'https://b', NAME: 'MAX' } }, auth.access_token);
      otherLine = Number((await ctl(emu.controlUrl, 'POST', '/portals/0/lines', { name: 'Продажи' })).ID);
    });
    after(async () => {
      await bridge.close();
      await emu.close();
      await handler.close();
      await store.close();
      await engine.dropAll();
    });

    test('picking a line other than the configured one changes nothing and the page says which line the bridge uses', async () => {
      const page = (await ctl(emu.controlUrl, 'POST', `/portals/0/connectors/max_bridge/settings`, { line: otherLine })) as { status: number; body: string };
      assert.equal(page.status, 409);
      assert.match(page.body, new RegExp(`Мост работает с открытой линией № ${CONFIGURED_LINE}`));
      assert.match(page.body, new RegExp(`line_id: ${otherLine}`));
      assert.equal(await store.events.count(), 0, 'no setup job queued');
      const status = await rest(emu.portals[0]!.baseUrl, 'imconnector.status', { CONNECTOR: 'max_bridge', LINE: otherLine }, (await store.portals.load('main'))!.accessToken);
      assert.equal((status.body.result as { STATUS: boolean }).STATUS, false);
    });

    test('the configured line, active and connected, is shown as connected without calling anything', async () => {
      const page = (await ctl(emu.controlUrl, 'POST', `/portals/0/connectors/max_bridge/settings`, { line: CONFIGURED_LINE })) as { status: number; body: string };
      assert.equal(page.status, 200, page.body);
      assert.match(page.body, new RegExp(`Открытая линия № ${CONFIGURED_LINE} подключена к MAX`));
      assert.equal(await store.events.count(), 0);
    });
  });
}
