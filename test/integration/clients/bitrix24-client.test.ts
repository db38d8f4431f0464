/**
 * The Bitrix24 client against the Bitrix24 emulator over HTTP, with tokens in
 * the real store (both engines): single-flight refresh with rotation persisted,
 * the portal's limit respected, never exceeded again after the first warning,
 * batch coalescing, no secrets in the journal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { Bitrix24Client } from '../../../src/bitrix24/client.ts';
import { HANDLED_EVENTS, reconcileEventBindings } from '../../../src/bitrix24/connector-setup.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { installApp, startAppHandler, type AppHandler, tokensFromInstall } from '../../emulators/bitrix24/helpers.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

const APP = { clientId: 'local.bridge.1', clientSecret: 'secret-of-app' };

async function ctl(emu: Bitrix24Emulator, method: string, path: string, body?: unknown) {
  const res = await fetch(emu.controlUrl + path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  return res.json() as Promise<Record<string, unknown>>;
}

for (const engine of testEngines()) {
  describe(`Bitrix24 client against the emulator (${engine.name})`, () => {
    let emu: Bitrix24Emulator;
    let handler: AppHandler;
    let store: Store;
    let client: Bitrix24Client;
    const secrets: string[] = [APP.clientSecret];

    before(async () => {
      emu = await startBitrix24Emulator();
      handler = await startAppHandler();
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: systemClock });
      const { auth } = await installApp(emu.controlUrl, handler);
      secrets.push(auth.access_token!, auth.refresh_token!, auth.application_token!);
      await store.portals.upsertInstall(tokensFromInstall('p1', auth), APP.clientId);
      client = new Bitrix24Client({
        tokens: store.portals, credentials: APP, clock: systemClock, journal: store.journal,
        limitFor: () => ({ drainPerSecond: 20, burst: 10 }),
      });
    });
    after(async () => {
      await emu.close();
      await handler.close();
      await store.close();
      await engine.dropAll();
    });

    test('a CRM event the portal refuses to bind (no crm scope) is reported, the others are bound; a refused connector event fails the setup', async () => {
      await ctl(emu, 'PUT', '/portals/0/limits', { drainPerSecond: 1000, burst: 1000 });
      const eventsUrl = 'https://bridge.example.ru/bitrix24/events/p1';
      await ctl(emu, 'PUT', '/portals/0/faults', { rules: [{ kind: 'status', status: 403, code: 'ACCESS_DENIED', methodPrefix: 'event.bind', params: { event: 'ONCRMLEADUPDATE' } }] });
      try {
        const report = await reconcileEventBindings(client, 'p1', eventsUrl);
        assert.deepEqual(report.refused, ['ONCRMLEADUPDATE: ACCESS_DENIED']);
        assert.deepEqual(report.bound.sort(), HANDLED_EVENTS.filter((e) => e !== 'ONCRMLEADUPDATE').sort());
        await ctl(emu, 'PUT', '/portals/0/faults', { rules: [{ kind: 'status', status: 403, code: 'ACCESS_DENIED', methodPrefix: 'event.bind', params: { event: 'ONIMCONNECTORMESSAGEADD' } }] });
        await assert.rejects(reconcileEventBindings(client, 'p1', 'https://bridge.example.ru/bitrix24/events/other'), /ACCESS_DENIED/);
      } finally {
        await ctl(emu, 'PUT', '/portals/0/faults', { rules: [] });
      }
    });

    test('50 parallel calls with an expired token make one refresh call; the rotated pair is persisted', async () => {
      await ctl(emu, 'PUT', '/portals/0/limits', { drainPerSecond: 1000, burst: 1000 });
      const before = (await store.portals.load('p1'))!;
      await ctl(emu, 'POST', '/portals/0/expire-tokens');
      const results = await Promise.all(Array.from({ length: 50 }, () => client.call<unknown[]>('p1', 'crm.lead.list')));
      assert.equal(results.length, 50);
      const calls = (await ctl(emu, 'GET', '/refresh-calls')).calls as unknown[];
      assert.equal(calls.length, 1);
      const after = (await store.portals.load('p1'))!;
      assert.notEqual(after.refreshToken, before.refreshToken);
      assert.notEqual(after.accessToken, before.accessToken);
      secrets.push(after.accessToken, after.refreshToken);
    });

    test('a burst beyond the plan limit is spaced out: no QUERY_LIMIT_EXCEEDED at all', async () => {
      await ctl(emu, 'PUT', '/portals/0/limits', { drainPerSecond: 20, burst: 10 });
      const start = (await ctl(emu, 'GET', '/requests')).requests as unknown[];
      await Promise.all(Array.from({ length: 40 }, (_, i) => client.call('p1', 'crm.lead.add', { fields: { TITLE: `L${i}` } })));
      const log = ((await ctl(emu, 'GET', '/requests')).requests as Array<{ outcome: string }>).slice(start.length);
      assert.equal(log.length, 40);
      assert.equal(log.filter((r) => r.outcome === 'QUERY_LIMIT_EXCEEDED').length, 0);
    });

    test('a portal stricter than configured: after the first warning the limit is never exceeded again', async () => {
      // The portal allows 10/s with burst 5; the client believes 20/s, burst 10.
      await ctl(emu, 'PUT', '/portals/0/limits', { drainPerSecond: 10, burst: 5 });
      const journalStart = Date.now();
      await Promise.all(Array.from({ length: 40 }, (_, i) => client.call('p1', 'crm.contact.add', { fields: { NAME: `C${i}` } })));
      const rows = (await store.journal.recent(1000)).filter((r) => r.at_ms >= journalStart && r.endpoint === 'crm.contact.add');
      const warnings = rows.filter((r) => r.status === 503);
      assert.ok(warnings.length >= 1, 'the stricter portal warned');
      const firstWarningAt = Math.min(...warnings.map((r) => r.at_ms + r.duration_ms));
      const sentAfter = rows.filter((r) => r.at_ms > firstWarningAt);
      assert.ok(sentAfter.length > 0);
      assert.equal(sentAfter.filter((r) => r.status === 503).length, 0, 'no 503 for requests sent after the first warning');
      assert.equal(rows.filter((r) => r.status === 200).length, 40, 'every call succeeded in the end');
    });

    test('batch coalesces 120 commands into 3 requests', async () => {
      await ctl(emu, 'PUT', '/portals/0/limits', { drainPerSecond: 1000, burst: 1000 });
      const start = ((await ctl(emu, 'GET', '/requests')).requests as unknown[]).length;
      const commands = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`c${i}`, { method: 'crm.deal.add', params: { fields: { TITLE: `Сделка ${i}` } } }]));
      const outcome = await client.batch('p1', commands);
      assert.equal(Object.keys(outcome.results).length, 120);
      assert.deepEqual(outcome.errors, {});
      const requests = ((await ctl(emu, 'GET', '/requests')).requests as unknown[]).length - start;
      assert.equal(requests, 3);
    });

    test('no token or secret appears anywhere in the journal', async () => {
      const rows = await store.journal.recent(10_000);
      assert.ok(rows.length > 100);
      const text = JSON.stringify(rows);
      for (const secret of secrets) assert.ok(!text.includes(secret), `secret leaked: ${secret.slice(0, 4)}…`);
    });
  });
}
