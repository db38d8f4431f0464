/**
 * The bridge's metrics, in Prometheus terms: names with the `bridge_` prefix,
 * base units (seconds), `_total` counters, labels with few values (portal,
 * line, bot, kind, outcome, direction, source — ids from the configuration,
 * never a user's or a chat's). Every metric is listed in docs/operations.md.
 *
 * One registry per bridge (tests run several bridges in one process; the
 * library's global registry is never used). Counters are CountedCounters
 * (counted-counter.ts): counting an accepted webhook is one `inc()` on an object
 * bound at start — no label lookup, no allocation. Series keyed by a configured
 * id (portal, bot, job kind) are made on first use and kept.
 */
import { Histogram, Registry } from 'prom-client';
import { CountedCounter, type Count } from './counted-counter.ts';
import type { JobRunner } from '../queue/runner.ts';

export type IntakeSource = 'max_webhook' | 'max_polling' | 'bitrix24_events';
/** rejected: refused with a 4xx (bad secret, malformed); failed: the bridge could not store it (5xx, the sender retries). */
export type IntakeOutcome = 'stored' | 'duplicate' | 'rejected' | 'failed';
/** How one outgoing HTTP call ended: answered 200, refused for a limit, refused otherwise, or no answer. */
export type CallOutcome = 'ok' | 'limited' | 'error' | 'network';
/** inbound: client → Open Line; outbound: operator → client in MAX. */
export type DeliveryDirection = 'inbound' | 'outbound';
/** How a job run ended: done, to be retried, or given up (a dead letter). */
export type JobOutcome = 'completed' | 'retried' | 'dead';

/** What an intake point counts with; the http plugins see only this. */
export interface Tally {
  inc(): void;
}
export type IntakeTallies = Readonly<Record<IntakeOutcome, Tally>>;

const INTAKE_OUTCOMES: readonly IntakeOutcome[] = ['stored', 'duplicate', 'rejected', 'failed'];
const CALL_OUTCOMES: readonly CallOutcome[] = ['ok', 'limited', 'error', 'network'];
const JOB_OUTCOMES: readonly JobOutcome[] = ['completed', 'retried', 'dead'];

/**
 * Seconds. The bench's medians are 10–25 ms; the reorder windows hold a message up to 5 s
 * (line_reorder_window_ms); a catch-up after a restart or a paused line takes minutes.
 */
export const DELIVERY_LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1_800];

type Counts<K extends string> = Readonly<Record<K, Count>>;

export class BridgeMetrics {
  readonly registry = new Registry();
  private readonly intakeTallies: Readonly<Record<IntakeSource, IntakeTallies>>;
  private readonly latency: Readonly<Record<DeliveryDirection, Histogram.Internal<string>>>;
  private readonly callCounts = { max: new Map<string, Counts<CallOutcome>>(), bitrix24: new Map<string, Counts<CallOutcome>>() };
  private readonly jobCounts = new Map<string, Counts<JobOutcome>>();
  private readonly limitCounts = new Map<string, Count>();
  private readonly calls: Readonly<Record<'max' | 'bitrix24', { counter: CountedCounter; idLabel: string }>>;
  private readonly limitErrors: CountedCounter;
  private readonly jobsFinished: CountedCounter;
  private readonly transformHooks: CountedCounter;
  private readonly transformCounts = new Map<string, Count>();
  private readonly purgedRows: CountedCounter;
  private readonly purgedCounts = new Map<string, Count>();

