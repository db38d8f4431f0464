/**
 * Bitrix24 events intake on both engines, fed by the Bitrix24 emulator itself
 * over HTTP (a real operator reply): verified by application_token, stored once,
 * normalised; a wrong token or a replay changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'qs';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { buildApp } from '../../../src/http/app.ts';
import { bitrix24EventsPlugin } from '../../../src/http/plugins/bitrix24-events.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { installApp, rest, startAppHandler, type AppHandler, tokensFromInstall } from '../../emulators/bitrix24/helpers.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

for (const engine of testEngines()) {
  describe(`Bitrix24 events intake (${engine.name})`, () => {
    let store: Store;
    let emu: Bitrix24Emulator;
    let handler: AppHandler;
    let bridge: ReturnType<typeof buildApp>;
    let eventsUrl: string;
    let appToken: string;

    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: systemClock });
      emu = await startBitrix24Emulator();
      handler = await startAppHandler();
      const { auth } = await installApp(emu.controlUrl, handler);
      appToken = auth.application_token!;
      await store.portals.upsertInstall(tokensFromInstall('main', auth), 'local.bridge.1');
      bridge = buildApp({ plugins: [bitrix24EventsPlugin({
        applicationToken: (id) => store.portals.applicationToken(id), events: store.events,
        portalIdForMember: async (memberId) => (await store.db.selectFrom('portals').select('id').where('member_id', '=', memberId).executeTakeFirst())?.id ?? null,
      })] });
      await bridge.listen({ host: '127.0.0.1', port: 0 });
      eventsUrl = `http://127.0.0.1:${(bridge.server.address() as { port: number }).port}/bitrix24/events/main`;
      const base = emu.portals[0]!.baseUrl;
      const token = auth.access_token!;
      await rest(base, 'imconnector.register', { ID: 'maxbridge', NAME: 'MAX', ICON: { DATA_IMAGE: 'data:image/svg+xml,x' }, PLACEMENT_HANDLER: 'https://x' }, token);
      await rest(base, 'imconnector.activate', { CONNECTOR: 'maxbridge', LINE: 1, ACTIVE: 1 }, token);
      await rest(base, 'event.bind', { event: 'ONIMCONNECTORMESSAGEADD', handler: eventsUrl }, token);
      await rest(base, 'imconnector.send.messages', { CONNECTOR: 'maxbridge', LINE: 1, MESSAGES: [{ user: { id: '5001', name: 'Иван' }, message: { id: 'mid.1', text: 'Привет' }, chat: { id: '90000001' } }] }, token);
    });
    after(async () => {
      await bridge.close();
      await emu.close();
      await handler.close();
      await store.close();
      await engine.dropAll();
    });

    test('an operator reply posted by the portal is stored once with its job, keyed by im.message_id', async () => {
      const chats = ((await (await fetch(`${emu.controlUrl}/portals/0/chats`)).json()) as { chats: Array<{ chatId: number }> }).chats;
      const reply = (await (await fetch(`${emu.controlUrl}/portals/0/chats/${chats[0]!.chatId}/reply`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Здравствуйте!' }),
      })).json()) as { message: { id: number } };
      const deadline = Date.now() + 5_000;
      while ((await store.events.count('bitrix24:main')) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const event = await store.events.findByKey('bitrix24:main', `ONIMCONNECTORMESSAGEADD:${reply.message.id}`);
      assert.ok(event, 'stored under the im.message_id key');
      const jobs = await store.db.selectFrom('jobs').selectAll().where('event_id', '=', event.id).execute();
      assert.equal(jobs[0]?.conversation_key, 'b24:main:90000001');
    });

    test('a replayed event and one with a wrong application_token change nothing', async () => {
      // The exact body the portal posted, as the emulator logged it.
      const deliveries = ((await (await fetch(`${emu.controlUrl}/deliveries`)).json()) as { deliveries: Array<{ event: string; body: Record<string, unknown> }> }).deliveries;
      const raw = stringify(deliveries.find((d) => d.event === 'ONIMCONNECTORMESSAGEADD')!.body);
      const before = await store.events.count();
      const replay = await fetch(eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: raw });
      assert.equal(replay.status, 200);
      assert.equal(((await replay.json()) as { duplicate: boolean }).duplicate, true);
      const forged = raw.replace(encodeURIComponent(appToken), 'forged-token');
      assert.notEqual(forged, raw);
      const wrong = await fetch(eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: forged.replace(/im%5D%5Bmessage_id%5D=\d+/, 'im%5D%5Bmessage_id%5D=1') });
      assert.equal(wrong.status, 401);
      assert.equal(((await wrong.json()) as { error: string }).error, 'BRG_ERR_UNAUTHORIZED');
      const unknownPortal = await fetch(eventsUrl.replace('/main', '/other'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: raw });
      assert.equal(unknownPortal.status, 401);
      const noEvent = await fetch(eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'data[x]=1' });
      assert.equal(noEvent.status, 400);
      assert.equal(await store.events.count(), before);
    });

    test('POST /bitrix24/events without a portal id finds the portal by auth[member_id]', async () => {
      const deliveries = ((await (await fetch(`${emu.controlUrl}/deliveries`)).json()) as { deliveries: Array<{ event: string; body: Record<string, unknown> }> }).deliveries;
      const raw = stringify(deliveries.find((d) => d.event === 'ONIMCONNECTORMESSAGEADD')!.body);
      const bareUrl = eventsUrl.replace('/main', '');
      const before = await store.events.count();
      const same = await fetch(bareUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: raw });
      assert.equal(same.status, 200);
      assert.equal(((await same.json()) as { duplicate: boolean }).duplicate, true, 'the same event as through /events/main');
      const otherMember = raw.replace(/auth%5Bmember_id%5D=[^&]+/, 'auth%5Bmember_id%5D=someone-else');
      assert.notEqual(otherMember, raw);
      const refused = await fetch(bareUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: otherMember });
      assert.equal(refused.status, 401);
      assert.equal(await store.events.count(), before);
    });
  });
}
