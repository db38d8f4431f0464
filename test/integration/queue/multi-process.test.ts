/**
 * Three real worker processes on one PostgreSQL, one killed with SIGKILL while
 * it holds portal leases: no job runs twice, per-conversation order holds,
 * nothing is lost, and resource leases are exclusive (jobs of one portal never
 * ran in two processes at the same time). With the emulated portals' real rate
 * limits: multi-process-limits.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { systemClock } from '../../../src/domain/clock.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { assertExactlyOnceInOrder, completions, leaseHolder, prepare, startWorker, stopWorkers, waitUntil, type Completion } from './worker-processes.ts';

const postgres = testEngines().find((e) => e.name === 'postgres');

function assertNoOverlapAcrossWorkers(rows: Completion[]): void {
  const byResource = new Map<string, Completion[]>();
  for (const r of rows) byResource.set(r.resource_key!, [...(byResource.get(r.resource_key!) ?? []), r]);
  for (const [resource, list] of byResource) {
    for (const x of list) {
      for (const y of list) {
        if (x.worker === y.worker) continue;
        const overlap = x.started_ms < y.finished_ms && y.started_ms < x.finished_ms;
        assert.ok(!overlap, `${resource}: ${x.worker} and ${y.worker} overlapped`);
      }
    }
  }
}

describe('three processes on one PostgreSQL', { skip: postgres ? false : 'PostgreSQL only (TEST_SKIP_POSTGRES=1)' }, () => {
  after(() => postgres?.dropAll());

  test('no job runs twice, order holds, portal leases are exclusive, killing one loses nothing', async () => {
    const url = await postgres!.createDatabase();
    const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
    // 2 s leases: a process starved of CPU on a busy 2-core test machine for longer than
    // that is treated as dead; shorter leases turned such stalls into takeovers.
    const workers = ['a', 'b', 'c'].map((id) => ({ id, ...startWorker(url, id, true, { BRIDGE_TEST_LEASE_MS: '2000' }) }));
    try {
      await prepare(store, 24, 6, 6);
      await Promise.all(workers.map((w) => w.ready));
      await waitUntil(async () => (await completions(store)).length >= 40, 20_000);
      const victim = await leaseHolder(store, workers);
      victim.child.kill('SIGKILL');
      await victim.exited;
      await waitUntil(async () => ((await store.jobs.countByState()).done ?? 0) === 144, 40_000);
      const rows = await completions(store);
      assertExactlyOnceInOrder(rows, 144);
      assertNoOverlapAcrossWorkers(rows);
      assert.ok(new Set(rows.map((r) => r.worker)).size >= 2, 'work was shared between processes');
    } finally {
      await stopWorkers(workers);
      await store.close();
    }
  });
});
