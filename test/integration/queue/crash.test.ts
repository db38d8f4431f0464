/**
 * One real worker process, on both engines:
 * - killed with SIGKILL while jobs are in flight: after a restart every job
 *   completes exactly once and per-conversation order holds;
 * - stopped with SIGTERM while jobs are in flight: jobs that finish within the
 *   grace period complete, the rest are released unrun (pending, no attempt
 *   counted), nothing is left running, and the process exits 0.
 * Several processes: multi-process.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { systemClock } from '../../../src/domain/clock.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { assertExactlyOnceInOrder, completions, createCompletionsTable, killWithJobsInFlight, prepare, startWorker, stopWorkers, waitUntil } from './worker-processes.ts';

for (const engine of testEngines()) {
  describe(`crash recovery (${engine.name})`, () => {
    after(() => engine.dropAll());

    test('SIGKILL with jobs in flight: after restart every job completes exactly once, in order', async () => {
      const url = await engine.createDatabase();
      const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
      const first = startWorker(url, 'first', false);
      let second: ReturnType<typeof startWorker> | null = null;
      try {
        await prepare(store, 12, 8, 0);
        await first.ready;
        await waitUntil(async () => (await completions(store)).length >= 30, 20_000);
        const inFlight = await killWithJobsInFlight(first, store);
        assert.ok(inFlight > 0, 'the kill left jobs running');
        assert.equal((await store.jobs.countByState()).running ?? 0, inFlight, 'nothing finished after the kill');
        second = startWorker(url, 'second', false);
        await second.ready;
        await waitUntil(async () => ((await store.jobs.countByState()).done ?? 0) === 96, 30_000);
        second.child.kill('SIGTERM');
        assert.equal(await second.exited, 0);
        assertExactlyOnceInOrder(await completions(store), 96);
      } finally {
        await stopWorkers(second ? [first, second] : [first]);
        await store.close();
      }
    });

    test('SIGTERM with jobs in flight: quick ones finish, slow ones are released unrun, exit 0', async () => {
      const url = await engine.createDatabase();
      const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
      // Grace 1.5 s: the 300 ms jobs finish within it, the 60 s ones cannot.
      const worker = startWorker(url, 'graceful', false, { BRIDGE_TEST_GRACE_MS: '1500' });
      try {
        await createCompletionsTable(store);
        const quick: number[] = [];
        const slow: number[] = [];
        for (let c = 0; c < 3; c++) {
          quick.push(await store.jobs.enqueue({ kind: 'work', conversationKey: `quick-${c}`, payload: { n: 1, sleepMs: 300 } }));
          slow.push(await store.jobs.enqueue({ kind: 'work', conversationKey: `slow-${c}`, payload: { n: 1, sleepMs: 60_000 } }));
        }
        await worker.ready;
        await waitUntil(async () => (await store.jobs.countByState()).running === 6, 10_000);
        worker.child.kill('SIGTERM');
        assert.equal(await worker.exited, 0, 'clean exit');
        const done = (await completions(store)).map((r) => r.job_id).sort((a, b) => a - b);
        assert.deepEqual(done, quick, 'in-flight work that fits the grace period finished, once');
        for (const id of slow) {
          const row = await store.jobs.get(id);
          assert.equal(row?.state, 'pending', `job ${id} released`);
          assert.equal(row?.attempts, 0, 'a released job is not counted as an attempt');
          assert.equal(row?.locked_by, null);
        }
        assert.equal((await store.jobs.countByState()).running ?? 0, 0, 'nothing left running');
      } finally {
        await stopWorkers([worker]);
        await store.close();
      }
    });
  });
}
