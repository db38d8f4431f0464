/**
 * The store gauges on a real database (both engines): one read per scrape,
 * jobs by kind and state without the done ones, each line's queue depth and
 * oldest waiting age; and, once the database is gone, bridge_database_up 0
 * with no stale numbers.
 */
import type { ConversationId, LineRef, MessageKey, PortalId } from '../../../src/domain/ids.ts';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BridgeMetrics } from '../../../src/metrics/bridge-metrics.ts';
import { registerStoreGauges } from '../../../src/metrics/store-gauges.ts';
import { testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { sample } from '../../helpers/metrics.ts';
import { storeFor } from '../../helpers/store.ts';

for (const engine of testEngines()) {
  describe(`store gauges (${engine.name})`, () => {
    const clock = new ManualClock(1_000_000);
    const store = storeFor(engine, clock);

    test('jobs by kind and state, dead letters and line queues are read at scrape time; a lost database shows up 0', async () => {
      const s = store();
      await s.jobs.enqueue({ kind: 'max.update', conversationKey: 'max:b:1', payload: {} });
      await s.jobs.enqueue({ kind: 'max.update', conversationKey: 'max:b:2', payload: {} });
      const dead = await s.jobs.enqueue({ kind: 'bitrix24.event', conversationKey: 'b24:p:1', payload: {} });
      const done = await s.jobs.enqueue({ kind: 'bitrix24.event', conversationKey: 'b24:p:2', payload: {} });
      await s.db.updateTable('jobs').set({ state: 'dead' }).where('id', '=', dead).execute();
      await s.db.updateTable('jobs').set({ state: 'done' }).where('id', '=', done).execute();
      await s.db.insertInto('lines').values([
        { id: 'p1:7', portal_id: 'p1', line_id: 7, connector_id: 'max_bridge', state: 'active', paused_reason: null, updated_at_ms: 0 },
        { id: 'p1:8', portal_id: 'p1', line_id: 8, connector_id: 'max_bridge', state: 'active', paused_reason: null, updated_at_ms: 0 },
      ]).execute();
      await s.db.transaction().execute((trx) => s.outbox.enqueue([0, 1].map((i) => ({
        lineRef: 'p1:7' as LineRef, conversationId: `c${i}` as ConversationId, method: 'send' as const, messageKey: `m${i}` as MessageKey, sortKey: `k${i}`, tsMs: 0, arrivedMs: 994_000 + i * 1_000, item: {},
      })), 'p1' as PortalId, trx));
      const metrics = new BridgeMetrics();
      registerStoreGauges(metrics.registry, { source: s.gauges, nowMs: () => clock.nowMs(), jobKinds: ['max.update', 'bitrix24.event', 'line.flush'] });
      const text = await metrics.registry.metrics();
      assert.equal(sample(text, 'bridge_database_up'), 1);
      assert.equal(sample(text, 'bridge_jobs', { kind: 'max.update', state: 'pending' }), 2);
      assert.equal(sample(text, 'bridge_jobs', { kind: 'bitrix24.event', state: 'pending' }), 0, 'done jobs are not in the gauge');
      assert.equal(sample(text, 'bridge_jobs', { kind: 'bitrix24.event', state: 'dead' }), 1);
      assert.equal(sample(text, 'bridge_jobs', { kind: 'line.flush', state: 'pending' }), 1, 'the outbox queued its flush job');
      assert.equal(sample(text, 'bridge_dead_letters', { kind: 'bitrix24.event' }), 1);
      assert.equal(sample(text, 'bridge_dead_letters', { kind: 'max.update' }), 0);
      assert.equal(sample(text, 'bridge_line_queue_depth', { portal: 'p1', line: '7' }), 2);
      assert.equal(sample(text, 'bridge_line_queue_oldest_age_seconds', { portal: 'p1', line: '7' }), 6);
      assert.equal(sample(text, 'bridge_line_queue_depth', { portal: 'p1', line: '8' }), 0, 'a line with nothing waiting reports 0');
      assert.equal(sample(text, 'bridge_line_queue_oldest_age_seconds', { portal: 'p1', line: '8' }), 0);

      await s.close();
      const down = await metrics.registry.metrics();
      assert.equal(sample(down, 'bridge_database_up'), 0);
      assert.equal(sample(down, 'bridge_jobs', { kind: 'max.update', state: 'pending' }), undefined, 'no stale numbers');
      assert.equal(sample(down, 'bridge_line_queue_depth', { portal: 'p1', line: '7' }), undefined);
    });
  });
}
