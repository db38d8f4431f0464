/**
 * The report's figures against a scripted week whose answers are worked out by hand
 * (test/fixtures/analytics-scenario.ts): medians, p90, volumes, unanswered, SLA breaches across
 * a night and a weekend, in every cut. Drives the pure aggregator directly, with each
 * conversation's history before the period as the store would give it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyticsSchema } from '../../../src/config/analytics-schema.ts';
import { DIMENSIONS, type ConversationFacts } from '../../../src/analytics/dimensions.ts';
import { ReportAggregator, type AnalyticsReport, type PriorState, type ReplyFacts } from '../../../src/analytics/report-aggregator.ts';
import { analyticsSettingsOf, workingTimeOf } from '../../../src/analytics/report-settings.ts';
import { assertCut } from '../../helpers/analytics-report.ts';
import { CONVERSATIONS, EXPECTED, PERIOD, SCENARIO_SETTINGS, conversationIdOf, eventsInOrder, msk, type ScriptEvent } from '../../fixtures/analytics-scenario.ts';

const isReply = (e: ScriptEvent) => e.kind === 'reply' && e.actor !== 'system' && (e.part ?? 0) === 0;
const isIn = (e: ScriptEvent) => e.kind === 'in' && e.state !== 'rejected';

function factsOf(name: string): ConversationFacts {
  const c = CONVERSATIONS[name]!;
  return { id: conversationIdOf(name), bot: c.bot, portal: c.line.replace(/:\d+$/, ''), line: c.line, route: c.route, source: c.source };
}

function replyOf(e: ScriptEvent): ReplyFacts {
  if (e.kind !== 'reply') throw new Error('not a reply');
  return { atMs: msk(e.at), operatorId: e.operatorId ?? null, operatorName: e.operatorName ?? null };
}

/** What the store would hand the aggregator: history before the period, the period's events, the replies after it. */
function scenarioReport(sampleCapacity?: number): AnalyticsReport {
  const settings = analyticsSettingsOf(analyticsSchema.parse(SCENARIO_SETTINGS));
  const aggregator = new ReportAggregator({ ...PERIOD, by: DIMENSIONS, workingTime: workingTimeOf(settings), sla: settings.sla, sampleCapacity });
  const events = eventsInOrder();
  const before = events.filter((e) => msk(e.at) < PERIOD.fromMs);
  const priorOf = (name: string): PriorState => {
    const last = (pick: (e: ScriptEvent) => boolean) => before.filter((e) => e.conversation === name && pick(e)).map((e) => msk(e.at)).at(-1) ?? null;
    return { lastInMs: last(isIn), lastReplyMs: last(isReply) };
  };
  for (const e of events.filter((x) => msk(x.at) >= PERIOD.fromMs && msk(x.at) < PERIOD.toMs)) {
    const id = conversationIdOf(e.conversation);
    if (!aggregator.knows(id)) aggregator.meet(factsOf(e.conversation), priorOf(e.conversation));
    if (isIn(e)) aggregator.inbound(id, msk(e.at));
    else if (isReply(e)) aggregator.reply(id, replyOf(e));
  }
  const later = new Map<string, ReplyFacts>();
  for (const id of aggregator.waiting()) {
    const first = events.find((e) => conversationIdOf(e.conversation) === id && isReply(e) && msk(e.at) >= PERIOD.toMs && msk(e.at) < PERIOD.nowMs);
    if (first) later.set(id, replyOf(first));
  }
  return aggregator.finish(later);
}

test('the week\'s totals: volumes, first response and response medians and p90, unanswered, SLA breaches', () => {
  const report = scenarioReport();
  assert.deepEqual(report.total, EXPECTED.total);
  assert.deepEqual(report.sla, { firstResponseSeconds: 300, responseSeconds: 900 });
  assert.equal(report.timeZone, 'Europe/Moscow');
});

for (const dimension of ['bot', 'portal', 'line', 'route', 'source', 'operator', 'day', 'hour'] as const) {
  test(`the week by ${dimension}`, () => assertCut(scenarioReport(), dimension));
}

test('days and hours come in order, every one of them, the empty ones too', () => {
  const report = scenarioReport();
  assert.deepEqual(report.by.day?.map((r) => r.key), ['2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09']);
  assert.deepEqual(report.by.hour?.map((r) => r.key), Array.from({ length: 24 }, (_, h) => String(h)));
  // The other cuts: busiest first (in + out), rows without a value last.
  assert.deepEqual(report.by.route?.map((r) => r.key), ['vip', 'default', null]);
  assert.equal(report.by.bot?.reduce((sum, r) => sum + (r.figures.messagesIn ?? 0), 0), EXPECTED.total.messagesIn, 'the bots\' rows add up to the total');
});

test('a group past its sample capacity still counts every duration exactly', () => {
  const report = scenarioReport(2);
  assert.equal(report.total.response.count, 6);
  assert.equal(report.total.firstResponse.count, 3);
  // Two of the six kept: the median is the mean of two of the values, the p90 between them.
  const values = [120, 240, 1200, 1800, 162180, 227700];
  const { medianSeconds: median, p90Seconds: p90 } = report.total.response;
  const pairs = values.flatMap((a, i) => values.slice(i + 1).map((b) => [a, b] as const));
  const kept = pairs.find(([a, b]) => (a + b) / 2 === median);
  assert.ok(kept, `median ${median} is the mean of two of the values`);
  assert.equal(p90, kept[0] + 0.9 * (kept[1] - kept[0]));
});
