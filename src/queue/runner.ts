/**
 * The job runner: claims head-of-line jobs (src/store/repos/job-repo.ts), runs
 * their handlers with up to `concurrency` jobs of DIFFERENT conversations in
 * flight, renews leases while a handler runs, applies the one retry policy,
 * and shuts down gracefully (stop claiming → finish in-flight work up to a
 * timeout → release the rest unrun).
 *
 * With several processes on PostgreSQL (`resourceLeases: true`) a process
 * claims jobs of a rate-limited resource (a portal, a bot) only while it holds
 * that resource's lease, so each portal's and bot's limiter lives in exactly one
 * process at a time (docs/architecture.md).
 *
 * Time decisions (run_at, leases) use the injected Clock; polling uses real
 * timers so a test's ManualClock only has to be advanced, never awaited.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../domain/clock.ts';
import { SideHeldError } from '../domain/side-hold.ts';
import { BridgeError } from '../domain/errors.ts';
import { codeOf, silentLogger, type Logger } from '../log/logger.ts';
import { LostLeaseError, type ClaimedJob, type OnComplete } from '../store/repos/job-repo.ts';
import type { Store } from '../store/open-store.ts';
import { NotYet } from './not-yet.ts';
import type { RunnerEventMap, RunnerEventName, RunnerListener } from './events.ts';
import { decideRetry, DEFAULT_RETRY_POLICY, errorCodeOf, type RetryPolicy } from './retry-policy.ts';

/** How often, in real time, a running job's heartbeat looks at its lease on the bridge's clock. */
const HEARTBEAT_LOOK_MS = 100;

export interface JobContext {
  /** Aborted when the runner stops forcefully or the job's lease was lost; handlers pass it to their I/O. */
  signal: AbortSignal;
  /**
   * Until when this process surely holds the job (the last lease it wrote). A handler about
   * to act on a rate-limited resource checks it with a margin: after a stall longer than the
   * lease, another process may own the job's resource (docs/architecture.md).
   */
  leaseUntilMs(): number;
  /**
   * The job's logger: the handler's component with the job's correlation ids
   * (jobId, jobKind, conversationKey, attempt, and conversationId when the payload
   * names one); a handler adds what it learns (`log.child({ conversationId, messageKey })`).
   */
  log: Logger;
}

/** A handler does the job's work; it may return writes to commit together with "done". */
export type JobHandler = (job: ClaimedJob, ctx: JobContext) => Promise<OnComplete | void>;

export interface RunnerOptions {
  store: Pick<Store, 'jobs' | 'leases'>;
  handlers: Record<string, JobHandler>;
  workerId: string;
  clock: Clock;
  random?: () => number;
  /** Jobs in flight at once (each of a different conversation). Default 8. */
  concurrency?: number;
  /** A running job's lease; renewed every third of it. Default 30 s. */
  leaseMs?: number;
  /** Idle poll interval (real time). Default 100 ms. */
  pollIntervalMs?: number;
  retryPolicy?: RetryPolicy;
  /** Multi-process mode: claim resource jobs only under a resource lease. */
  resourceLeases?: boolean;
  /** Default 30 s: at least the time a full default bucket (50 at 2/s) needs to drain. */
  resourceLeaseMs?: number;
  /** The process logger (src/log/logger.ts); default silent. */
  logger?: Logger;
  /** The component named in a job's log lines, by job kind ('line.flush' → 'line-flush'); default 'runner'. */
  components?: Record<string, string>;
  /**
   * Runs in the transaction that makes a job a dead letter (what tells of it — a hook event —
   * is written exactly when the dead letter is). A failure fails the marking; the job runs again.
   */
  onDead?: (job: ClaimedJob, error: { code: string; message: string }) => OnComplete | undefined;
  /**
   * At most this many jobs of a kind in flight at once (the rest are not claimed until one
   * ends): e.g. webhook deliveries, so a slow receiver never takes every worker from the messages.
   */
  kindLimits?: Record<string, number>;
}

