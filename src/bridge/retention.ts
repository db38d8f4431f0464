/**
 * Retention in the running bridge: what is older than its kind's days (`retention.*`,
 * `journal.retention_days`) is purged every `retention.purge_interval_minutes`, the first
 * time FIRST_PURGE_AFTER_MS after the start (the start's own work — catch-up,
 * reconciliation — goes first). The rules, table by table, are the store's
 * (src/store/repos/retention-repo.ts); here: the cutoffs, the schedule, the lease, the log.
 *
 * One process at a time: the purge runs under the `retention` lease (leases table, as the
 * portals' resource leases), taken for an interval and a margin and renewed while a purge
 * runs, so with several processes on PostgreSQL one purges and the others find it held and
 * wait for their next turn; when it dies, its lease lapses and another takes over. A purge
 * of another process at the same time would still be safe (every delete re-checks its rule),
 * only wasted. `npm run bridge -- purge` runs the same purge without the lease.
 *
 * It never fails the bridge: a failed purge is logged and tried again at the next interval;
 * what it deleted stays deleted, the rest goes next time. It runs on the bridge's clock, so a
 * test with a ManualClock drives it like any other wait.
 */
import type { BridgeConfigData } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import { codeOf, type Logger } from '../log/logger.ts';
import type { Store } from '../store/open-store.ts';
import { PURGE_TARGETS, type PurgeCounts, type RetentionCutoffs } from '../store/repos/retention-repo.ts';

export const DAY_MS = 86_400_000;
/** The first purge after a start: after the start's catch-up and reconciliation, soon enough to be seen. */
export const FIRST_PURGE_AFTER_MS = 60_000;
/** The lease that lets one process purge at a time. */
export const RETENTION_LEASE = 'retention';
/** Held for an interval and this much more: the holder renews it at its next purge before it lapses. */
const LEASE_MARGIN_MS = 5 * 60_000;
/** While a purge runs, its lease is renewed at most this often (a batch is milliseconds). */
const RENEW_EVERY_MS = 10_000;

/** The configuration a purge reads. */
export type RetentionSettings = Pick<BridgeConfigData, 'journal' | 'retention' | 'max'>;

/** Why the messages are kept as long as they are: their own days, or a catch-up that reads the chats' history further back. */
export type MessagesKeptBy = 'retention.messages_days' | 'max.downtime_catchup_days' | 'max.catchup_window_ms';

export interface RetentionPlan {
  cutoffs: RetentionCutoffs;
  /** How long messages are kept, in days, and which setting says so. */
  messagesKeptDays: number;
  messagesKeptBy: MessagesKeptBy;
}

/**
 * The cutoffs at `nowMs`. The messages (outbox rows, id maps, idle conversations) are kept at
 * least as long as a catch-up may read a chat's history back: a history message whose outbox
 * row was purged would be taken for one never queued and sent to the line again. The
 * downtime and lost-subscription catch-ups read chats active within `max.downtime_catchup_days`,
 * back as far; the restart catch-up reads `max.catchup_window_ms` before a start, for as long
 * after it — two windows back.
 */
export function retentionPlan(settings: RetentionSettings, nowMs: number): RetentionPlan {
  const { retention } = settings;
  const candidates: Array<{ ms: number; by: MessagesKeptBy }> = [
    { ms: retention.messages_days * DAY_MS, by: 'retention.messages_days' },
    { ms: settings.max.downtime_catchup_days * DAY_MS, by: 'max.downtime_catchup_days' },
    { ms: 2 * settings.max.catchup_window_ms, by: 'max.catchup_window_ms' },
  ];
  const kept = candidates.reduce((a, b) => (b.ms > a.ms ? b : a));
  const before = (days: number) => Math.round(nowMs - days * DAY_MS);
  return {
    cutoffs: {
      nowMs,
      journalBeforeMs: before(settings.journal.retention_days),
      eventsBeforeMs: before(retention.events_days),
      messagesBeforeMs: Math.round(nowMs - kept.ms),
      filesBeforeMs: before(retention.files_days),
      deadLettersBeforeMs: before(retention.dead_letters_days),
    },
    messagesKeptDays: kept.ms / DAY_MS,
    messagesKeptBy: kept.by,
  };
}

/** One scheduled purge: what it deleted, or that another process holds the purge. */
export type PurgeRun =
  | { ran: true; counts: PurgeCounts; plan: RetentionPlan; durationMs: number }
  | { ran: false; heldBy: string | null };

