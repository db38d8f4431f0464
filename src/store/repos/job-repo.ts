/**
 * Jobs: durable work, ordered per conversation. A job is claimed only when it
 * is the oldest unfinished job of its conversation_key (head-of-line), so job 3
 * never overtakes a retried job 2 (pg-boss, graphile-worker and BullMQ all let
 * it: shared/notes). On PostgreSQL the claim uses FOR UPDATE SKIP LOCKED so
 * several processes can claim at once; SQLite has one writer.
 *
 * Fencing: every state change after a claim is guarded by (locked_by, attempts);
 * a worker whose lease expired and was taken over changes nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Engine, Queryable } from '../db.ts';
import type { Database, JobState, JobsTable } from '../schema.ts';
import type { NewJob } from './event-repo.ts';

export interface ClaimedJob {
  id: number;
  kind: string;
  conversationKey: string;
  resourceKey: string | null;
  payload: unknown;
  /** 1 on the first run. */
  attempt: number;
  lockedBy: string;
  lastErrorCode: string | null;
  /** The stored event that created this job, if any. */
  eventId: number | null;
  /** When the lease taken by the claim ends (the runner's heartbeat extends it). */
  leaseUntilMs: number;
  /** When the job was queued: a transient failure is retried for a bounded time after it (retry-policy.ts). */
  createdAtMs: number;
}

export interface ClaimOptions {
  workerId: string;
  leaseMs: number;
  /** Multi-process mode: jobs with a resource_key only under that resource's lease. */
  requireResourceLease?: boolean;
  /** Kinds not to claim now (the runner has as many of them in flight as it allows). */
  excludeKinds?: readonly string[];
}

export type OnComplete = (trx: Transaction<Database>) => Promise<void>;

export class LostLeaseError extends Error {
  constructor(jobId: number) {
    super(`job ${jobId}: lease lost (taken over by another worker)`);
  }
}

type ClaimedRow = Pick<JobsTable, 'kind' | 'conversation_key' | 'resource_key' | 'payload' | 'attempts' | 'last_error_code' | 'event_id' | 'lease_until_ms' | 'created_at_ms'> & { id: number };

function toClaimed(row: ClaimedRow, workerId: string): ClaimedJob {
  return {
    id: Number(row.id), kind: row.kind, conversationKey: row.conversation_key, resourceKey: row.resource_key,
    payload: JSON.parse(row.payload) as unknown, attempt: row.attempts, lockedBy: workerId, lastErrorCode: row.last_error_code,
    eventId: row.event_id === null ? null : Number(row.event_id), leaseUntilMs: Number(row.lease_until_ms),
    createdAtMs: Number(row.created_at_ms),
  };
}

/** How often a completion aborted by a deadlock or a serialization failure is tried in all. */
const COMPLETE_CONFLICT_TRIES = 8;
/** The pause before the next try grows with each one: 5, 10, 15 ms… (halved to 1.5× at random). */
const COMPLETE_CONFLICT_PAUSE_MS = 5;

/** PostgreSQL's deadlock_detected (40P01) and serialization_failure (40001): the transaction did nothing and may be run again. */
function isTransientConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

