/**
 * The analytics figures that fit Prometheus (docs/analytics.md, "Metrics"), per bot over the
 * last 24 hours: conversations waiting for an operator now, first response and response time
 * quantiles (0.5, 0.9), SLA breaches. The same report the CLI and the admin page make
 * (src/analytics/), by bot.
 *
 * A report reads a day of messages, so it is made at most once per `refreshMs` (a minute),
 * not per scrape: a scrape within the minute reads the last one. Scrapes that find it stale
 * share one computation (single flight). A failed computation leaves these gauges empty for
 * that scrape (bridge_database_up says why); the next scrape tries again.
 */
import { Gauge, type Registry } from 'prom-client';
import type { AnalyticsReport, Figures } from '../analytics/report-aggregator.ts';

/** The window the gauges cover. */
export const ANALYTICS_WINDOW_MS = 24 * 3_600_000;
/** How often the report behind the gauges is made at most. */
export const ANALYTICS_REFRESH_MS = 60_000;

export interface AnalyticsGaugeOptions {
  /** The report of [fromMs, toMs) by bot, as of nowMs (src/analytics/compute-report.ts over the store). */
  report(fromMs: number, toMs: number, nowMs: number): Promise<AnalyticsReport>;
  nowMs: () => number;
  /** The configured bots: each has its series, 0 (or NaN for a quantile) when it had nothing. */
  botIds: () => readonly string[];
  refreshMs?: number;
}

const QUANTILES = [['0.5', 'medianSeconds'], ['0.9', 'p90Seconds']] as const;

export function registerAnalyticsGauges(registry: Registry, o: AnalyticsGaugeOptions): void {
  const registers = [registry];
  const refreshMs = o.refreshMs ?? ANALYTICS_REFRESH_MS;
  let last: { atMs: number; byBot: Map<string, Figures> } | null = null;
  let inFlight: Promise<Map<string, Figures> | null> | null = null;
  const current = (): Promise<Map<string, Figures> | null> => {
    const now = o.nowMs();
    if (last && now - last.atMs < refreshMs) return Promise.resolve(last.byBot);
    inFlight ??= o.report(now - ANALYTICS_WINDOW_MS, now, now)
      .then((report) => {
        const byBot = new Map((report.by.bot ?? []).map((row) => [row.key ?? '', row.figures]));
        last = { atMs: now, byBot };
        return byBot;
      }, () => null)
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  /** Each configured bot (and any other bot the report names) with its figures, or null when it had none. */
  const perBot = async (): Promise<Array<[string, Figures | null]> | null> => {
    const byBot = await current();
    if (!byBot) return null;
    const bots = [...new Set([...o.botIds(), ...byBot.keys()])].filter((bot) => bot !== '');
    return bots.map((bot) => [bot, byBot.get(bot) ?? null]);
  };
  new Gauge({
    name: 'bridge_conversations_unanswered', help: 'Conversations with a client message in the last 24 h that have had no operator reply since, by bot (made at most once a minute).',
    labelNames: ['bot'], registers,
    async collect() {
      this.reset();
      for (const [bot, f] of (await perBot()) ?? []) this.labels({ bot }).set(f?.unanswered ?? 0);
    },
  });
  const quantileGauge = (name: string, help: string, pick: (f: Figures) => Figures['response']) => new Gauge({
    name, help, labelNames: ['bot', 'quantile'], registers,
    async collect() {
      this.reset();
      for (const [bot, f] of (await perBot()) ?? []) {
        for (const [quantile, field] of QUANTILES) this.labels({ bot, quantile }).set(f ? pick(f)[field] ?? Number.NaN : Number.NaN);
      }
    },
  });
  quantileGauge('bridge_first_response_seconds', 'First response time (a new conversation\'s first client message → the first operator reply, wall clock) over the runs begun in the last 24 h, by bot: median and 90th percentile; NaN when none.',
    (f) => f.firstResponse);
  quantileGauge('bridge_response_seconds', 'Response time (each unanswered client message → the next operator reply, wall clock) over the runs begun in the last 24 h, by bot: median and 90th percentile; NaN when none.',
    (f) => f.response);
  new Gauge({
    name: 'bridge_sla_breaches', help: 'Runs begun in the last 24 h whose wait within working hours is over the SLA target (analytics.sla), answered or still open, by bot and kind (first_response, response).',
    labelNames: ['bot', 'kind'], registers,
    async collect() {
      this.reset();
      for (const [bot, f] of (await perBot()) ?? []) {
        this.labels({ bot, kind: 'first_response' }).set(f?.slaBreaches.firstResponse ?? 0);
        this.labels({ bot, kind: 'response' }).set(f?.slaBreaches.response ?? 0);
      }
    },
  });
}
