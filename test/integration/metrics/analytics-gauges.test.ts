/**
 * The analytics gauges (src/metrics/analytics-gauges.ts) over the scripted week of
 * test/fixtures/analytics-scenario.ts in a real store (both engines): the last 24 hours by bot,
 * worked out by hand, and the report made at most once a minute whatever the scrapes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { computeReport } from '../../../src/analytics/compute-report.ts';
import { analyticsSettingsOf, workingTimeOf } from '../../../src/analytics/report-settings.ts';
import { analyticsSchema } from '../../../src/config/analytics-schema.ts';
import { registerAnalyticsGauges } from '../../../src/metrics/analytics-gauges.ts';
import { writeScenario } from '../../helpers/analytics-report.ts';
import { testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { sample } from '../../helpers/metrics.ts';
import { storeFor } from '../../helpers/store.ts';
import { PERIOD, SCENARIO_SETTINGS, msk } from '../../fixtures/analytics-scenario.ts';

const settings = analyticsSettingsOf(analyticsSchema.parse(SCENARIO_SETTINGS));

for (const engine of testEngines()) {
  describe(`analytics gauges (${engine.name})`, () => {
    const clock = new ManualClock(msk('2026-03-04 00:00'));
    const store = storeFor(engine, clock);

    test('the last 24 h by bot: unanswered, first response and response quantiles, SLA breaches; made once a minute', async () => {
      await writeScenario(store(), clock);
      await clock.advance(PERIOD.nowMs - clock.nowMs());
      const windows: Array<[number, number]> = [];
      const registry = new Registry();
      registerAnalyticsGauges(registry, {
        report: (fromMs, toMs, nowMs) => {
          windows.push([fromMs, toMs]);
          return computeReport(store().analytics, { fromMs, toMs, nowMs, by: ['bot'], workingTime: workingTimeOf(settings), sla: settings.sla });
        },
        nowMs: () => clock.nowMs(), botIds: () => ['sales', 'support', 'quiet'],
      });
      const text = await registry.metrics();
      assert.deepEqual(windows, [[msk('2026-03-09 12:00'), msk('2026-03-10 12:00')]], 'one report for all four gauges');
      // Mon 12:00 → Tue 12:00: C5 (sales) wrote at Mon 16:00 and waits (working time 16–18 and 09–12: 5 h,
      // over both targets); C6 (support) wrote at 23:50, answered at 00:20 (30 min, outside working hours).
      assert.equal(sample(text, 'bridge_conversations_unanswered', { bot: 'sales' }), 1);
      assert.equal(sample(text, 'bridge_conversations_unanswered', { bot: 'support' }), 0);
      assert.equal(sample(text, 'bridge_conversations_unanswered', { bot: 'quiet' }), 0, 'a configured bot with nothing has its series');
      assert.equal(sample(text, 'bridge_first_response_seconds', { bot: 'support', quantile: '0.5' }), 1800);
      assert.equal(sample(text, 'bridge_first_response_seconds', { bot: 'support', quantile: '0.9' }), 1800);
      assert.equal(sample(text, 'bridge_response_seconds', { bot: 'support', quantile: '0.5' }), 1800);
      assert.ok(Number.isNaN(sample(text, 'bridge_first_response_seconds', { bot: 'sales', quantile: '0.5' })), 'nothing answered: NaN');
      assert.ok(Number.isNaN(sample(text, 'bridge_response_seconds', { bot: 'quiet', quantile: '0.9' })));
      assert.equal(sample(text, 'bridge_sla_breaches', { bot: 'sales', kind: 'first_response' }), 1);
      assert.equal(sample(text, 'bridge_sla_breaches', { bot: 'sales', kind: 'response' }), 1);
      assert.equal(sample(text, 'bridge_sla_breaches', { bot: 'support', kind: 'response' }), 0);
      // Within the minute a scrape reads the last report; after it, a new one over the moved window.
      await clock.advance(59_000);
      await Promise.all([registry.metrics(), registry.metrics()]);
      assert.equal(windows.length, 1);
      await clock.advance(2_000);
      await Promise.all([registry.metrics(), registry.metrics()]);
      assert.equal(windows.length, 2, 'concurrent scrapes share one report');
      assert.equal(windows[1]?.[1], msk('2026-03-10 12:01:01'));
    });
  });
}