export class JobRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly clock: Clock,
  ) {}

  async enqueue(job: NewJob, trx: Kysely<Database> = this.db): Promise<number> {
    const now = this.clock.nowMs();
    const row = await trx.insertInto('jobs').values({
      kind: job.kind, conversation_key: job.conversationKey, resource_key: job.resourceKey ?? null,
      payload: JSON.stringify(job.payload ?? null), state: 'pending', attempts: 0, run_at_ms: job.runAtMs ?? now,
      locked_by: null, lease_until_ms: null, last_error_code: null, last_error: null, last_response: null,
      event_id: null, created_at_ms: now, updated_at_ms: now,
    }).returning('id').executeTakeFirstOrThrow();
    return Number(row.id);
  }

  /** Claims the oldest runnable head-of-line job, or returns null. */
  async claim(options: ClaimOptions): Promise<ClaimedJob | null> {
    const now = this.clock.nowMs();
    return this.db.transaction().execute(async (trx) => {
      const candidate = this.engine === 'sqlite' && !options.requireResourceLease ? await this.claimHeadSqlite(trx, now, options.excludeKinds) : await this.claimGeneral(trx, now, options);
      if (!candidate) return null;
      const row = await trx.updateTable('jobs')
        .set((eb) => ({ state: 'running', attempts: eb('attempts', '+', 1), locked_by: options.workerId, lease_until_ms: now + options.leaseMs, updated_at_ms: now }))
        .where('id', '=', candidate.id)
        .returning(['id', 'kind', 'conversation_key', 'resource_key', 'payload', 'attempts', 'last_error_code', 'event_id', 'lease_until_ms', 'created_at_ms'])
        .executeTakeFirstOrThrow();
      return toClaimed({ ...row, id: Number(row.id) }, options.workerId);
    });
  }

  /** The head-of-line rule and, when required, the resource leases (row-locked on PostgreSQL, where several processes claim). */
  private async claimGeneral(trx: Transaction<Database>, now: number, options: ClaimOptions): Promise<{ id: number } | undefined> {
    let q = trx.selectFrom('jobs as j').select('j.id')
      .where((eb) => eb.or([
        eb.and([eb('j.state', '=', 'pending'), eb('j.run_at_ms', '<=', now)]),
        eb.and([eb('j.state', '=', 'running'), eb('j.lease_until_ms', '<', now)]),
      ]))
      // Head of line: no older unfinished job of the conversation, and no job of it
      // running under a live lease at all (a replayed dead letter is older than the job
      // that may be running now: it waits for it instead of running alongside).
      .where((eb) => eb.not(eb.exists(
        eb.selectFrom('jobs as p').select('p.id')
          .whereRef('p.conversation_key', '=', 'j.conversation_key')
          .whereRef('p.id', '!=', 'j.id')
          // Implied by the condition below, but spelled out with literals so the planner can use
          // the partial index on unfinished jobs (migration 2): without it SQLite walked every
          // job of the conversation, done ones included — a claim cost ∝ history (130 ms at
          // 100,000 done jobs and 1,000 pending, 2 ms with it).
          .where('p.state', 'in', [sql.lit<JobState>('pending'), sql.lit<JobState>('running')])
          .where((pb) => pb.or([
            pb.and([pb('p.id', '<', pb.ref('j.id')), pb('p.state', 'in', ['pending', 'running'])]),
            pb.and([pb('p.state', '=', 'running'), pb('p.lease_until_ms', '>=', now)]),
          ])),
      )));
    if (options.excludeKinds && options.excludeKinds.length > 0) q = q.where('j.kind', 'not in', [...options.excludeKinds]);
    if (options.requireResourceLease) {
      // A resource's jobs run only in the process holding its lease, checked in the
      // same statement (never from a cached list), and only once jobs another process
      // started under an earlier lease are finished or their job leases expired.
      q = q.where((eb) => eb.or([
        eb('j.resource_key', 'is', null),
        eb.and([
          eb.exists(eb.selectFrom('leases as l').select('l.resource').whereRef('l.resource', '=', 'j.resource_key')
            .where('l.holder', '=', options.workerId).where('l.expires_at_ms', '>', now)),
          eb.not(eb.exists(eb.selectFrom('jobs as r').select('r.id').whereRef('r.resource_key', '=', 'j.resource_key')
            .where('r.state', '=', 'running').where('r.locked_by', '!=', options.workerId).where('r.lease_until_ms', '>=', now))),
        ]),
      ]));
    }
    let picked = q.orderBy('j.id').limit(1);
    if (this.engine === 'postgres') picked = picked.forUpdate().skipLocked();
    return picked.executeTakeFirst();
  }

  /**
   * SQLite (one process, no resource leases): the same rule, looked up from the
   * conversations' heads. Under a backlog most unfinished jobs wait behind an
   * older one of their conversation; the query above checks each of them in id
   * order, and a claim that finds nothing checks them all — with thousands
   * waiting and a claim after every finished job, the largest cost of a
   * 5,000-message burst. Here the heads (the oldest unfinished job of each
   * conversation, read from the partial index) are the only candidates.
   */
  private async claimHeadSqlite(trx: Transaction<Database>, now: number, excludeKinds?: readonly string[]): Promise<{ id: number } | undefined> {
    const unfinished = [sql.lit<JobState>('pending'), sql.lit<JobState>('running')];
    const heads = trx.selectFrom('jobs').select((eb) => eb.fn.min('id').as('head_id')).where('state', 'in', unfinished).groupBy('conversation_key');
    let q = trx.selectFrom('jobs as j').innerJoin(heads.as('h'), 'h.head_id', 'j.id').select('j.id');
    if (excludeKinds && excludeKinds.length > 0) q = q.where('j.kind', 'not in', [...excludeKinds]);
    return q
      .where((eb) => eb.or([
        eb.and([eb('j.state', '=', 'pending'), eb('j.run_at_ms', '<=', now)]),
        eb.and([eb('j.state', '=', 'running'), eb('j.lease_until_ms', '<', now)]),
      ]))
      // A replayed dead letter is the head but must wait for the job of its conversation running now.
      .where((eb) => eb.not(eb.exists(
        eb.selectFrom('jobs as p').select('p.id').whereRef('p.conversation_key', '=', 'j.conversation_key').whereRef('p.id', '!=', 'j.id')
          .where('p.state', 'in', unfinished).where('p.state', '=', 'running').where('p.lease_until_ms', '>=', now),
      )))
      .orderBy('j.id').limit(1).executeTakeFirst();
  }

  /** The earliest run_at of a pending job that is not due yet, or null: lets the runner wake for it. */
  async nextFutureRunAtMs(): Promise<number | null> {
    const row = await this.db.selectFrom('jobs').select((eb) => eb.fn.min('run_at_ms').as('at'))
      .where('state', '=', 'pending').where('run_at_ms', '>', this.clock.nowMs()).executeTakeFirst();
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  private fenced(job: ClaimedJob) {
    return this.db.updateTable('jobs').where('id', '=', job.id).where('state', '=', 'running')
      .where('locked_by', '=', job.lockedBy).where('attempts', '=', job.attempt);
  }

  /**
   * Marks the job done; `onComplete` runs in the same transaction (its writes happen exactly once).
   * PostgreSQL may abort it as a deadlock's victim (two jobs of a line completing at once lock a
   * conversation row and the line's flush job in opposite orders) or as a serialization failure:
   * nothing of it was written, so it is tried again at once — the work is done (a flush's items
   * are in the line), and failing the job here would send them again.
   */
  async complete(job: ClaimedJob, onComplete?: OnComplete): Promise<void> {
    const now = this.clock.nowMs();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.transaction().execute(async (trx) => {
          const res = await trx.updateTable('jobs').set({ state: 'done', locked_by: null, lease_until_ms: null, updated_at_ms: now })
            .where('id', '=', job.id).where('state', '=', 'running').where('locked_by', '=', job.lockedBy).where('attempts', '=', job.attempt)
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) !== 1) throw new LostLeaseError(job.id);
          if (onComplete) await onComplete(trx);
        });
        return;
      } catch (err) {
        if (!isTransientConflict(err) || attempt >= COMPLETE_CONFLICT_TRIES) throw err;
        // Real time, not the bridge's clock: this waits for the other transaction to finish.
        await sleep(COMPLETE_CONFLICT_PAUSE_MS * attempt * (0.5 + Math.random()));
      }
    }
  }

  async retryLater(job: ClaimedJob, delayMs: number, error: { code: string; message: string; response?: string | null }): Promise<boolean> {
    const now = this.clock.nowMs();
    const res = await this.fenced(job).set({
      state: 'pending', run_at_ms: now + delayMs, locked_by: null, lease_until_ms: null, last_error_code: error.code,
      last_error: error.message, last_response: error.response ?? null, updated_at_ms: now,
    }).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Marks the job a dead letter; `onDead` runs in the same transaction (what tells of it is written exactly once). */
  async markDead(job: ClaimedJob, error: { code: string; message: string; response?: string | null }, onDead?: OnComplete): Promise<boolean> {
    const now = this.clock.nowMs();
    return this.db.transaction().execute(async (trx) => {
      const res = await trx.updateTable('jobs').where('id', '=', job.id).where('state', '=', 'running')
        .where('locked_by', '=', job.lockedBy).where('attempts', '=', job.attempt).set({
          state: 'dead', locked_by: null, lease_until_ms: null, last_error_code: error.code, last_error: error.message,
          last_response: error.response ?? null, updated_at_ms: now,
        }).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      if (onDead) await onDead(trx);
      return true;
    });
  }

  /** Extends the lease of a running job; false when it was taken over. */
  async heartbeat(job: ClaimedJob, leaseMs: number): Promise<boolean> {
    const now = this.clock.nowMs();
    const res = await this.fenced(job).set({ lease_until_ms: now + leaseMs, updated_at_ms: now }).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Puts a claimed job back unrun until `runAtMs` (its handler said "not yet"): not counted as an attempt. */
  async defer(job: ClaimedJob, runAtMs: number): Promise<boolean> {
    const now = this.clock.nowMs();
    const res = await this.fenced(job).set((eb) => ({
      state: 'pending', attempts: eb('attempts', '-', 1), run_at_ms: runAtMs, locked_by: null, lease_until_ms: null, updated_at_ms: now,
    })).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Gives a claimed job back unrun (graceful shutdown): not counted as an attempt. */
  async release(job: ClaimedJob): Promise<boolean> {
    const now = this.clock.nowMs();
    const res = await this.fenced(job).set((eb) => ({
      state: 'pending', attempts: eb('attempts', '-', 1), locked_by: null, lease_until_ms: null, updated_at_ms: now,
    })).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async get(id: number) {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('jobs').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  /** Whether a job of this kind is pending or running in this queue. */
  async hasUnfinished(conversationKey: string, kind: string): Promise<boolean> {
    const row = await this.db.selectFrom('jobs').select('id').where('conversation_key', '=', conversationKey).where('kind', '=', kind)
      .where('state', 'in', ['pending', 'running']).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The stored events (raw bodies) of the pending jobs queued after `afterJobId` in this queue
   * whose event is of `eventKind`, in queue order: what an earlier-written event that arrived
   * later may hold (lifecycle.ts delivers operator replies in the order they were written).
   */
  async laterPendingEvents(conversationKey: string, afterJobId: number, eventKind: string): Promise<string[]> {
    const rows = await this.db.selectFrom('jobs').innerJoin('events', 'events.id', 'jobs.event_id').select(['events.raw'])
      .where('jobs.conversation_key', '=', conversationKey).where('jobs.state', '=', 'pending').where('jobs.id', '>', afterJobId)
      .where('events.kind', '=', eventKind).orderBy('jobs.id').execute();
    return rows.map((r) => r.raw);
  }

  /**
   * Pending jobs whose last attempt failed with one of these codes run now rather than at their
   * next backoff (what waited for a line goes once the line is set up or restored).
   */
  async runNowAfter(errorCodes: string[], db: Queryable = this.db): Promise<void> {
    if (errorCodes.length === 0) return;
    await db.updateTable('jobs').set({ run_at_ms: this.clock.nowMs() }).where('state', '=', 'pending').where('last_error_code', 'in', errorCodes).execute();
  }

  /**
   * The pending jobs of one queue run now rather than when they were put back (a conversation
   * released from a check's hold: its held updates go at once, in order); how many.
   */
  async runQueueNow(conversationKey: string, db: Queryable = this.db): Promise<number> {
    const res = await db.updateTable('jobs').set({ run_at_ms: this.clock.nowMs() }).where('conversation_key', '=', conversationKey)
      .where('state', '=', 'pending').where('run_at_ms', '>', this.clock.nowMs()).executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /** Distinct resources that have runnable work (for lease acquisition). */
  async pendingResources(): Promise<string[]> {
    const rows = await this.db.selectFrom('jobs').select('resource_key').distinct()
      .where('state', 'in', ['pending', 'running']).where('resource_key', 'is not', null).execute();
    return rows.map((r) => r.resource_key as string);
  }
}
