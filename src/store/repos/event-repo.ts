/**
 * Events: everything received from outside, stored raw once under a unique
 * (source, dedupe_key), in the SAME transaction as the jobs it creates, before
 * the HTTP answer. Insert-or-ignore, never check-then-set: a redelivery finds
 * the key taken and creates nothing (STYLE habits 1 and 2).
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import { GroupWriter } from '../group-writer.ts';
import type { Database, JobsTable } from '../schema.ts';
import type { SqliteDirect } from '../sqlite-direct.ts';

/** Most events one group commit takes. */
const GROUP_COMMIT_MAX = 256;

export interface NewJob {
  kind: string;
  conversationKey: string;
  resourceKey?: string | null;
  payload: unknown;
  /** Earliest start; default now. */
  runAtMs?: number;
}

export interface RecordEventInput {
  source: string;
  kind: string;
  dedupeKey: string;
  /** The body exactly as received (keeps integers above 2^53 intact). */
  raw: string;
  jobs: NewJob[];
  /**
   * When it reached us; default the time of the write. The MAX webhook passes
   * its request's begin stamp (domain/in-flight.ts): the line flush compares it
   * with the requests still being taken in.
   */
  receivedAtMs?: number;
}

export interface RecordEventResult {
  duplicate: boolean;
  eventId: number | null;
  jobIds: number[];
}

