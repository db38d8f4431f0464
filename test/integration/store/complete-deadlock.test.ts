/**
 * A job's completion that PostgreSQL aborts as a deadlock's victim is tried again, not failed:
 * its work is done already (a flush's items are in the line), and a failed job would do it
 * again. The deadlock is made on purpose: another transaction holds row Y and then asks for
 * row X, while the completion holds X and waits for Y — the completion waits first, so its
 * deadlock check runs first and it is the one PostgreSQL aborts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { until } from '../../helpers/e2e.ts';

for (const engine of testEngines().filter((e) => e.name === 'postgres')) {
  describe(`a completion aborted by a deadlock (${engine.name})`, () => {
    let store: Store;
    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock(1_000_000) });
      await store.meta.set('row-x', '0');
      await store.meta.set('row-y', '0');
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });

    /** Resolves once some session of this database waits for a row lock. */
    const waitingOnLock = () => until(async () => {
      const row = (await sql<{ n: string | number }>`select count(*) as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(store.db)).rows[0];
      return Number(row?.n ?? 0) > 0 ? true : undefined;
    });

    test('is tried again and commits once; the job is done, not failed', async () => {
      await store.jobs.enqueue({ kind: 'test.deadlock', conversationKey: 'deadlock:1', payload: {} });
      const job = await store.jobs.claim({ workerId: 'w1', leaseMs: 60_000 });
      assert.ok(job);
      let runs = 0;
      let releaseOther!: () => void;
      const otherMayTakeX = new Promise<void>((resolve) => {
        releaseOther = resolve;
      });
      // The other transaction: Y first, then (once the completion waits for Y) X.
      const other = store.db.transaction().execute(async (trx) => {
        await sql`update bridge_meta set value = 'other' where key = 'row-y'`.execute(trx);
        await otherMayTakeX;
        await sql`update bridge_meta set value = 'other' where key = 'row-x'`.execute(trx);
      });
      const completed = store.jobs.complete(job, async (trx) => {
        runs++;
        await sql`update bridge_meta set value = ${`completion ${runs}`} where key = 'row-x'`.execute(trx);
        // Waits for Y (held by the other); once it waits, the other asks for X: a deadlock. The
        // release waits until PostgreSQL shows the wait (not a fixed delay: a loaded machine may
        // send the next statement later than any delay chosen).
        if (runs === 1) void waitingOnLock().then(releaseOther);
        await sql`update bridge_meta set value = ${`completion ${runs}`} where key = 'row-y'`.execute(trx);
        await sql`insert into bridge_meta (key, value, updated_at_ms) values (${`written-by-${runs}`}, 'x', 0)`.execute(trx);
      });
      await Promise.all([completed, other]);
      assert.equal(runs, 2, 'the first try was the deadlock\'s victim, the second committed');
      const state = await store.db.selectFrom('jobs').select('state').where('id', '=', job.id).executeTakeFirstOrThrow();
      assert.equal(state.state, 'done');
      assert.equal(await store.meta.get('written-by-1'), null, 'nothing of the aborted try stayed');
      assert.equal(await store.meta.get('written-by-2'), 'x');
      assert.equal(await store.meta.get('row-x'), 'completion 2', 'the retry ran after the other transaction committed');
    });
  });
}
