/**
 * A CRM call that took effect but whose job never committed is not made twice (issue 17):
 * - the answer of `crm.lead.add` is lost (the portal made the lead, the connection broke): the
 *   job fails, is retried, finds the lead by its ORIGIN_ID and makes no second (SQLite and
 *   PostgreSQL);
 * - the bridge process is SIGKILLed while `crm.contact.add` has been made on the portal and its
 *   answer is still on the way: a bridge started again on the same database retries the job
 *   once its lease lapses, finds the contact, opens the deal — one contact, one deal.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startChild } from '../../bench/child-process.ts';
import { startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { startBridge } from '../../src/runtime/start-bridge.ts';
import { freePort } from '../../bench/child-process.ts';
import { bridgeWorldFor, webhookBridgeConfig } from '../helpers/bridge-world.ts';
import { sqliteEngine, testEngines } from '../helpers/databases.ts';
import { installApp, postOk, until } from '../helpers/e2e.ts';

const putFaults = (controlUrl: string, rules: unknown[]) => fetch(`${controlUrl}/portals/0/faults`, {
  method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }),
});

for (const engine of testEngines()) {
  describe(`CRM: an answer lost after the portal made the lead (${engine.name})`, () => {
    const world = bridgeWorldFor(engine, {
      bitrix24TimeFactor: 0.05,
      config: (sandbox, port) => webhookBridgeConfig(sandbox, port, { security: { secret_key: 'crm-crash-secret-key-0123456789' }, crm: { mode: 'lead' } }),
    });

    test('the retried job finds the lead its first attempt made and makes no second', { timeout: 120_000 }, async () => {
      const w = world();
      const portal = w.sandbox.bitrix24.context.portals[0]!;
      assert.equal((await putFaults(w.sandbox.bitrix24.controlUrl, [{ kind: 'lose', methodPrefix: 'crm.lead.add', remaining: 1 }])).status, 200);
      const user = { user_id: 8_900_001, first_name: 'Пётр' };
      await postOk(`${w.sandbox.max.controlUrl}/bot-started`, { user, payload: 'utm_source=crash' });
      await postOk(`${w.sandbox.max.controlUrl}/messages`, { user, text: 'Хочу заказать' });
      const link = await until(async () => (await w.bridge.store.crmLinks.all()).find((l) => l.state === 'bound'), 90_000);
      assert.equal(portal.crm.lead.size, 1, 'one lead, not two');
      assert.equal(link.leadId, [...portal.crm.lead.keys()][0]);
      // The portal did take the first add (its answer was lost), and no second add was made.
      const adds = (await w.bridge.store.journal.search({ limit: 500 })).rows.filter((r) => r.endpoint === 'crm.lead.add');
      assert.equal(adds.length, 1, 'crm.lead.add was called once');
      assert.notEqual(adds[0]?.status, 200, 'and its answer never came');
      assert.equal([...portal.crm.lead.values()][0]?.UTM_SOURCE, 'crash');
    });
  });
}

describe('CRM: the bridge SIGKILLed between crm.contact.add and its commit (sqlite)', () => {
  test('a bridge started again retries the job: one contact, one deal', { timeout: 180_000 }, async () => {
    const engine = sqliteEngine();
    let sandbox: Sandbox | null = null;
    try {
      sandbox = await startSandbox({ preferredPorts: false, bitrix24TimeFactor: 0.05 });
      const port = await freePort();
      const config = {
        ...webhookBridgeConfig(sandbox, port, { security: { secret_key: 'crm-crash-secret-key-0123456789' }, crm: { mode: 'contact_deal' } }),
        database: { url: await engine.createDatabase() },
      };
      const child = await startChild('bench/processes/bridge-server.ts', { BENCH_BRIDGE_CONFIG: JSON.stringify({ config }) });
      await installApp(sandbox.bitrix24.controlUrl, child.url);
      const portal = sandbox.bitrix24.context.portals[0]!;
      // The contact is made on the portal; its answer is held for a minute (the process dies meanwhile).
      await putFaults(sandbox.bitrix24.controlUrl, [{ kind: 'lose', methodPrefix: 'crm.contact.add', latencyMs: 60_000, remaining: 1 }]);
      const user = { user_id: 8_900_002, first_name: 'Вера' };
      await postOk(`${sandbox.max.controlUrl}/messages`, { user, text: 'Нужна консультация' });
      await until(() => (portal.crm.contact.size === 1 ? true : undefined), 60_000);
      process.kill(child.pid, 'SIGKILL');
      await until(() => (child.alive() ? undefined : true), 10_000);
      assert.equal(portal.crm.deal.size, 0, 'killed before the deal');
      const bridge = await startBridge(configSchema.parse(config), { clock: systemClock });
      try {
        // The job's lease (30 s) lapses, then it runs again here.
        const link = await until(async () => (await bridge.store.crmLinks.all()).find((l) => l.state === 'bound'), 120_000);
        assert.equal(portal.crm.contact.size, 1, 'one contact, not two');
        assert.equal(portal.crm.deal.size, 1, 'one deal');
        assert.equal(link.contactId, [...portal.crm.contact.keys()][0]);
        assert.equal(String([...portal.crm.deal.values()][0]?.CONTACT_ID), String(link.contactId));
      } finally {
        await bridge.close();
      }
    } finally {
      await sandbox?.close();
      await engine.dropAll();
    }
  });
});
