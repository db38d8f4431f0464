/**
 * Three real worker processes on one PostgreSQL calling two emulated Bitrix24
 * portals with tight limits: because each portal's lease (and so its limiter)
 * lives in one process at a time, no portal answers QUERY_LIMIT_EXCEEDED again
 * after a first warning, even when a lease-holding process is SIGKILLed.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startBitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { installApp, startAppHandler, tokensFromInstall } from '../../emulators/bitrix24/helpers.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { assertExactlyOnceInOrder, completions, leaseHolder, prepare, startWorker, stopWorkers, waitUntil } from './worker-processes.ts';

const postgres = testEngines().find((e) => e.name === 'postgres');

describe('three processes on one PostgreSQL calling the emulated portals', { skip: postgres ? false : 'PostgreSQL only (TEST_SKIP_POSTGRES=1)' }, () => {
  after(() => postgres?.dropAll());

  test('each portal\'s limit is not exceeded (none after a first warning), even when a process is killed', async () => {
    const limit = { drainPerSecond: 10, burst: 5 };
    const emu = await startBitrix24Emulator({ portals: [{ limits: limit }, { limits: limit }] });
    const handler = await startAppHandler();
    const url = await postgres!.createDatabase();
    const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
    const app = { clientId: 'local.bridge.1', clientSecret: 'secret-of-app' };
    const workers: Array<ReturnType<typeof startWorker> & { id: string }> = [];
    try {
      for (const portal of [0, 1]) {
        const { auth } = await installApp(emu.controlUrl, handler, portal);
        await store.portals.upsertInstall(tokensFromInstall(`p${portal}`, auth), app.clientId);
      }
      await prepare(store, 10, 8, 2, 'p');
      const env = { BRIDGE_TEST_BITRIX: JSON.stringify({ ...app, ...limit }) };
      workers.push(...['a', 'b', 'c'].map((id) => ({ id, ...startWorker(url, id, true, env) })));
      await Promise.all(workers.map((w) => w.ready));
      await waitUntil(async () => (await completions(store)).length >= 20, 30_000);
      const victim = await leaseHolder(store, workers);
      victim.child.kill('SIGKILL');
      await victim.exited;
      await waitUntil(async () => ((await store.jobs.countByState()).done ?? 0) === 80, 60_000);
      assertExactlyOnceInOrder(await completions(store), 80);
      const log = ((await (await fetch(`${emu.controlUrl}/requests`)).json()) as { requests: Array<{ portalId: number; outcome: string; method: string }> }).requests
        .filter((r) => r.method === 'crm.lead.add');
      for (const portal of [0, 1]) {
        const outcomes = log.filter((r) => r.portalId === portal).map((r) => r.outcome);
        const first = outcomes.indexOf('QUERY_LIMIT_EXCEEDED');
        const later = first < 0 ? [] : outcomes.slice(first + 1).filter((o) => o === 'QUERY_LIMIT_EXCEEDED');
        assert.deepEqual(later, [], `portal ${portal}: limit exceeded again after the first warning`);
      }
    } finally {
      await stopWorkers(workers);
      await store.close();
      await emu.close();
      await handler.close();
    }
  });
});