export class JobRunner {
  private readonly emitter = new EventEmitter();
  private readonly inflight = new Map<number, { job: ClaimedJob; abort: AbortController; done: Promise<void> }>();
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private heldResources: string[] = [];
  private lastResourceRefreshMs = 0;
  private readonly o: Required<Omit<RunnerOptions, 'store' | 'handlers' | 'workerId' | 'clock' | 'logger' | 'components' | 'onDead' | 'kindLimits'>>;
  private readonly logger: Logger;
  private readonly log: Logger;

  constructor(private readonly options: RunnerOptions) {
    this.o = {
      random: options.random ?? Math.random,
      concurrency: options.concurrency ?? 8,
      leaseMs: options.leaseMs ?? 30_000,
      pollIntervalMs: options.pollIntervalMs ?? 100,
      retryPolicy: options.retryPolicy ?? DEFAULT_RETRY_POLICY,
      resourceLeases: options.resourceLeases ?? false,
      resourceLeaseMs: options.resourceLeaseMs ?? 30_000,
    };
    this.logger = options.logger ?? silentLogger();
    this.log = this.logger.child({ component: 'runner' });
  }

  /** A job's logger: its component and correlation ids on every line (JobContext.log). */
  private logFor(job: ClaimedJob): Logger {
    const conversationId = (job.payload as { conversationId?: unknown } | null)?.conversationId;
    return this.logger.child({
      component: this.options.components?.[job.kind] ?? 'runner', jobId: job.id, jobKind: job.kind, conversationKey: job.conversationKey,
      attempt: job.attempt, ...(typeof conversationId === 'string' ? { conversationId } : {}), ...(job.eventId === null ? {} : { eventId: job.eventId }),
    });
  }

  on<K extends RunnerEventName>(event: K, listener: RunnerListener<K>): this {
    this.emitter.on(event, listener);
    return this;
  }

