/**
 * Gauges read from the store at scrape time (nothing is kept in memory between
 * scrapes, so every process of a PostgreSQL cluster reports the same shared
 * numbers): jobs by kind and state, dead letters, each line's outbox depth and
 * the age of its oldest waiting item, and whether the database answered.
 *
 * One read serves every gauge of a scrape: the gauges' collect functions start
 * together, and the first one's read is shared by the others (single flight).
 * A failed read leaves the store gauges empty (no stale numbers) and sets
 * bridge_database_up to 0; /metrics itself still answers.
 */
import { Gauge, type Registry } from 'prom-client';
import { GAUGED_JOB_STATES, type JobCount, type LineQueue } from '../store/repos/gauge-repo.ts';

export interface StoreGaugeSource {
  jobCounts(): Promise<JobCount[]>;
  lineQueues(): Promise<LineQueue[]>;
}

interface Snapshot {
  jobs: JobCount[];
  lines: LineQueue[];
}

export interface StoreGaugeOptions {
  source: StoreGaugeSource;
  nowMs: () => number;
  /** Job kinds the bridge runs: reported as 0 when none is in a state, so a dashboard's series do not vanish. */
  jobKinds: readonly string[];
}

export function registerStoreGauges(registry: Registry, options: StoreGaugeOptions): void {
  const registers = [registry];
  let inFlight: Promise<Snapshot | null> | null = null;
  const snapshot = (): Promise<Snapshot | null> => {
    inFlight ??= Promise.all([options.source.jobCounts(), options.source.lineQueues()])
      .then(([jobs, lines]) => ({ jobs, lines }), () => null)
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  new Gauge({
    name: 'bridge_database_up', help: '1 when the database answered the last scrape\'s reads, 0 when it did not.', registers,
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'bridge_jobs', help: 'Jobs in the store by kind and state (pending, running, dead); done jobs are counted by bridge_jobs_finished_total.',
    labelNames: ['kind', 'state'], registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const kind of options.jobKinds) for (const state of GAUGED_JOB_STATES) this.labels({ kind, state }).set(0);
      for (const j of s.jobs) this.labels({ kind: j.kind, state: j.state }).set(j.count);
    },
  });
  new Gauge({
    name: 'bridge_dead_letters', help: 'Dead letters (jobs that failed for good, replayable) by job kind.', labelNames: ['kind'], registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const kind of options.jobKinds) this.labels({ kind }).set(0);
      for (const j of s.jobs) if (j.state === 'dead') this.labels({ kind: j.kind }).set(j.count);
    },
  });
  registerLineGauges(registers, snapshot, options.nowMs);
}

function registerLineGauges(registers: Registry[], snapshot: () => Promise<Snapshot | null>, nowMs: () => number): void {
  new Gauge({
    name: 'bridge_line_queue_depth', help: 'Items waiting in an Open Line\'s outbox to be sent to Bitrix24.', labelNames: ['portal', 'line'], registers,
    async collect() {
      this.reset();
      for (const q of (await snapshot())?.lines ?? []) this.labels({ portal: q.portalId, line: String(q.lineId) }).set(q.pending);
    },
  });
  new Gauge({
    name: 'bridge_line_queue_oldest_age_seconds', help: 'How long the oldest item waiting in an Open Line\'s outbox has waited since the bridge received it (0 when none waits).',
    labelNames: ['portal', 'line'], registers,
    async collect() {
      this.reset();
      const now = nowMs();
      for (const q of (await snapshot())?.lines ?? []) {
        this.labels({ portal: q.portalId, line: String(q.lineId) }).set(q.oldestArrivedMs === null ? 0 : Math.max(0, now - q.oldestArrivedMs) / 1_000);
      }
    },
  });
}
