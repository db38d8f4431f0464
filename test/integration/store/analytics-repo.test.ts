/**
 * The report through the store, on SQLite and PostgreSQL: the scripted week of
 * test/fixtures/analytics-scenario.ts written through the repositories (conversations,
 * client messages taken by the line, operator parts with who wrote them), read back by the
 * analytics repository a page at a time, and every figure checked against the hand-worked answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeReport } from '../../../src/analytics/compute-report.ts';
import { DIMENSIONS } from '../../../src/analytics/dimensions.ts';
import { analyticsSettingsOf, workingTimeOf } from '../../../src/analytics/report-settings.ts';
import { analyticsSchema } from '../../../src/config/analytics-schema.ts';
import { AnalyticsRepo } from '../../../src/store/repos/analytics-repo.ts';
import { testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { storeFor } from '../../helpers/store.ts';
import { assertScenarioReport, writeScenario } from '../../helpers/analytics-report.ts';
import { PERIOD, SCENARIO_SETTINGS, conversationIdOf, msk } from '../../fixtures/analytics-scenario.ts';

const settings = analyticsSettingsOf(analyticsSchema.parse(SCENARIO_SETTINGS));
const options = () => ({ ...PERIOD, by: DIMENSIONS, workingTime: workingTimeOf(settings), sla: settings.sla });

for (const engine of testEngines()) {
  describe(`analytics through the store (${engine.name})`, () => {
    const clock = new ManualClock(msk('2026-03-04 00:00'));
    const store = storeFor(engine, clock);
    let written = false;
    const scenario = async () => {
      if (!written) await writeScenario(store(), clock);
      written = true;
    };

    test('the scripted week gives the hand-worked figures in every cut', async () => {
      await scenario();
      assertScenarioReport(await computeReport(store().analytics, options()));
    });

    test('pages of three rows give the same report (keyset pages, parts after the first left out across pages)', async () => {
      await scenario();
      assertScenarioReport(await computeReport(new AnalyticsRepo(store().db, 3), options()));
    });

    test('the operator pipeline\'s columns: who wrote each part; the line\'s own messages are no replies', async () => {
      await scenario();
      const replies = [];
      for await (const r of store().analytics.replies(PERIOD.fromMs, PERIOD.toMs)) replies.push(r);
      const c1 = replies.filter((r) => r.conversationId === conversationIdOf('C1'));
      assert.deepEqual(c1, [
        { conversationId: 'sales:101', atMs: msk('2026-03-05 10:02'), operatorId: '7', operatorName: 'Анна' },
        { conversationId: 'sales:101', atMs: msk('2026-03-05 10:25'), operatorId: '7', operatorName: 'Анна' },
      ], 'one reply per message (its first part), the greeting left out');
      const ins = [];
      for await (const r of store().analytics.inbound(PERIOD.fromMs, PERIOD.toMs)) ins.push(r);
      assert.equal(ins.length, 9, 'the message the line refused is not counted');
      const prior = await store().analytics.priorStates([conversationIdOf('C3'), conversationIdOf('C4'), conversationIdOf('C1')], PERIOD.fromMs);
      assert.deepEqual(prior.get('support:201'), { lastInMs: msk('2026-03-04 15:00'), lastReplyMs: msk('2026-03-04 15:01') }, 'a part recorded without an actor is a reply');
      assert.deepEqual(prior.get('support:202'), { lastInMs: msk('2026-03-04 20:00'), lastReplyMs: null });
      assert.equal(prior.get('sales:101'), undefined);
      const later = await store().analytics.firstReplies([conversationIdOf('C6'), conversationIdOf('C5')], PERIOD.toMs, PERIOD.nowMs);
      assert.deepEqual([...later.values()], [{ conversationId: 'support:203', atMs: msk('2026-03-10 00:20'), operatorId: '7', operatorName: 'Анна' }]);
      const facts = await store().analytics.conversations([conversationIdOf('C1'), conversationIdOf('C4'), 'gone:1']);
      assert.deepEqual(facts, [
        { id: 'sales:101', bot: 'sales', portal: 'msk', line: 'msk:1', route: 'vip', source: 'ad_vk' },
        { id: 'support:202', bot: 'support', portal: 'spb', line: 'spb:1', route: null, source: null },
        { id: 'gone:1', bot: 'gone', portal: null, line: null, route: null, source: null },
      ]);
    });

    test('a period with nothing in it: zeros, no quantiles, every day of it listed', async () => {
      await scenario();
      const report = await computeReport(store().analytics, { ...options(), fromMs: msk('2026-02-01 00:00'), toMs: msk('2026-02-03 00:00') });
      assert.equal(report.total.messagesIn, 0);
      assert.equal(report.total.repliesOut, 0);
      assert.deepEqual(report.total.response, { count: 0, medianSeconds: null, p90Seconds: null });
      assert.deepEqual(report.by.day?.map((r) => r.key), ['2026-02-01', '2026-02-02']);
      assert.deepEqual(report.by.bot, []);
    });
  });
}
