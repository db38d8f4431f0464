/**
 * The head-of-line claim itself (src/store/repos/job-repo.ts), on both engines,
 * driven step by step with a ManualClock: a retried job is not runnable one
 * millisecond before its time and nothing of its conversation overtakes it; a
 * replayed dead letter neither runs alongside a later job of its conversation
 * that is running nor lets the pending ones overtake it; a stale running job
 * whose worker died does not deadlock a replayed one.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

const LEASE_MS = 30_000;
const failure = { code: 'BRG_ERR_TEST', message: 'injected' };

for (const engine of testEngines()) {
  describe(`head-of-line claim (${engine.name})`, () => {
    let store: Store;
    const clock = new ManualClock();
    const claim = (workerId = 'w') => store.jobs.claim({ workerId, leaseMs: LEASE_MS });
    const enqueue = (conversationKey: string, n: number) => store.jobs.enqueue({ kind: 'k', conversationKey, payload: { n } });

    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock });
    });
    beforeEach(async () => {
      await store.db.deleteFrom('jobs').execute();
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });

    test('a retried job is not runnable before its time, and its conversation waits for it', async () => {
      const first = await enqueue('c', 1);
      const second = await enqueue('c', 2);
      const job = await claim();
      assert.equal(job?.id, first);
      assert.equal(await store.jobs.retryLater(job!, 4_000, failure), true);
      await clock.advance(3_999);
      assert.equal(await claim(), null, 'job 2 must not overtake job 1 waiting on its backoff');
      await clock.advance(1);
      const again = await claim();
      assert.equal(again?.id, first);
      assert.equal(again?.attempt, 2);
      assert.equal(again?.lastErrorCode, 'BRG_ERR_TEST');
      await store.jobs.complete(again!);
      assert.equal((await claim())?.id, second);
    });

    test('other conversations are claimable while one waits on its backoff', async () => {
      await enqueue('stuck', 1);
      const other = await enqueue('free', 1);
      const stuck = await claim();
      await store.jobs.retryLater(stuck!, 60_000, failure);
      assert.equal((await claim())?.id, other);
    });

    test('a replayed dead letter waits for the running job of its conversation, then goes before the pending ones', async () => {
      const first = await enqueue('c', 1);
      const second = await enqueue('c', 2);
      const third = await enqueue('c', 3);
      await store.jobs.markDead((await claim())!, failure);
      const running = await claim();
      assert.equal(running?.id, second, 'a dead job no longer blocks its conversation');
      assert.equal(await store.deadLetters.replay(first), true);
      assert.equal(await claim('other'), null, 'the replayed job must not run alongside job 2');
      await store.jobs.complete(running!);
      const replayed = await claim();
      assert.equal(replayed?.id, first, 'replayed job keeps its original place, before job 3');
      assert.equal(replayed?.attempt, 1, 'a replay starts a fresh count of attempts');
      assert.equal(await claim('other'), null);
      await store.jobs.complete(replayed!);
      assert.equal((await claim())?.id, third);
    });

    test('a replayed job is not deadlocked by a later job whose worker died', async () => {
      const first = await enqueue('c', 1);
      const second = await enqueue('c', 2);
      await store.jobs.markDead((await claim())!, failure);
      assert.equal((await claim('dies'))?.id, second);
      await store.deadLetters.replay(first);
      await clock.advance(LEASE_MS + 1);
      const replayed = await claim('survivor');
      assert.equal(replayed?.id, first, 'the dead worker\'s lease expired: the older job goes first');
      assert.equal(await claim('survivor'), null, 'job 2 waits for job 1');
      await store.jobs.complete(replayed!);
      const taken = await claim('survivor');
      assert.equal(taken?.id, second);
      assert.equal(taken?.attempt, 2);
    });

    test('dead letters replay in bulk (optionally by error code), each keeping its place', async () => {
      const blocked = await enqueue('a', 1);
      const throttled = await enqueue('b', 1);
      const later = await enqueue('a', 2);
      await store.jobs.markDead((await claim())!, { code: 'BRG_ERR_MAX_USER_BLOCKED_BOT', message: 'blocked', response: '{"code":"chat.denied"}' });
      await store.jobs.markDead((await claim())!, { code: 'BRG_ERR_BITRIX24_QUERY_LIMIT', message: 'limit' });
      const listed = await store.deadLetters.list();
      assert.deepEqual(listed.map((d) => [d.id, d.errorCode]), [[blocked, 'BRG_ERR_MAX_USER_BLOCKED_BOT'], [throttled, 'BRG_ERR_BITRIX24_QUERY_LIMIT']]);
      assert.equal(listed[0]?.lastResponse, '{"code":"chat.denied"}');
      assert.equal(await store.deadLetters.replayAll('BRG_ERR_BITRIX24_QUERY_LIMIT'), 1);
      assert.deepEqual((await store.deadLetters.list()).map((d) => d.id), [blocked]);
      assert.equal(await store.deadLetters.replayAll(), 1);
      assert.deepEqual(await store.deadLetters.list(), []);
      const order: number[] = [];
      for (let job = await claim(); job; job = await claim()) {
        order.push(job.id);
        await store.jobs.complete(job);
      }
      assert.deepEqual(order, [blocked, throttled, later], 'replayed job 1 of "a" runs before job 2 of "a"');
    });
  });
}

describe('head-of-line claim, cost with a long history (sqlite)', () => {
  const sqlite = testEngines().find((e) => e.name === 'sqlite')!;
  after(() => sqlite.dropAll());

  // Done jobs pile up (100,000 after a while); the claim must look only at unfinished ones
  // (the partial indexes of migration 2). It once walked every job of each pending job's
  // conversation instead: 130 ms per claim at 100,000 done and 1,000 pending jobs.
  test('the head-of-line check reads the partial index of unfinished jobs, not the whole history', async () => {
    const store = await openStore({ databaseUrl: await sqlite.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock() });
    const plans: string[] = [];
    const prepare = BetterSqlite3.prototype.prepare;
    try {
      await store.db.insertInto('jobs').values(Array.from({ length: 400 }, (_, i) => ({
        kind: 'k', conversation_key: `c${i % 4}`, resource_key: null, payload: '{}', state: 'done' as const, attempts: 1, run_at_ms: 0,
        locked_by: null, lease_until_ms: null, last_error_code: null, last_error: null, last_response: null, event_id: null, created_at_ms: 0, updated_at_ms: 0,
      }))).execute();
      for (let i = 0; i < 40; i++) await store.jobs.enqueue({ kind: 'k', conversationKey: `c${i % 4}`, payload: { i } });
      BetterSqlite3.prototype.prepare = function (this: BetterSqlite3.Database, source: string) {
        if (/^select "j"\."id" from "jobs" as "j"/.test(source)) {
          // Explained with every parameter NULL: the part under test is spelled with literals.
          const nulls = Array.from({ length: source.split('?').length - 1 }, () => null);
          const rows = (prepare.call(this, `explain query plan ${source}`) as BetterSqlite3.Statement<unknown[], { detail: string }>).all(...nulls);
          plans.push(rows.map((r) => r.detail).join('\n'));
        }
        return prepare.call(this, source);
      } as typeof prepare;
      const job = await store.jobs.claim({ workerId: 'w', leaseMs: LEASE_MS });
      assert.ok(job, 'a job was claimed');
      assert.equal(plans.length, 1, 'the claim statement was seen');
      assert.match(plans[0]!, /SEARCH p USING (COVERING )?INDEX jobs_unfinished_conversation_idx/, plans[0]);
    } finally {
      BetterSqlite3.prototype.prepare = prepare;
      await store.close();
    }
  });
});

