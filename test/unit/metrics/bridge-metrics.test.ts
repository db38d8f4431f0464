import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeMetrics } from '../../../src/metrics/bridge-metrics.ts';
import { sample } from '../../helpers/metrics.ts';

test('two bridges in one process keep their own metrics (no shared registry, no name collision)', async () => {
  const a = new BridgeMetrics();
  const b = new BridgeMetrics();
  a.intake('max_webhook').stored.inc();
  a.intake('max_webhook').stored.inc();
  b.intake('max_webhook').duplicate.inc();
  const textA = await a.registry.metrics();
  const textB = await b.registry.metrics();
  assert.equal(sample(textA, 'bridge_intake_events_total', { source: 'max_webhook', outcome: 'stored' }), 2);
  assert.equal(sample(textB, 'bridge_intake_events_total', { source: 'max_webhook', outcome: 'stored' }), 0);
  assert.equal(sample(textB, 'bridge_intake_events_total', { source: 'max_webhook', outcome: 'duplicate' }), 1);
});

test('every intake series and both latency directions are shown at 0 before anything happens', async () => {
  const text = await new BridgeMetrics().registry.metrics();
  for (const source of ['max_webhook', 'max_polling', 'bitrix24_events']) {
    for (const outcome of ['stored', 'duplicate', 'rejected', 'failed']) assert.equal(sample(text, 'bridge_intake_events_total', { source, outcome }), 0);
  }
  for (const direction of ['inbound', 'outbound']) assert.equal(sample(text, 'bridge_delivery_latency_seconds_count', { direction }), 0);
});
