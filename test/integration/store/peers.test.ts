/**
 * Several bridge processes on one database (peers.ts): an item that arrived
 * after a process died is held until a survivor has recovered for it, then
 * goes; a process that stops cleanly holds nothing back. Real database, real
 * timers (the heartbeat is 200 ms, death is 2 s of silence).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
      await victim.start();
      await leaving.start();
      await survivor.start();
      try {
        await sleep(HEARTBEAT_MS * 2 + GRACE_MS);
        const before = Date.now() - HEARTBEAT_MS - GRACE_MS;
        assert.equal(survivor.passed(before), true, 'everyone alive since: it goes');
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
      }
    });
  });
}
