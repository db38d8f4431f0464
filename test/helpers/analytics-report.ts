/**
 * The scripted week of test/fixtures/analytics-scenario.ts: written into a store, and a report
 * checked against its hand-worked answers.
 */
import assert from 'node:assert/strict';
import type { AnalyticsReport } from '../../src/analytics/report-aggregator.ts';
import { parseBotId, parseLineRef, type ConversationId } from '../../src/domain/ids.ts';
import type { Store } from '../../src/store/open-store.ts';
import { CONVERSATIONS, EXPECTED, conversationIdOf, eventsInOrder, msk } from '../fixtures/analytics-scenario.ts';
import type { ManualClock } from './manual-clock.ts';

export const SCENARIO_CUTS = ['bot', 'portal', 'line', 'route', 'source', 'operator', 'day', 'hour'] as const;

/** The rows of one cut by key ('' for none), with only the fields the expectation names. */
function rowsByKey(report: AnalyticsReport, dimension: keyof AnalyticsReport['by']): Record<string, Record<string, unknown>> {
  const rows = report.by[dimension];
  assert.ok(rows, `the report has the ${dimension} cut`);
  return Object.fromEntries(rows.map((r) => [r.key ?? '', { ...(r.name !== undefined ? { name: r.name } : {}), ...r.figures }]));
}

export function assertCut(report: AnalyticsReport, dimension: (typeof SCENARIO_CUTS)[number]): void {
  const rows = rowsByKey(report, dimension);
  const expected = EXPECTED[dimension] as Record<string, Record<string, unknown>>;
  for (const [key, figures] of Object.entries(expected)) {
    const row = rows[key];
    assert.ok(row, `${dimension} ${key} has a row`);
    for (const [field, value] of Object.entries(figures)) assert.deepEqual(row[field], value, `${dimension} ${key}: ${field}`);
  }
}

/** The totals and every cut. */
export function assertScenarioReport(report: AnalyticsReport): void {
  assert.deepEqual(report.total, EXPECTED.total);
  for (const dimension of SCENARIO_CUTS) assertCut(report, dimension);
}

/**
 * Writes the scenario through the repositories, each row at its own time on `clock`
 * (conversations made, client messages taken by the line, operator parts sent).
 */
export async function writeScenario(store: Store, clock: ManualClock): Promise<void> {
  type Action = { atMs: number; run: () => Promise<unknown> };
  const actions: Action[] = Object.entries(CONVERSATIONS).map(([name, c]) => ({
    atMs: msk(c.createdAt) - 1_000,
    run: () => store.conversations.getOrCreate({
      botId: parseBotId(c.bot), maxChatId: c.chat, maxUserId: `u${c.chat}`, lineRef: parseLineRef(c.line),
      sourceJson: c.source === null ? null : JSON.stringify({ payload: c.source }),
      ...(c.route === null ? {} : { route: { routeName: c.route, routeJson: '{}' } }),
    }).then((row) => assert.equal(row.id, conversationIdOf(name))),
  }));
  for (const e of eventsInOrder()) {
    const id = conversationIdOf(e.conversation) as ConversationId;
    actions.push({
      atMs: msk(e.at),
      run: () => (e.kind === 'in'
        ? store.conversations.recordInbound(id, e.mid, e.state ?? 'delivered')
        : store.outboundParts.record(id, e.message, e.part ?? 0, `mid.${e.message}.${e.part ?? 0}`,
          e.actor === null ? undefined : { actor: e.actor, operatorId: e.operatorId ?? null, operatorName: e.operatorName ?? null })),
    });
  }
  actions.sort((a, b) => a.atMs - b.atMs);
  for (const action of actions) {
    assert.ok(action.atMs >= clock.nowMs(), 'the clock starts before the scenario');
    await clock.advance(action.atMs - clock.nowMs());
    await action.run();
  }
}