export class EventRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    /** SQLite: groups are written with prepared statements, without the query builder. */
    private readonly direct?: SqliteDirect,
  ) {}

  private readonly group = new GroupWriter<RecordEventInput, RecordEventResult>(
    (inputs) => this.db.transaction().execute((trx) => this.recordGroup(trx, inputs)),
    (input) => this.db.transaction().execute((trx) => this.recordIn(trx, input)),
    GROUP_COMMIT_MAX,
  );

  /**
   * Stores the event and its jobs atomically. Without a transaction, concurrent
   * calls are grouped: everything that arrived in the same turn of the event
   * loop (or while the previous group was committing) commits in ONE
   * transaction, each event still insert-or-ignore on its own key, and each
   * caller resolves only after that commit (group commit: intake pays one
   * commit per group, not per request). On SQLite the group is shared with the
   * other hot-path writes (sqlite-direct.ts). With `trx`, it joins that transaction.
   */
  record(input: RecordEventInput, trx?: Transaction<Database>): Promise<RecordEventResult> {
    if (trx) return this.recordIn(trx, input);
    if (this.direct) return this.direct.run(() => this.recordDirect([input])[0] as RecordEventResult);
    return this.group.write(input);
  }

  /**
   * A group in three statements: the events in one multi-row insert-or-ignore
   * (RETURNING says which keys were new; a key twice in the group is new once),
   * then all their jobs in one insert. Ids are assigned in VALUES order on both
   * engines, so sorted job ids follow the inputs.
   */
  private async recordGroup(trx: Transaction<Database>, inputs: RecordEventInput[]): Promise<RecordEventResult[]> {
    if (inputs.length === 1) return [await this.recordIn(trx, inputs[0] as RecordEventInput)];
    const now = this.clock.nowMs();
    const keyOf = (source: string, dedupeKey: string) => `${source}\u0000${dedupeKey}`;
    const inserted = await trx.insertInto('events')
      .values(inputs.map((i) => ({ source: i.source, kind: i.kind, dedupe_key: i.dedupeKey, raw: i.raw, received_at_ms: i.receivedAtMs ?? now })))
      .onConflict((oc) => oc.columns(['source', 'dedupe_key']).doNothing())
      .returning(['id', 'source', 'dedupe_key'])
      .execute();
    const newIds = new Map(inserted.map((r) => [keyOf(r.source, r.dedupe_key), Number(r.id)]));
    const results: RecordEventResult[] = [];
    const jobRows: Array<{ index: number; values: Insertable<JobsTable> }> = [];
    for (const [index, input] of inputs.entries()) {
      const key = keyOf(input.source, input.dedupeKey);
      const eventId = newIds.get(key);
      if (eventId === undefined) {
        results.push({ duplicate: true, eventId: null, jobIds: [] });
        continue;
      }
      newIds.delete(key); // the same key again later in the group is a duplicate
      results.push({ duplicate: false, eventId, jobIds: [] });
      for (const job of input.jobs) {
        jobRows.push({
          index,
          values: {
            kind: job.kind, conversation_key: job.conversationKey, resource_key: job.resourceKey ?? null,
            payload: JSON.stringify(job.payload ?? null), state: 'pending', attempts: 0, run_at_ms: job.runAtMs ?? now,
            locked_by: null, lease_until_ms: null, last_error_code: null, last_error: null, last_response: null,
            event_id: eventId, created_at_ms: now, updated_at_ms: now,
          },
        });
      }
    }
    if (jobRows.length > 0) {
      const ids = (await trx.insertInto('jobs').values(jobRows.map((r) => r.values)).returning('id').execute())
        .map((r) => Number(r.id)).sort((a, b) => a - b);
      jobRows.forEach((row, i) => results[row.index]?.jobIds.push(ids[i] as number));
    }
    return results;
  }

  /**
   * The same on SQLite's prepared hot path: per input, one insert-or-ignore of
   * the event (RETURNING tells whether it was new) and one insert per job, all
   * inside the caller's transaction. Ids grow in input order.
   */
  private recordDirect(inputs: RecordEventInput[]): RecordEventResult[] {
    const direct = this.direct as SqliteDirect;
    const now = this.clock.nowMs();
    const insertEvent = direct.statement(
      'INSERT INTO events (source, kind, dedupe_key, raw, received_at_ms) VALUES (?, ?, ?, ?, ?) '
      + 'ON CONFLICT (source, dedupe_key) DO NOTHING RETURNING id',
    );
    const insertJob = direct.statement(
      'INSERT INTO jobs (kind, conversation_key, resource_key, payload, state, attempts, run_at_ms, event_id, created_at_ms, updated_at_ms) '
      + "VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) RETURNING id",
    );
    return inputs.map((input) => {
      const event = insertEvent.get(input.source, input.kind, input.dedupeKey, input.raw, input.receivedAtMs ?? now) as { id: number } | undefined;
      if (!event) return { duplicate: true, eventId: null, jobIds: [] };
      const eventId = Number(event.id);
      const jobIds = input.jobs.map((job) => {
        const row = insertJob.get(job.kind, job.conversationKey, job.resourceKey ?? null, JSON.stringify(job.payload ?? null),
          job.runAtMs ?? now, eventId, now, now) as { id: number };
        return Number(row.id);
      });
      return { duplicate: false, eventId, jobIds };
    });
  }

  private async recordIn(trx: Transaction<Database>, input: RecordEventInput): Promise<RecordEventResult> {
    const now = this.clock.nowMs();
    const inserted = await trx
      .insertInto('events')
      .values({ source: input.source, kind: input.kind, dedupe_key: input.dedupeKey, raw: input.raw, received_at_ms: input.receivedAtMs ?? now })
      .onConflict((oc) => oc.columns(['source', 'dedupe_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return { duplicate: true, eventId: null, jobIds: [] };
    const eventId = Number(inserted.id);
    const jobIds: number[] = [];
    for (const job of input.jobs) {
      const row = await trx
        .insertInto('jobs')
        .values({
          kind: job.kind, conversation_key: job.conversationKey, resource_key: job.resourceKey ?? null,
          payload: JSON.stringify(job.payload ?? null), state: 'pending', attempts: 0, run_at_ms: job.runAtMs ?? now,
          locked_by: null, lease_until_ms: null, last_error_code: null, last_error: null, last_response: null,
          event_id: eventId, created_at_ms: now, updated_at_ms: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      jobIds.push(Number(row.id));
    }
    return { duplicate: false, eventId, jobIds };
  }

  async count(source?: string): Promise<number> {
    let q = this.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n'));
    if (source) q = q.where('source', '=', source);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  async get(id: number, db: Kysely<Database> | Transaction<Database> = this.db) {
    return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByKey(source: string, dedupeKey: string) {
    return this.db.selectFrom('events').selectAll().where('source', '=', source).where('dedupe_key', '=', dedupeKey).executeTakeFirst();
  }
}
