/**
 * Several bridge processes on one database (peers.ts, order/peers-barrier.ts):
 * an item that arrived after a process died is held until a survivor has
 * recovered for it, then goes; a process that stops cleanly holds nothing back.
 * Real database; the heartbeats run on an injected clock the test moves one
 * heartbeat at a time (each peer's beat is awaited, never slept for).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEAD_AFTER_MS, GRACE_MS, HEARTBEAT_MS } from '../../../src/bridge/order/constants.ts';
import { peersHold } from '../../../src/bridge/order/peers-barrier.ts';
import { InFlightRequests } from '../../../src/domain/in-flight.ts';
import { testEngines } from '../../helpers/databases.ts';
import { until } from '../../helpers/e2e.ts';
import { peerWorld as world } from '../../helpers/peer-world.ts';
import { storeFor } from '../../helpers/store.ts';

for (const engine of testEngines()) {
  describe(`peer processes (${engine.name})`, () => {
    const storeOf = storeFor(engine);

    test('a dead process holds later items until a survivor recovered for it; a clean stop holds nothing', { timeout: 60_000 }, async () => {
      const store = storeOf();
      const w = world(store);
      const recovered: string[] = [];
      const victim = await w.start('victim');
      const leaving = await w.start('leaving');
      const survivor = await w.start('survivor', { recover: async (id) => { recovered.push(id); } });
      try {
        const startedAt = w.clock.nowMs();
        const holds = (arrivedMs: number) => peersHold(survivor.others(), arrivedMs, w.clock.nowMs()) !== null;
        assert.equal(holds(startedAt), true, 'nobody has beaten since the item arrived');
        assert.ok(await w.roundsUntil(() => !holds(startedAt), 3) <= 2, 'everyone alive since: it goes within two beats');
        assert.deepEqual(recovered, [], 'nobody is dead yet');
        await w.stop(leaving);
        await w.kill(victim, 'victim');
        const diedAt = w.clock.nowMs();
        await w.round();
        const arrived = w.clock.nowMs();
        assert.equal(holds(arrived), true, 'an item that came after the death waits');
        const silentRounds = DEAD_AFTER_MS / HEARTBEAT_MS;
        await w.roundsUntil(() => recovered.length > 0, silentRounds + 2);
        assert.equal(holds(arrived), true, 'still held while the survivor recovers');
        assert.ok(w.clock.nowMs() - diedAt > DEAD_AFTER_MS, 'not declared dead before DEAD_AFTER_MS of silence');
        assert.ok(w.clock.nowMs() - diedAt <= DEAD_AFTER_MS + 2 * HEARTBEAT_MS, 'declared dead at the first beat after it');
        assert.ok(await w.roundsUntil(() => !holds(arrived), 3) <= 2, 'after the recovery it goes');
        assert.deepEqual(recovered, ['victim'], 'recovered once, for the dead one only (the clean stop left no trace)');
      } finally {
        await survivor.stop();
        await leaving.stop();
        await victim.stop();
      }
    });

    test('a live process still taking in a request that began before an item holds that item until the request is settled', { timeout: 60_000 }, async () => {
      const store = storeOf();
      const w = world(store);
      const inFlight = new InFlightRequests(w.clock);
      const slow = await w.start('slow', { inFlight });
      const other = await w.start('other');
      try {
        // The slow process begins taking in a request (an earlier message) and has not stored it.
        const token = inFlight.begin();
        await w.round();
        const arrived = w.clock.nowMs(); // a later message reaches the other process
        const holds = () => peersHold(other.others(), arrived, w.clock.nowMs()) !== null;
        for (let i = 0; i < 4; i++) await w.round();
        assert.ok(w.clock.nowMs() - arrived > GRACE_MS + HEARTBEAT_MS);
        assert.equal(holds(), true, 'the slow process is alive, but may still die holding the earlier message');
        inFlight.end(token);
        assert.ok(await w.roundsUntil(() => !holds(), 3) <= 2, 'settled: the item goes');
        assert.equal(inFlight.size, 0);
      } finally {
        await other.stop();
        await slow.stop();
      }
    });

    test('a slow recovery does not hold up the process\'s own start; the barrier holds until it is done', { timeout: 60_000 }, async () => {
      const store = storeOf();
      const w = world(store);
      await store.meta.set('peer:ghost', String(w.clock.nowMs() - 10 * DEAD_AFTER_MS)); // a process that died long ago
      let finish: () => void = () => undefined;
      const recovering = new Promise<void>((resolve) => { finish = resolve; });
      const recovered: string[] = [];
      // start() returning at all shows it: it would wait forever for a recovery it awaited.
      const starting = await w.start('starting', { recover: async (id) => { recovered.push(id); await recovering; } });
      try {
        assert.deepEqual(recovered, ['ghost'], 'the recovery began at the first beat');
        const arrived = w.clock.nowMs();
        const holds = () => peersHold(starting.others(), arrived, w.clock.nowMs()) !== null;
        for (let i = 0; i < 3; i++) await w.round();
        assert.equal(holds(), true, 'the dead process is not forgotten before it is recovered');
        assert.deepEqual(recovered, ['ghost'], 'not recovered twice while the first recovery runs');
        finish();
        await until(async () => ((await store.meta.get('peer:ghost')) === null ? true : undefined), 10_000);
        assert.ok(await w.roundsUntil(() => !holds(), 2) <= 1, 'its row is removed once recovered, and the item goes');
      } finally {
        finish();
        await starting.stop();
      }
    });
  });
}