export interface RetentionDeps {
  store: Pick<Store, 'retention' | 'leases'>;
  clock: Clock;
  /** Read at each purge. */
  settings: () => RetentionSettings;
  /** The process (the lease's holder). */
  workerId: string;
  /** Already the `retention` component's. */
  log: Logger;
  /** Rows deleted by one purge (metrics). */
  onPurged?: (counts: PurgeCounts) => void;
  batchRows?: number;
}

function nonZero(counts: PurgeCounts): Partial<PurgeCounts> {
  return Object.fromEntries(PURGE_TARGETS.flatMap((t) => (counts[t] > 0 ? [[t, counts[t]]] : []))) as Partial<PurgeCounts>;
}

export function totalOf(counts: PurgeCounts): number {
  return PURGE_TARGETS.reduce((sum, t) => sum + counts[t], 0);
}

export class RetentionSchedule {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private running: Promise<PurgeRun> | null = null;

  constructor(private readonly deps: RetentionDeps) {}

  private intervalMs(): number {
    return this.deps.settings().retention.purge_interval_minutes * 60_000;
  }

  /** Starts the schedule: a purge FIRST_PURGE_AFTER_MS from now, then every interval. */
  start(): void {
    this.loop ??= (async () => {
      let waitMs = FIRST_PURGE_AFTER_MS;
      for (;;) {
        try {
          await this.deps.clock.sleep(waitMs, this.stopping.signal);
        } catch {
          return; // stopped
        }
        await this.runNow().catch((err: unknown) => {
          if (this.stopping.signal.aborted) return;
          this.deps.log.warn({ err, code: codeOf(err) }, 'purge failed; tried again at the next interval');
        });
        waitMs = this.intervalMs();
      }
    })();
  }

  /** Purges now under the lease (the schedule's run; also the bench's and the tests'); one at a time in this process. */
  runNow(): Promise<PurgeRun> {
    this.running ??= this.purgeOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async purgeOnce(): Promise<PurgeRun> {
    const { store, clock, workerId, log } = this.deps;
    const leaseMs = this.intervalMs() + LEASE_MARGIN_MS;
    if (!(await store.leases.acquire(RETENTION_LEASE, workerId, leaseMs))) {
      const heldBy = await store.leases.holderOf(RETENTION_LEASE);
      log.debug({ heldBy }, 'another process purges; this one waits for its next turn');
      return { ran: false, heldBy };
    }
    const startedMs = clock.nowMs();
    const plan = retentionPlan(this.deps.settings(), startedMs);
    let renewedMs = startedMs;
    const counts = await store.retention.purge(plan.cutoffs, {
      batchRows: this.deps.batchRows,
      signal: this.stopping.signal,
      onProgress: async () => {
        if (clock.nowMs() - renewedMs < RENEW_EVERY_MS) return;
        renewedMs = clock.nowMs();
        // Lost (this process stalled past it and another took over): stop; the other purges.
        if (!(await store.leases.acquire(RETENTION_LEASE, workerId, leaseMs))) throw new Error('the retention lease was taken over by another process');
      },
    });
    const durationMs = clock.nowMs() - startedMs;
    this.deps.onPurged?.(counts);
    const total = totalOf(counts);
    const fields = {
      deleted: nonZero(counts), total, durationMs, messagesKeptDays: plan.messagesKeptDays, messagesKeptBy: plan.messagesKeptBy,
      cutoffs: {
        journal: new Date(plan.cutoffs.journalBeforeMs).toISOString(), events: new Date(plan.cutoffs.eventsBeforeMs).toISOString(),
        messages: new Date(plan.cutoffs.messagesBeforeMs).toISOString(), files: new Date(plan.cutoffs.filesBeforeMs).toISOString(),
        deadLetters: new Date(plan.cutoffs.deadLettersBeforeMs).toISOString(),
      },
    };
    if (total > 0) log.info(fields, `purged ${total} row(s) older than their retention`);
    else log.debug(fields, 'nothing older than its retention to purge');
    return { ran: true, counts, plan, durationMs };
  }

  /** Stops the schedule; a purge under way stops between batches. The lease is given up for another process. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the bridge is closing'));
    await this.loop;
    await this.running?.catch(() => undefined);
    await this.deps.store.leases.release(RETENTION_LEASE, this.deps.workerId).catch(() => undefined);
  }
}
