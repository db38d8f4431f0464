/**
 * Token refresh driven by the clock: with a ManualClock advanced past the
 * access token's lifetime, the next call refreshes first (once, however many
 * calls wait), the refresh token rotates, and the new pair is persisted; a
 * second hour later it rotates again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { Bitrix24Client } from '../../../src/bitrix24/client.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { installApp, startAppHandler, type AppHandler, tokensFromInstall } from '../../emulators/bitrix24/helpers.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

const engine = testEngines()[0]!;
let emu: Bitrix24Emulator;
let handler: AppHandler;
let store: Store;
const clock = new ManualClock(Date.now());

before(async () => {
  emu = await startBitrix24Emulator({ portals: [{ limits: { drainPerSecond: 1000, burst: 1000 } }] });
  handler = await startAppHandler();
  store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock });
  const { auth } = await installApp(emu.controlUrl, handler);
  await store.portals.upsertInstall(tokensFromInstall('p1', auth), 'local.bridge.1');
});
after(async () => {
  await emu.close();
  await handler.close();
  await store.close();
  await engine.dropAll();
});

test('advancing the clock past expiry refreshes once per hour, rotating and persisting the refresh token', async () => {
  const client = new Bitrix24Client({ tokens: store.portals, credentials: { clientId: 'local.bridge.1', clientSecret: 'secret-of-app' }, clock });
  const first = (await store.portals.load('p1'))!;
  await client.call('p1', 'crm.lead.list');
  assert.equal(((await (await fetch(`${emu.controlUrl}/refresh-calls`)).json()) as { calls: unknown[] }).calls.length, 0, 'fresh token: no refresh');
  await clock.advance(3_600_000);
  await Promise.all(Array.from({ length: 10 }, () => client.call('p1', 'crm.lead.list')));
  const second = (await store.portals.load('p1'))!;
  assert.notEqual(second.refreshToken, first.refreshToken);
  await clock.advance(3_600_000);
  await client.call('p1', 'crm.lead.list');
  const third = (await store.portals.load('p1'))!;
  assert.notEqual(third.refreshToken, second.refreshToken);
  const calls = ((await (await fetch(`${emu.controlUrl}/refresh-calls`)).json()) as { calls: Array<{ ok: boolean }> }).calls;
  assert.deepEqual(calls.map((c) => c.ok), [true, true]);
});
