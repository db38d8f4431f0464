/**
 * Several bridge processes on one database (peers.ts): an item that arrived
 * after a process died is held until a survivor has recovered for it, then
 * goes; a process that stops cleanly holds nothing back. Real database, real
 * timers (the heartbeat is 200 ms, death is 2 s of silence).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InFlightRequests } from '../../../src/domain/in-flight.ts';
import { DEAD_AFTER_MS, GRACE_MS, HEARTBEAT_MS, Peers } from '../../../src/bridge/peers.ts';
import { testEngines } from '../../helpers/databases.ts';
import { storeFor } from '../../helpers/store.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of testEngines()) {
  describe(`peer processes (${engine.name})`, () => {
    const storeOf = storeFor(engine);

    test('a dead process holds later items until a survivor recovered for it; a clean stop holds nothing', { timeout: 20_000 }, async () => {
      const store = storeOf();
      const recovered: string[] = [];
      const survivor = new Peers({ store, workerId: 'survivor', nowMs: () => Date.now(), recover: async (id) => { recovered.push(id); } });
      const victim = new Peers({ store, workerId: 'victim', nowMs: () => Date.now(), recover: async () => undefined });
      const leaving = new Peers({ store, workerId: 'leaving', nowMs: () => Date.now(), recover: async () => undefined });
      const startedAt = Date.now();
      await victim.start();
      await leaving.start();
      await survivor.start();
      try {
        // Everyone beats on: an item that came as they started goes within a few beats
        // (polled, not slept: a loaded machine delays timers, never by DEAD_AFTER_MS).
        const aliveBy = Date.now() + DEAD_AFTER_MS / 2;
        while (!survivor.passed(startedAt) && Date.now() < aliveBy) await sleep(20);
        assert.equal(survivor.passed(startedAt), true, 'everyone alive since: it goes');
        assert.deepEqual(recovered, [], 'nobody is dead yet');
        await leaving.stop();
        // The victim dies without a word: its heartbeat stops (a SIGKILL).
        clearInterval((victim as unknown as { timer: NodeJS.Timeout }).timer);
        const diedAt = Date.now();
        await sleep(HEARTBEAT_MS * 2);
        const arrived = Date.now();
        assert.equal(survivor.passed(arrived), false, 'an item that came after the death waits');
        assert.deepEqual(recovered, []);
        const deadline = diedAt + DEAD_AFTER_MS + HEARTBEAT_MS * 4;
        while (!survivor.passed(arrived) && Date.now() < deadline + 2_000) await sleep(50);
        assert.equal(survivor.passed(arrived), true, 'after the recovery it goes');
        assert.deepEqual(recovered, ['victim'], 'recovered once, for the dead one only (the clean stop left no trace)');
        // Its last heartbeat was at most one interval before it "died".
        assert.ok(Date.now() - diedAt >= DEAD_AFTER_MS - HEARTBEAT_MS, 'not declared dead early');
      } finally {
        await survivor.stop();
        await leaving.stop();
        await victim.stop(); // on a failure above it would beat on into the next tests
      }
    });

    test('a live process still taking in a request that began before an item holds that item until the request is settled', { timeout: 20_000 }, async () => {
      const store = storeOf();
      const inFlight = new InFlightRequests(() => Date.now());
      const slow = new Peers({ store, workerId: 'slow', nowMs: () => Date.now(), recover: async () => undefined, inFlight });
      const other = new Peers({ store, workerId: 'other', nowMs: () => Date.now(), recover: async () => undefined });
      await slow.start();
      await other.start();
      try {
        // The slow process begins taking in a request (an earlier message) and has not stored it.
        const token = inFlight.begin();
        await sleep(GRACE_MS + 10);
        const arrived = Date.now(); // a later message reaches the other process
        await sleep(HEARTBEAT_MS * 4);
        assert.equal(other.passed(arrived), false, 'the slow process is alive, but may still die holding the earlier message');
        inFlight.end(token);
        const deadline = Date.now() + HEARTBEAT_MS * 10;
        while (!other.passed(arrived) && Date.now() < deadline) await sleep(20);
        assert.equal(other.passed(arrived), true, 'settled: the item goes');
        assert.equal(inFlight.size, 0);
      } finally {
        await other.stop();
        await slow.stop();
      }
    });

    test('a slow recovery does not hold up the process\'s own start; the barrier holds until it is done', { timeout: 20_000 }, async () => {
      const store = storeOf();
      await store.meta.set('peer:ghost', String(Date.now() - 10 * DEAD_AFTER_MS)); // a process that died long ago
      let finish: () => void = () => undefined;
      const recovering = new Promise<void>((resolve) => { finish = resolve; });
      const recovered: string[] = [];
      const starting = new Peers({ store, workerId: 'starting', nowMs: () => Date.now(), recover: async (id) => { recovered.push(id); await recovering; } });
      const started = await Promise.race([starting.start().then(() => true), sleep(5_000).then(() => false)]);
      try {
        assert.equal(started, true, 'start returns while the recovery is still running');
        assert.deepEqual(recovered, ['ghost']);
        const arrived = Date.now();
        await sleep(HEARTBEAT_MS * 3);
        assert.equal(starting.passed(arrived), false, 'the dead process is not forgotten before it is recovered');
        assert.deepEqual(recovered, ['ghost'], 'not recovered twice while the first recovery runs');
        finish();
        const deadline = Date.now() + HEARTBEAT_MS * 10;
        while (!starting.passed(arrived) && Date.now() < deadline) await sleep(20);
        assert.equal(starting.passed(arrived), true);
        assert.equal(await store.meta.get('peer:ghost'), null, 'its row is removed once recovered');
      } finally {
        finish();
        await starting.stop();
      }
    });
  });
}