  private emit<K extends RunnerEventName>(event: K, payload: RunnerEventMap[K]): void {
    this.emitter.emit(event, payload);
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Wakes the loop at once (e.g. right after a webhook stored new jobs). */
  poke(): void {
    this.wake?.();
  }

  /** The jobs running now (kind, id, attempt): what a stuck test or an operator looks at. */
  get running(): Array<{ id: number; kind: string; attempt: number; conversationKey: string }> {
    return [...this.inflight.values()].map(({ job }) => ({ id: job.id, kind: job.kind, attempt: job.attempt, conversationKey: job.conversationKey }));
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Kinds with as many jobs in flight as `kindLimits` allows. */
  private kindsAtLimit(): string[] | undefined {
    const limits = this.options.kindLimits;
    if (!limits) return undefined;
    const atLimit: string[] = [];
    for (const [kind, limit] of Object.entries(limits)) {
      let n = 0;
      for (const { job } of this.inflight.values()) if (job.kind === kind) n++;
      if (n >= limit) atLimit.push(kind);
    }
    return atLimit;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (this.o.resourceLeases) await this.refreshResources();
        while (!this.stopping && this.inflight.size < this.o.concurrency) {
          const job = await this.options.store.jobs.claim({
            workerId: this.options.workerId,
            leaseMs: this.o.leaseMs,
            requireResourceLease: this.o.resourceLeases,
            excludeKinds: this.kindsAtLimit(),
          });
          if (!job) break;
          this.launch(job);
        }
      } catch (err) {
        // Store briefly unavailable: try again after the poll interval.
        this.log.warn({ err, code: codeOf(err), retryInMs: this.o.pollIntervalMs }, 'claiming jobs failed; trying again');
      }
      const waitMs = await this.idleWaitMs();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /**
   * How long to sleep before claiming again: the poll interval, or less when a
   * job falls due sooner (a delayed flush, a short retry), so it starts on time.
   */
  private async idleWaitMs(): Promise<number> {
    if (this.stopping || this.inflight.size >= this.o.concurrency) return this.o.pollIntervalMs;
    try {
      const next = await this.options.store.jobs.nextFutureRunAtMs();
      if (next === null) return this.o.pollIntervalMs;
      return Math.max(1, Math.min(this.o.pollIntervalMs, next - this.options.clock.nowMs()));
    } catch (err) {
      // Only the wake-up time is lost: the loop polls at the plain interval.
      this.log.debug({ err, code: codeOf(err) }, 'reading the next due job failed; polling at the interval');
      return this.o.pollIntervalMs;
    }
  }

  private async refreshResources(): Promise<void> {
    const now = this.options.clock.nowMs();
    if (now - this.lastResourceRefreshMs < this.o.resourceLeaseMs / 3 && this.heldResources.length > 0) return;
    this.lastResourceRefreshMs = now;
    const { leases, jobs } = this.options.store;
    const wanted = new Set([...this.heldResources, ...(await jobs.pendingResources())]);
    const held: string[] = [];
    for (const resource of wanted) {
      if (!(await leases.acquire(resource, this.options.workerId, this.o.resourceLeaseMs))) continue;
      held.push(resource);
      if (!this.heldResources.includes(resource)) this.emit('resource:acquired', { resource });
    }
    this.heldResources = held;
  }

  private launch(job: ClaimedJob): void {
    // Claimed again while still in flight here: its lease lapsed (the process stalled
    // for longer than leaseMs). The stale run is fenced off in the store; stop it too.
    this.inflight.get(job.id)?.abort.abort(new LostLeaseError(job.id));
    const abort = new AbortController();
    const entry = { job, abort, done: Promise.resolve() };
    entry.done = this.execute(job, abort).finally(() => {
      if (this.inflight.get(job.id) === entry) this.inflight.delete(job.id);
      this.wake?.();
    });
    this.inflight.set(job.id, entry);
  }

  private async execute(job: ClaimedJob, abort: AbortController): Promise<void> {
    const { signal } = abort;
    const { clock } = this.options;
    const log = this.logFor(job);
    this.emit('job:claimed', { job });
    log.debug('job started');
    const startedMs = clock.nowMs();
    let finishing = false;
    let leaseUntilMs = job.leaseUntilMs;
    const loseLease = (): void => {
      if (finishing || signal.aborted) return;
      log.warn({ leaseUntilMs }, 'lease lost; the job stops here and runs again where it is claimed');
      this.emit('job:lease-lost', { job });
      abort.abort(new LostLeaseError(job.id));
    };
    // The lease is timed on the bridge's clock, the beat on real time: the beat looks every
    // HEARTBEAT_LOOK_MS (or a third of the lease, if shorter) and renews once a third of the lease
    // has passed on the clock. Real time and the clock are one in production (a renewal every 10 s
    // of a 30 s lease); under a test's clock, which runs hours in seconds, a beat every third of
    // the lease in real time came too late and the job was claimed again while it ran.
    let renewedAtMs = clock.nowMs();
    let renewing = false;
    const heartbeat = setInterval(() => {
      const now = clock.nowMs();
      // Our lease lapsed before we could renew it (a stall longer than leaseMs): another
      // worker may own the job or its resource now, so stop (self-fencing).
      if (now >= leaseUntilMs) return loseLease();
      if (renewing || now - renewedAtMs < this.o.leaseMs / 3) return;
      renewing = true;
      renewedAtMs = now;
      const renewedUntilMs = now + this.o.leaseMs;
      void this.options.store.jobs.heartbeat(job, this.o.leaseMs).then((held) => {
        if (held) leaseUntilMs = Math.max(leaseUntilMs, renewedUntilMs);
        else loseLease();
      }, (err: unknown) => {
        // The next beat, a third of the lease on, tries again; a lease that lapses meanwhile is lost above.
        log.warn({ err, code: codeOf(err), leaseUntilMs }, 'renewing the job lease failed');
      }).finally(() => {
        renewing = false;
      });
    }, Math.max(10, Math.min(HEARTBEAT_LOOK_MS, this.o.leaseMs / 3)));
    try {
      const handler = this.options.handlers[job.kind];
      if (!handler) throw new BridgeError('BRG_ERR_UNKNOWN_JOB_KIND', `no handler for job kind "${job.kind}"`);
      const onComplete = await handler(job, { signal, leaseUntilMs: () => leaseUntilMs, log });
      if (signal.aborted) return;
      finishing = true;
      await this.options.store.jobs.complete(job, onComplete ?? undefined);
      const durationMs = clock.nowMs() - startedMs;
      log.debug({ durationMs }, 'job done');
      this.emit('job:completed', { job, durationMs });
    } catch (error) {
      if (signal.aborted) return;
      finishing = true;
      await this.fail(job, error, log);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async fail(job: ClaimedJob, failure: unknown, log: Logger): Promise<void> {
    // A side that is down for everyone (side-hold.ts): the job steps aside until its next probe,
    // unrun — no attempt spent, still the head of its conversation — however long the outage.
    const error = failure instanceof SideHeldError
      ? new NotYet(this.options.clock.nowMs() + (failure.retryAfterMs ?? 1_000), `${failure.side} is down (${failure.code})`)
      : failure;
    if (error instanceof LostLeaseError) {
      log.warn('lease lost; the job runs again where it is claimed');
      this.emit('job:lease-lost', { job });
      return;
    }
    if (error instanceof NotYet) {
      log.trace({ runAtMs: error.runAtMs }, 'not yet; job deferred');
      const deferred = await this.options.store.jobs.defer(job, error.runAtMs).catch((err: unknown) => {
        // Not deferred: the lease expires and the job is claimed again, which is what a defer does later.
        log.warn({ err, code: codeOf(err) }, 'deferring the job failed; it runs again when its lease expires');
        return false;
      });
      if (!deferred) this.emit('job:lease-lost', { job });
      return;
    }
    const decision = decideRetry(error, job.attempt, this.o.retryPolicy, this.o.random, this.options.clock.nowMs() - job.createdAtMs);
    const detail = {
      code: errorCodeOf(error),
      message: error instanceof Error ? error.message : String(error),
      response: (error as { response?: string } | null)?.response ?? null,
    };
    try {
      const recorded = decision.action === 'retry'
        ? await this.options.store.jobs.retryLater(job, decision.delayMs, detail)
        : await this.options.store.jobs.markDead(job, detail, this.options.onDead?.(job, detail));
      // Fenced off: another worker holds the job now; its outcome is that worker's to record.
      if (!recorded) {
        log.warn({ err: error, code: detail.code }, 'job failed after its lease was lost; the worker holding it records the outcome');
        this.emit('job:lease-lost', { job });
      } else if (decision.action === 'retry') {
        log.warn({ err: error, code: detail.code, delayMs: decision.delayMs }, 'job failed; retry scheduled');
        this.emit('job:failed', { job, error, delayMs: decision.delayMs });
      } else {
        log.error({ err: error, code: detail.code, reason: decision.reason }, 'job failed for good; kept as a dead letter');
        this.emit('job:dead', { job, error, reason: decision.reason });
      }
    } catch (err) {
      // The store is unreachable: the lease will expire and another claim will retry the job.
      log.error({ err, code: codeOf(err), jobError: detail.code }, 'recording the job failure failed; it runs again when its lease expires');
    }
  }

  /**
   * Graceful shutdown: stop claiming, let in-flight handlers finish for up to
   * `gracePeriodMs`, then abort and release the rest (they run again later,
   * not counted as an attempt), and give up resource leases.
   */
  async stop(gracePeriodMs = 10_000): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    const pending = [...this.inflight.values()];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pending.map((p) => p.done)),
      new Promise<void>((r) => (timer = setTimeout(r, gracePeriodMs))),
    ]);
    clearTimeout(timer);
    let releasedCount = 0;
    for (const { job, abort } of this.inflight.values()) {
      abort.abort(new Error('runner stopping'));
      const released = await this.options.store.jobs.release(job).catch((err: unknown) => {
        this.log.warn({ err, code: codeOf(err), jobId: job.id }, 'releasing a job at stop failed; it runs again when its lease expires');
        return false;
      });
      if (released) {
        releasedCount++;
        this.emit('job:released', { job });
      }
    }
    if (this.o.resourceLeases) {
      await this.options.store.leases.releaseAll(this.options.workerId).catch((err: unknown) => {
        // Unreleased leases lapse after resourceLeaseMs; another process takes them then.
        this.log.warn({ err, code: codeOf(err) }, 'releasing resource leases at stop failed; they lapse on their own');
      });
    }
    this.log.info({ released: releasedCount }, 'job runner stopped');
    this.emit('runner:stopped', { released: releasedCount });
  }
}
