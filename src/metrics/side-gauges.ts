/**
 * The state of each side (side-hold.ts) for dashboards and alerts: how long a
 * portal or bot has been down (0 when up, so a series never vanishes), and how
 * long the oldest operator message waiting for a bot has waited. The lines'
 * own waiting items are bridge_line_queue_* (store-gauges.ts).
 */
import { Gauge, type Registry } from 'prom-client';
import type { SideHolds } from '../domain/side-hold.ts';
import type { BotReplyQueue } from '../store/repos/gauge-repo.ts';

export interface SideGaugeOptions {
  /** Each side's holds with the ids of its sides (every configured portal, every bot). */
  sides: Array<{ holds: Pick<SideHolds, 'states' | 'degradedStates' | 'kind'>; ids: readonly string[] }>;
  botReplyQueues: () => Promise<BotReplyQueue[]>;
  botIds: readonly string[];
  nowMs: () => number;
}

export function registerSideGauges(registry: Registry, o: SideGaugeOptions): void {
  /** One series per configured side: seconds since its state began, 0 when it is not in it. */
  const sideStateGauge = (name: string, help: string, statesOf: (holds: SideGaugeOptions['sides'][number]['holds'], nowMs: number) => Array<{ side: string; sinceMs: number; code: string }>) => new Gauge({
    name, help, labelNames: ['kind', 'side', 'code'], registers: [registry],
    collect() {
      this.reset();
      const now = o.nowMs();
      for (const { holds, ids } of o.sides) {
        const inState = new Map(statesOf(holds, now).map((x) => [x.side, x]));
        for (const id of ids) {
          const x = inState.get(id);
          this.labels({ kind: holds.kind, side: id, code: x?.code ?? '' }).set(x ? Math.max(0, now - x.sinceMs) / 1_000 : 0);
        }
      }
    },
  });
  sideStateGauge('bridge_side_down_seconds', 'How long a portal or bot has been down for every call (its work held, one probe at a growing interval); 0 when up.',
    (holds) => holds.states().map((h) => ({ side: h.side, sinceMs: h.sinceMs, code: h.cause.code })));
  sideStateGauge('bridge_side_degraded_seconds', 'How long every call to a portal or bot has failed in passing (5xx, limits, timeouts; retried with back-off) with none going through, once past a minute; 0 otherwise.',
    (holds, nowMs) => holds.degradedStates(nowMs).map((d) => ({ side: d.side, sinceMs: d.sinceMs, code: d.code })));
  new Gauge({
    name: 'bridge_bot_replies_oldest_age_seconds', help: 'How long the oldest operator message waiting to go to MAX through a bot has waited since it was queued (0 when none waits).',
    labelNames: ['bot'], registers: [registry],
    async collect() {
      this.reset();
      const now = o.nowMs();
      // A failed read leaves every bot at 0 for this scrape; bridge_database_up says the database is down.
      const queues = new Map((await o.botReplyQueues().catch(() => [])).map((q) => [q.botId, q]));
      for (const bot of o.botIds) {
        const q = queues.get(bot);
        this.labels({ bot }).set(q ? Math.max(0, now - q.oldestQueuedMs) / 1_000 : 0);
      }
    },
  });
}