  constructor() {
    const registry = this.registry;
    const intake = new CountedCounter(registry, {
      name: 'bridge_intake_events_total', help: 'Requests and polled updates taken in, by source and outcome (stored, duplicate, rejected, failed).', labelNames: ['source', 'outcome'],
    });
    const bySource = (source: IntakeSource) => intake.countsBy(INTAKE_OUTCOMES, (outcome) => ({ source, outcome }));
    this.intakeTallies = { max_webhook: bySource('max_webhook'), max_polling: bySource('max_polling'), bitrix24_events: bySource('bitrix24_events') };
    // Observed once per delivered message, after the intake (in the delivering job): prom-client's own histogram.
    const latency = new Histogram({
      name: 'bridge_delivery_latency_seconds',
      help: 'From receipt to delivery: inbound, the client\'s update received → accepted by the Open Line; outbound, the operator\'s event received → sent to MAX.',
      labelNames: ['direction'], buckets: DELIVERY_LATENCY_BUCKETS_S, registers: [registry],
    });
    latency.zero({ direction: 'inbound' });
    latency.zero({ direction: 'outbound' });
    this.latency = { inbound: latency.labels({ direction: 'inbound' }), outbound: latency.labels({ direction: 'outbound' }) };
    this.calls = {
      max: { idLabel: 'bot', counter: new CountedCounter(registry, {
        name: 'bridge_max_requests_total', help: 'Calls to the MAX Bot API by bot and outcome (ok, limited = 429, error, network).', labelNames: ['bot', 'outcome'],
      }) },
      bitrix24: { idLabel: 'portal', counter: new CountedCounter(registry, {
        name: 'bridge_bitrix24_requests_total', help: 'Bitrix24 REST calls by portal and outcome (ok, limited, error, network).', labelNames: ['portal', 'outcome'],
      }) },
    };
    this.limitErrors = new CountedCounter(registry, {
      name: 'bridge_bitrix24_limit_errors_total', labelNames: ['portal', 'code'],
      help: 'Bitrix24 limit refusals by portal and Bitrix24 error code (QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT, OVERLOAD_LIMIT).',
    });
    this.transformHooks = new CountedCounter(registry, {
      name: 'bridge_transform_hook_total', labelNames: ['route', 'direction', 'outcome'],
      help: 'Calls of routes\' transform hooks by route, direction and outcome (changed, unchanged, dropped, failed, timeout); failed and timeout carried the message unchanged.',
    });
    this.purgedRows = new CountedCounter(registry, {
      name: 'bridge_purged_rows_total', labelNames: ['kind'],
      help: 'Rows deleted by the retention purge in this process, by kind (the table, or jobs and dead_letters; src/store/repos/retention-repo.ts).',
    });
    this.jobsFinished = new CountedCounter(registry, {
      name: 'bridge_jobs_finished_total', help: 'Job runs finished in this process, by kind and outcome (completed, retried, dead).', labelNames: ['kind', 'outcome'],
    });
  }

  /** The counts of one intake point, bound at start. */
  intake(source: IntakeSource): IntakeTallies {
    return this.intakeTallies[source];
  }

  /** One outgoing call of a bot (MAX) or a portal (Bitrix24). */
  call(side: 'max' | 'bitrix24', id: string, outcome: CallOutcome): void {
    let counts = this.callCounts[side].get(id);
    if (!counts) {
      const { counter, idLabel } = this.calls[side];
      counts = counter.countsBy(CALL_OUTCOMES, (o) => ({ [idLabel]: id, outcome: o }));
      this.callCounts[side].set(id, counts);
    }
    counts[outcome].inc();
  }

  /** A Bitrix24 limit refusal; `code` is one of the portal's limit codes (a short, fixed list). */
  limitError(portalId: string, code: string): void {
    const key = `${portalId}\u0000${code}`;
    let count = this.limitCounts.get(key);
    if (!count) {
      count = this.limitErrors.count({ portal: portalId, code });
      this.limitCounts.set(key, count);
    }
    count.inc();
  }

  jobFinished(kind: string, outcome: JobOutcome): void {
    let counts = this.jobCounts.get(kind);
    if (!counts) {
      counts = this.jobsFinished.countsBy(JOB_OUTCOMES, (o) => ({ kind, outcome: o }));
      this.jobCounts.set(kind, counts);
    }
    counts[outcome].inc();
  }

  /** One call of a route's transform hook (route-transform.ts). */
  transformHook(route: string, direction: string, outcome: string): void {
    const key = `${route}\u0000${direction}\u0000${outcome}`;
    let count = this.transformCounts.get(key);
    if (!count) {
      count = this.transformHooks.count({ route, direction, outcome });
      this.transformCounts.set(key, count);
    }
    count.inc();
  }

  /** Rows one purge deleted, per kind (retention.ts); the kinds are the purge's fixed list. */
  purged(counts: Readonly<Record<string, number>>): void {
    for (const [kind, rows] of Object.entries(counts)) {
      let count = this.purgedCounts.get(kind);
      if (!count) {
        count = this.purgedRows.count({ kind });
        this.purgedCounts.set(kind, count);
      }
      count.value += rows;
    }
  }

  /** Counts every job run of `runner` as it finishes (its typed lifecycle events). */
  watchRunner(runner: Pick<JobRunner, 'on'>): void {
    runner.on('job:completed', ({ job }) => this.jobFinished(job.kind, 'completed'));
    runner.on('job:failed', ({ job }) => this.jobFinished(job.kind, 'retried'));
    runner.on('job:dead', ({ job }) => this.jobFinished(job.kind, 'dead'));
  }

  /** A message delivered `latencyMs` after the bridge received it. */
  delivered(direction: DeliveryDirection, latencyMs: number): void {
    this.latency[direction].observe(Math.max(0, latencyMs) / 1_000);
  }
}
