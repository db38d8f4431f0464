/**
 * The runner under a driven clock, on both engines (STYLE habit 5, grammY #961):
 * the backoff is followed to its cap and then to the dead-letter list, a remote
 * retryAfterMs is honoured to the millisecond, and a handler that outlives its
 * lease keeps the job because the heartbeat renews it, and a worker whose job
 * was taken over stops working on it.
 *
 * "Not yet runnable" is checked with a probe claim from another worker at one
 * millisecond before the due time: deterministic, no real-time waiting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BridgeError } from '../../../src/domain/errors.ts';
import { JobRunner, type JobHandler } from '../../../src/queue/runner.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

async function until<T>(probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('until: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A handler that counts its runs and holds each until `open()`. */
function heldHandler(): { handler: JobHandler; open: () => void; runs: number } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const held = {
    runs: 0,
    open: () => open(),
    handler: (async () => {
      held.runs++;
      await gate;
    }) as JobHandler,
  };
  return held;
}

for (const engine of testEngines()) {
  describe(`job runner under a driven clock (${engine.name})`, () => {
    let store: Store;
    const clock = new ManualClock();
    const probe = () => store.jobs.claim({ workerId: 'probe', leaseMs: 1_000 });

    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock });
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });

    test('backoff doubles to its cap, waits each delay exactly, then dead-letters the job', async () => {
      const handler: JobHandler = async () => {
        throw new BridgeError('BRG_ERR_MAX_UNAVAILABLE', 'MAX answered 503', { retryable: true });
      };
      const id = await store.jobs.enqueue({ kind: 'flaky', conversationKey: 'cap', payload: {} });
      const delays: number[] = [];
      let deadReason = '';
      const runner = new JobRunner({
        store, handlers: { flaky: handler }, workerId: 'w1', clock, random: () => 0.999999, pollIntervalMs: 2,
        retryPolicy: { baseDelayMs: 1_000, maxDelayMs: 4_000, maxAttempts: 6 },
      });
      runner.on('job:failed', (e) => delays.push(e.delayMs)).on('job:dead', (e) => (deadReason = e.reason));
      runner.start();
      try {
        const expected = [1_000, 2_000, 4_000, 4_000, 4_000];
        for (const [i, delayMs] of expected.entries()) {
          await until(() => delays.length === i + 1);
          assert.equal(delays[i], delayMs, `delay after attempt ${i + 1}`);
          await clock.advance(delayMs - 1);
          assert.equal(await probe(), null, `attempt ${i + 2} must not start before ${delayMs} ms`);
          await clock.advance(1);
        }
        await until(() => deadReason !== '');
        assert.equal(deadReason, 'attempts_exhausted');
        const [letter] = (await store.deadLetters.list()).filter((d) => d.id === id);
        assert.equal(letter?.attempts, 6);
        assert.equal(letter?.errorCode, 'BRG_ERR_MAX_UNAVAILABLE');
      } finally {
        await runner.stop(1_000);
      }
    });

    test('a 6-hour outage: the job retries by cause the whole time, the conversation\'s next job waits behind it, no dead letter', async () => {
      const HOUR_MS = 3_600_000;
      const outageEndsAtMs = clock.nowMs() + 6 * HOUR_MS;
      const ran: string[] = [];
      const handler: JobHandler = async (job) => {
        const { n } = job.payload as { n: string };
        if (n === 'first' && clock.nowMs() < outageEndsAtMs) throw new BridgeError('BRG_ERR_BITRIX24_UNAVAILABLE', 'portal answered 503', { retryable: true });
        ran.push(n);
      };
      const first = await store.jobs.enqueue({ kind: 'outage', conversationKey: 'outage', payload: { n: 'first' } });
      const second = await store.jobs.enqueue({ kind: 'outage', conversationKey: 'outage', payload: { n: 'second' } });
      let failures = 0;
      let dead = 0;
      const runner = new JobRunner({
        store, handlers: { outage: handler }, workerId: 'w-outage', clock, random: () => 0.999999, pollIntervalMs: 2,
        retryPolicy: { baseDelayMs: 1_000, maxDelayMs: 300_000, maxAttempts: 12, transientForMs: 7 * 24 * HOUR_MS },
      });
      const delays: number[] = [];
      runner.on('job:failed', (e) => {
        failures++;
        delays.push(e.delayMs);
      }).on('job:dead', () => dead++);
      runner.start();
      try {
        for (;;) {
          // The first job's next outcome: done, or a failure recorded (pending, due later). A nudge
          // of 1 ms wakes a runner that went to sleep on the clock just before the last move.
          const job = await until(async () => {
            const row = await store.jobs.get(first);
            if (row?.state === 'done' || (row?.state === 'pending' && Number(row.run_at_ms) > clock.nowMs())) return row;
            await clock.advance(1);
            return undefined;
          });
          if (job.state === 'done') break;
          assert.equal((await store.jobs.get(second))?.state, 'pending', 'the later job waits behind the retrying one');
          await clock.advance(Number(job.run_at_ms) - clock.nowMs());
        }
        await until(async () => (await store.jobs.get(second))?.state === 'done' || (await clock.advance(1), false));
        assert.deepEqual(ran, ['first', 'second']);
        assert.equal(dead, 0);
        assert.ok(failures > 12, `retried past the old 12-attempt limit: ${failures} failures`);
        assert.ok(Math.max(...delays) <= 300_000, 'never more than 5 minutes between tries');
      } finally {
        await runner.stop(1_000);
      }
    });

    test('a remote retryAfterMs longer than the backoff is honoured to the millisecond', async () => {
      let calls = 0;
      const handler: JobHandler = async () => {
        calls++;
        if (calls === 1) {
          throw new BridgeError('BRG_ERR_BITRIX24_OPERATION_TIME_LIMIT', 'method time limit', { retryable: true, retryAfterMs: 90_000 });
        }
      };
      const id = await store.jobs.enqueue({ kind: 'limited', conversationKey: 'limited', payload: {} });
      const delays: number[] = [];
      const runner = new JobRunner({ store, handlers: { limited: handler }, workerId: 'w2', clock, random: () => 0, pollIntervalMs: 2 });
      runner.on('job:failed', (e) => delays.push(e.delayMs));
      runner.start();
      try {
        await until(() => delays.length === 1);
        assert.deepEqual(delays, [90_000]);
        await clock.advance(89_999);
        assert.equal(await probe(), null, 'not before the reset time');
        await clock.advance(1);
        await until(async () => (await store.jobs.get(id))?.state === 'done');
        assert.equal(calls, 2);
      } finally {
        await runner.stop(1_000);
      }
    });

    test('a handler that outlives its lease keeps the job: the heartbeat renews it', async () => {
      const leaseMs = 300;
      const held = heldHandler();
      const { handler, open } = held;
      const id = await store.jobs.enqueue({ kind: 'long', conversationKey: 'long', payload: {} });
      const runner = new JobRunner({ store, handlers: { long: handler }, workerId: 'w3', clock, leaseMs, pollIntervalMs: 2 });
      runner.start();
      try {
        await until(() => held.runs === 1);
        // Five leases' worth of time in half-lease steps; after each step the heartbeat
        // (every leaseMs / 3 of real time) moves the lease past the new "now".
        for (let step = 0; step < 10; step++) {
          await clock.advance(leaseMs / 2);
          await until(async () => Number((await store.jobs.get(id))?.lease_until_ms) === clock.nowMs() + leaseMs);
          assert.equal(await probe(), null, 'a renewed job is not taken over');
        }
        open();
        await until(async () => (await store.jobs.get(id))?.state === 'done');
        assert.equal(held.runs, 1);
        assert.equal((await store.jobs.get(id))?.attempts, 1);
      } finally {
        open();
        await runner.stop(1_000);
      }
    });

    test('under a clock running ~30 times faster than real time, a job running for seconds keeps its lease and runs once', async () => {
      // What the end-to-end tests' clock driver does while work is under way: 100 ms of the
      // bridge's time every few real milliseconds. The production lease: 30 s.
      const leaseMs = 30_000;
      const held = heldHandler();
      const { handler, open } = held;
      const id = await store.jobs.enqueue({ kind: 'fast-clock', conversationKey: 'fast-clock', payload: {} });
      const runner = new JobRunner({ store, handlers: { 'fast-clock': handler }, workerId: 'w6', clock, leaseMs, pollIntervalMs: 2 });
      let lost = 0;
      runner.on('job:lease-lost', () => lost++);
      runner.start();
      try {
        await until(() => held.runs === 1);
        const startMs = clock.nowMs();
        // Five leases of the bridge's time, in about 1.5 s of real time while the job runs.
        while (clock.nowMs() - startMs < 5 * leaseMs) {
          await new Promise((r) => setTimeout(r, 3));
          await clock.advance(100);
          runner.poke();
        }
        open();
        await until(async () => (await store.jobs.get(id))?.state === 'done');
        assert.equal(held.runs, 1, 'claimed again while it ran: its lease lapsed on the clock');
        assert.equal(lost, 0);
        assert.equal((await store.jobs.get(id))?.attempts, 1);
      } finally {
        open();
        await runner.stop(1_000);
      }
    });

    test('a worker whose job was taken over stops it at the next heartbeat and writes nothing', async () => {
      let aborted: unknown = null;
      const handler: JobHandler = (_job, ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject((aborted = ctx.signal.reason))));
      const id = await store.jobs.enqueue({ kind: 'stolen', conversationKey: 'stolen', payload: {} });
      const runner = new JobRunner({ store, handlers: { stolen: handler }, workerId: 'w4', clock, leaseMs: 300, pollIntervalMs: 2 });
      let lost = 0;
      runner.on('job:lease-lost', () => lost++);
      runner.start();
      try {
        await until(async () => (await store.jobs.get(id))?.state === 'running');
        // What another process's claim does after our lease lapsed (a long GC pause, say).
        await store.db.updateTable('jobs').set((eb) => ({ locked_by: 'thief', attempts: eb('attempts', '+', 1) })).where('id', '=', id).execute();
        // A third of the lease on the clock: the next beat renews, and learns the job is not ours.
        await clock.advance(100);
        await until(() => aborted !== null);
        assert.match(String(aborted), /lease lost/);
        assert.equal(lost, 1);
        await until(() => runner.inflightCount === 0);
        const row = await store.jobs.get(id);
        assert.equal(row?.state, 'running');
        assert.equal(row?.locked_by, 'thief', 'the new holder keeps the job');
        assert.equal(row?.last_error_code, null, 'the old worker recorded no failure');
      } finally {
        await runner.stop(1_000);
      }
    });

    test('after a stall longer than its lease the stale run is aborted; the job completes once', async () => {
      const leaseMs = 300;
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const reasons: unknown[] = [];
      let runs = 0;
      let completions = 0;
      const handler: JobHandler = async (_job, ctx) => {
        runs++;
        const aborted = new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
        await Promise.race([gate, aborted]).catch((reason: unknown) => {
          reasons.push(reason);
          throw reason;
        });
        return async () => {
          completions++;
        };
      };
      const id = await store.jobs.enqueue({ kind: 'stall', conversationKey: 'stall', payload: {} });
      const runner = new JobRunner({ store, handlers: { stall: handler }, workerId: 'w5', clock, leaseMs, pollIntervalMs: 2 });
      runner.start();
      try {
        await until(() => runs === 1);
        await clock.advance(2 * leaseMs); // the whole process "froze" past its lease
        await until(() => reasons.length === 1);
        assert.match(String(reasons[0]), /lease lost/, 'the stale run was stopped');
        await until(() => runs === 2);
        open();
        await until(async () => (await store.jobs.get(id))?.state === 'done');
        assert.equal(completions, 1, 'completed exactly once');
        assert.equal((await store.jobs.get(id))?.attempts, 2);
      } finally {
        open();
        await runner.stop(1_000);
      }
    });
  });
}
