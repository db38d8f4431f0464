/**
 * The job runner on both engines: per-conversation order under injected
 * failures while other conversations keep moving, backoff honoured with a
 * driven clock, lease expiry takeover, dead letters and replay, graceful stop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BridgeError } from '../../../src/domain/errors.ts';
import { NotYet } from '../../../src/queue/not-yet.ts';
import { JobRunner, type JobHandler } from '../../../src/queue/runner.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('until: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const engine of testEngines()) {
  describe(`job runner (${engine.name})`, () => {
    let store: Store;
    const clock = new ManualClock();
    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock });
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });

    test('kindLimits: at most N jobs of a kind in flight; other kinds still claimed meanwhile', async () => {
      const release: Array<() => void> = [];
      let inFlight = 0;
      let most = 0;
      const done: string[] = [];
      const slow: JobHandler = async (job) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        done.push(String((job.payload as { n: number }).n));
      };
      const quick: JobHandler = async () => {
        done.push('other');
      };
      for (let n = 0; n < 6; n++) await store.jobs.enqueue({ kind: 'limited', conversationKey: `limited-${n}`, payload: { n } });
      const runner = new JobRunner({ store, handlers: { limited: slow, other: quick }, workerId: 'w-limits', clock, pollIntervalMs: 5, concurrency: 6, kindLimits: { limited: 2 } });
      runner.start();
      try {
        await until(() => release.length === 2);
        // Four workers are free, yet no third `limited` job is claimed; another kind is.
        await store.jobs.enqueue({ kind: 'other', conversationKey: 'other-1', payload: {} });
        runner.poke();
        await until(() => done.includes('other'));
        assert.equal(release.length, 2);
        while (done.filter((d) => d !== 'other').length < 6) {
          release.shift()?.();
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(most, 2, 'never more than two in flight');
      } finally {
        for (const r of release) r();
        await runner.stop(1_000);
      }
    });

    test('jobs of one conversation complete in order under failures; others are not blocked', async () => {
      const done: string[] = [];
      let failuresLeft = 3;
      const handler: JobHandler = async (job) => {
        const { conv, n } = job.payload as { conv: string; n: number };
        if (conv === 'slow' && n === 2 && failuresLeft > 0) {
          failuresLeft--;
          throw new BridgeError('BRG_ERR_TEST', 'injected', { retryable: true });
        }
        done.push(`${conv}:${n}`);
      };
      for (let n = 1; n <= 4; n++) {
        await store.jobs.enqueue({ kind: 'order', conversationKey: 'slow', payload: { conv: 'slow', n } });
        await store.jobs.enqueue({ kind: 'order', conversationKey: 'fast', payload: { conv: 'fast', n } });
      }
      const runner = new JobRunner({
        store, handlers: { order: handler }, workerId: 'w1', clock, random: () => 0, pollIntervalMs: 5,
        retryPolicy: { baseDelayMs: 1_000, maxDelayMs: 8_000, maxAttempts: 10 },
      });
      let failed = 0;
      runner.on('job:failed', () => failed++);
      runner.start();
      // "fast" finishes while "slow" waits on the backoff of job 2.
      await until(() => done.filter((d) => d.startsWith('fast')).length === 4);
      assert.deepEqual(done.filter((d) => d.startsWith('slow')), ['slow:1']);
      // Drive the clock through the three backoffs (0.5 s, 1 s, 2 s with random 0).
      await until(async () => {
        await clock.advance(250);
        return done.filter((d) => d.startsWith('slow')).length === 4;
      });
      assert.equal(failed, 3, 'three failures, then success');
      await runner.stop(1_000);
      assert.deepEqual(done.filter((d) => d.startsWith('slow')), ['slow:1', 'slow:2', 'slow:3', 'slow:4']);
      assert.deepEqual(done.filter((d) => d.startsWith('fast')), ['fast:1', 'fast:2', 'fast:3', 'fast:4']);
    });

    test('a non-retryable error dead-letters the job with its code; the conversation moves on; replay runs it', async () => {
      const seen: number[] = [];
      let refuse = true;
      const handler: JobHandler = async (job) => {
        const { n } = job.payload as { n: number };
        if (n === 1 && refuse) {
          throw Object.assign(new BridgeError('BRG_ERR_MAX_BLOCKED', 'client blocked the bot', { retryable: false }), { response: '{"code":"chat.denied"}' });
        }
        seen.push(n);
      };
      const first = await store.jobs.enqueue({ kind: 'dl', conversationKey: 'dl-conv', payload: { n: 1 } });
      await store.jobs.enqueue({ kind: 'dl', conversationKey: 'dl-conv', payload: { n: 2 } });
      const runner = new JobRunner({ store, handlers: { dl: handler }, workerId: 'w2', clock, pollIntervalMs: 5 });
      runner.start();
      await until(() => seen.includes(2));
      const dead = await store.deadLetters.list();
      const letter = dead.find((d) => d.id === first);
      assert.equal(letter?.errorCode, 'BRG_ERR_MAX_BLOCKED');
      assert.equal(letter?.lastResponse, '{"code":"chat.denied"}');
      assert.equal(letter?.attempts, 1, 'no retry storm: one attempt');
      refuse = false;
      assert.equal(await store.deadLetters.replay(first), true);
      runner.poke();
      await until(() => seen.includes(1));
      await runner.stop(1_000);
      assert.deepEqual(seen, [2, 1]);
      assert.equal(await store.deadLetters.replay(first), false, 'no longer dead');
    });

    test('a job whose worker stopped renewing is taken over after its lease expires', async () => {
      const id = await store.jobs.enqueue({ kind: 'lease', conversationKey: 'lease-conv', payload: {} });
      const stale = await store.jobs.claim({ workerId: 'dead-worker', leaseMs: 30_000 });
      assert.equal(stale?.id, id);
      assert.equal(await store.jobs.claim({ workerId: 'w3', leaseMs: 30_000 }), null, 'still leased');
      await clock.advance(30_001);
      const taken = await store.jobs.claim({ workerId: 'w3', leaseMs: 30_000 });
      assert.equal(taken?.id, id);
      assert.equal(taken?.attempt, 2);
      // The old holder can no longer complete it (fencing).
      await assert.rejects(store.jobs.complete(stale!), /lease lost/);
      await store.jobs.complete(taken!);
      assert.equal((await store.jobs.get(id))?.state, 'done');
    });

    test('graceful stop finishes in-flight work within the grace period and releases the rest', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const finished: string[] = [];
      const handler: JobHandler = async (job, ctx) => {
        const { name } = job.payload as { name: string };
        if (name === 'quick') {
          finished.push(name);
          return;
        }
        await Promise.race([gate, new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))))]);
        finished.push(name);
      };
      const slow = await store.jobs.enqueue({ kind: 'stop', conversationKey: 'stop-a', payload: { name: 'slow' } });
      await store.jobs.enqueue({ kind: 'stop', conversationKey: 'stop-b', payload: { name: 'quick' } });
      const runner = new JobRunner({ store, handlers: { stop: handler }, workerId: 'w4', clock, pollIntervalMs: 5 });
      let released = -1;
      runner.on('runner:stopped', (e) => (released = e.released));
      runner.start();
      await until(() => finished.includes('quick') && runner.inflightCount === 1);
      await runner.stop(200);
      assert.equal(released, 1);
      const row = await store.jobs.get(slow);
      assert.equal(row?.state, 'pending');
      assert.equal(row?.attempts, 0, 'a released job is not counted as an attempt');
      release();
    });

    test('"not yet": the job goes back unrun until its time, not counted, still ahead of its conversation', async () => {
      const ran: string[] = [];
      let deferrals = 0;
      const dueMs = clock.nowMs() + 50_000;
      const handler: JobHandler = async (job) => {
        const { n } = job.payload as { n: number };
        if (n === 1 && clock.nowMs() < dueMs) {
          deferrals++;
          throw new NotYet(dueMs, 'test');
        }
        ran.push(`${n}@${job.attempt}`);
      };
      const first = await store.jobs.enqueue({ kind: 'wait', conversationKey: 'waiting', payload: { n: 1 } });
      await store.jobs.enqueue({ kind: 'wait', conversationKey: 'waiting', payload: { n: 2 } });
      await store.jobs.enqueue({ kind: 'wait', conversationKey: 'other', payload: { n: 3 } });
      const runner = new JobRunner({ store, handlers: { wait: handler }, workerId: 'w-notyet', clock, random: () => 0, pollIntervalMs: 5 });
      runner.start();
      await until(() => ran.includes('3@1') && deferrals >= 1);
      const row = await store.jobs.get(first);
      assert.equal(row?.state, 'pending');
      assert.equal(row?.attempts, 0, 'a deferral is not an attempt');
      assert.equal(Number(row?.run_at_ms), dueMs);
      assert.deepEqual(ran, ['3@1'], 'job 2 waits behind job 1 of its conversation');
      await clock.advance(50_000);
      await until(() => ran.length === 3);
      await runner.stop(1_000);
      assert.deepEqual(ran, ['3@1', '1@1', '2@1']);
    });
  });
}
