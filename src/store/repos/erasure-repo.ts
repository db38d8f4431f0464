/**
 * Erasure of one client (152-ФЗ): `plan(maxUserId)` says what would go, `erase(maxUserId,
 * …)` deletes or anonymises it, makes the engine forget the bytes (freed-space.ts) and keeps
 * a record without personal data (`erasures`: when, who asked, rows per table, and the
 * client's id only as a keyed hash). What is found where: erasure-scope.ts; how a shared
 * record is cleaned: erasure-mentions.ts; docs/privacy.md, "Erasing one client".
 *
 * Deletes run in transactions of at most KEYS_PER_STATEMENT rows, so the running bridge
 * (on SQLite, the one writer) waits for a few milliseconds at a time, never for the whole
 * erasure. A message of the client that arrives while the erasure runs is caught by the next
 * pass (up to MAX_PASSES, each reading only the rows added since the previous one). The
 * conversations go last, after the last pass, in one transaction with the record (and the
 * `client.erased` hook event, `onErased`): until then a second run finds everything again
 * from them, and the record, with its final counts, and the event exist from the same commit.
 */
import { createHmac } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Engine } from '../db.ts';
import { ERASED, ERASED_ITEM_JSON, newSubject, type ErasureSubject } from '../erasure-mentions.ts';
export { NotAClientError } from '../erasure-scope.ts';
import {
  chunks, emptyScope, findConversations, findDialogRows, findGroupRows, findGroups, findHookRows, findJobs, idPages, scanEventsPage, scanJournalPage,
  type GroupTrail, type Scope,
} from '../erasure-scope.ts';
import { defaultVacuumMode, scrubFreedSpace, tableSizes, type FreedSpaceReport, type VacuumMode } from '../freed-space.ts';
import type { Database } from '../schema.ts';

/** The tables an erasure touches, in the order their rows go (conversations last). */
export const ERASURE_TABLES = [
  'jobs', 'skipped_updates', 'events', 'line_outbox', 'messages', 'outbound_parts', 'outbound_uploads', 'crm_links', 'operator_notices',
  'client_notices', 'media', 'journal', 'bridge_meta', 'hook_deliveries', 'hook_events', 'check_verdicts', 'conversation_gates', 'conversations',
] as const;
export type ErasureTable = (typeof ERASURE_TABLES)[number];

/** Rows per table; a table with none is left out. */
export type TableCounts = Partial<Record<ErasureTable, number>>;

export interface ErasureCounts {
  deleted: TableCounts;
  /** Rows kept with the client's part replaced (shared journal rows, group outbox items, a group's starter). */
  anonymised: TableCounts;
}

export interface ErasurePlan {
  /** Conversations deleted whole: the client's dialogs (`<botId>:<MAX chat id>`). */
  dialogs: string[];
  /** Group conversations the client took part in: kept, the client's part anonymised. */
  groups: string[];
  rows: ErasureCounts;
  rowsTotal: number;
  /** Work that will never be done: jobs not finished (pending, running), dead letters, items not yet sent to the line. */
  unfinished: { jobs: number; deadLetters: number; outboxItems: number };
  /** PostgreSQL: the tables VACUUM FULL would rewrite and their size; each is locked while it is copied. */
  rewrites: Array<{ table: string; bytes: number }>;
}

export interface ErasureRecord {
  id: number;
  atMs: number;
  requestedBy: string;
  /** HMAC-SHA256 of the MAX user id (erasureSubjectHash): no personal data, checkable by whoever holds the key. */
  subjectHash: string;
  rows: ErasureCounts;
  rowsTotal: number;
}

export interface ErasureProgress {
  stage: string;
  done: number;
  total: number;
}

export interface EraseOptions {
  requestedBy: string;
  onProgress?: (progress: ErasureProgress) => void;
  /** Default: `full` on PostgreSQL (VACUUM FULL), `plain` on SQLite (secure_delete and a WAL checkpoint): freed-space.ts. */
  vacuum?: VacuumMode;
  /** PostgreSQL: how long VACUUM waits for snapshots older than the erasure (default SNAPSHOT_WAIT_MS, freed-space.ts). */
  snapshotWaitMs?: number;
  /**
   * Called once, in the transaction that writes the erasure record (after the last pass, with
   * the final counts): what tells of the erasure — the `client.erased` hook event — exists
   * exactly when the record does. A failure rolls the transaction back: the conversations and
   * the record stay unwritten, and a second run finishes the erasure.
   */
  onErased?: (trx: Transaction<Database>, record: { id: number; subjectHash: string; rowsTotal: number; atMs: number }) => Promise<void>;
}

export interface ErasureResult extends ErasurePlan {
  record: ErasureRecord;
  freedSpace: FreedSpaceReport;
}

/** MAX user ids are integers (int64); anything else is refused before a query is built. */
export const MAX_USER_ID = /^[1-9]\d{0,19}$/;

/** Passes of one erasure: the first, and up to two more for what arrived meanwhile. */
const MAX_PASSES = 3;

/** The subject hash: HMAC-SHA256 of the MAX user id under `key` (from BRIDGE_SECRET_KEY: journal/hash-key.ts), hex. */
export function erasureSubjectHash(key: Buffer, maxUserId: string): string {
  return createHmac('sha256', key).update(`erasure-subject:max-user:${maxUserId}`).digest('hex');
}

function add(into: TableCounts, table: ErasureTable, n: number): void {
  if (n > 0) into[table] = (into[table] ?? 0) + n;
}

function sum(counts: ErasureCounts): number {
  return [...Object.values(counts.deleted), ...Object.values(counts.anonymised)].reduce((a, b) => a + (b ?? 0), 0);
}

/** A scope's rows per table. */
function countsOf(scope: Scope): ErasureCounts {
  const d = scope.deletes;
  const deleted: TableCounts = {};
  const anonymised: TableCounts = {};
  for (const table of ERASURE_TABLES) {
    const keys: ReadonlyArray<unknown> = d[table];
    add(deleted, table, table === 'outbound_uploads' || table === 'crm_links' ? keys.length : new Set(keys).size);
  }
  add(anonymised, 'events', scope.rewrites.events.length);
  add(anonymised, 'jobs', scope.rewrites.jobs.length);
  add(anonymised, 'journal', scope.rewrites.journal.length);
  add(anonymised, 'line_outbox', scope.rewrites.line_outbox.length);
  add(anonymised, 'conversations', scope.groupsStarted.length);
  return { deleted, anonymised };
}

function merge(a: ErasureCounts, b: ErasureCounts): ErasureCounts {
  const out: ErasureCounts = { deleted: { ...a.deleted }, anonymised: { ...a.anonymised } };
  for (const [t, n] of Object.entries(b.deleted)) add(out.deleted, t as ErasureTable, n ?? 0);
  for (const [t, n] of Object.entries(b.anonymised)) add(out.anonymised, t as ErasureTable, n ?? 0);
  return out;
}

/** Where each scan stopped: a later pass reads only the rows added since. */
interface Watermarks { events: number; journal: number; jobs: number }

export class ErasureRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly clock: Clock,
    /** Hash keys: the current one first, then those of previous BRIDGE_SECRET_KEYs (records made before a rotation). */
    private readonly hashKeys: readonly Buffer[],
  ) {}

  /** What `erase` would delete or anonymise now, per table; nothing is changed. */
  async plan(maxUserId: string, onProgress?: (progress: ErasureProgress) => void): Promise<ErasurePlan> {
    const { scope } = await this.find(newSubject(checkedUserId(maxUserId)), { events: 0, journal: 0, jobs: 0 }, progressOf(onProgress));
    const rows = countsOf(scope);
    return { ...summaryOf(scope, rows), rewrites: await tableSizes(this.db, this.engine, touched(rows)) };
  }

  /** Erases the client: deletes and anonymises their rows, removes the freed bytes, records the erasure. */
  async erase(maxUserId: string, options: EraseOptions): Promise<ErasureResult> {
    const subject = newSubject(checkedUserId(maxUserId));
    const progress = progressOf(options.onProgress);
    let marks: Watermarks = { events: 0, journal: 0, jobs: 0 };
    let rows: ErasureCounts = { deleted: {}, anonymised: {} };
    let summary: ErasurePlan | null = null;
    // The conversations stay until the last transaction: each pass finds them again, they are counted once.
    const conversations = new Set<string>();
    const groupsStarted = new Set<string>();
    for (let pass = 1; pass <= MAX_PASSES; pass++) {
      const { scope, marks: next } = await this.find(subject, marks, progress);
      scope.deletes.conversations = scope.deletes.conversations.filter((c) => !conversations.has(c));
      scope.groupsStarted = scope.groupsStarted.filter((c) => !groupsStarted.has(c));
      const counts = countsOf(scope);
      if (pass > 1 && sum(counts) === 0) break;
      summary = mergeSummary(summary, summaryOf(scope, counts));
      rows = merge(rows, counts);
      for (const c of scope.deletes.conversations) conversations.add(c);
      for (const c of scope.groupsStarted) groupsStarted.add(c);
      await this.apply(scope, progress);
      marks = next;
    }
    const recordId = await this.finish({ conversations: [...conversations], groupsStarted: [...groupsStarted] }, { requestedBy: options.requestedBy, subject, rows }, progress, options.onErased);
    progress.stage('freed space', 1);
    const freedSpace = await scrubFreedSpace(this.db, this.engine, touched(rows), options.vacuum ?? defaultVacuumMode(this.engine), options.snapshotWaitMs);
    progress.advance(1);
    const record = (await this.records({ id: recordId }))[0] as ErasureRecord;
    return { ...(summary as ErasurePlan), rows, rowsTotal: sum(rows), rewrites: [], record, freedSpace };
  }

  /** Erasure records, newest first; with `maxUserId`, only that client's (their id hashed under each key). */
  async records(filter: { maxUserId?: string; id?: number; limit?: number } = {}): Promise<ErasureRecord[]> {
    let q = this.db.selectFrom('erasures').selectAll().orderBy('id', 'desc').limit(filter.limit ?? 1_000);
    if (filter.maxUserId !== undefined) q = q.where('subject_hash', 'in', this.hashKeys.map((k) => erasureSubjectHash(k, checkedUserId(filter.maxUserId as string))));
    if (filter.id !== undefined) q = q.where('id', '=', filter.id);
    return (await q.execute()).map((r) => ({
      id: Number(r.id), atMs: Number(r.at_ms), requestedBy: r.requested_by, subjectHash: r.subject_hash,
      rows: JSON.parse(r.rows_json) as ErasureCounts, rowsTotal: Number(r.rows_total),
    }));
  }

  private async find(s: ErasureSubject, from: Watermarks, progress: ProgressTally): Promise<{ scope: Scope; marks: Watermarks }> {
    const scope = emptyScope();
    await findConversations(this.db, s, scope);
    const trail: GroupTrail = { stamps: new Map() };
    const eventPages = await idPages(this.db, 'events', from.events);
    const journalPages = await idPages(this.db, 'journal', from.journal);
    const jobPages = await idPages(this.db, 'jobs', from.jobs);
    progress.grow(eventPages.length + journalPages.length + jobPages.length);
    for (let round = 0, grew = true; grew && round < 3; round++) {
      grew = false;
      scope.deletes.events = [];
      scope.rewrites.events = [];
      for (const page of eventPages) {
        grew = (await scanEventsPage(this.db, s, page, scope, trail)) || grew;
        if (round === 0) progress.advance(1, 'events');
      }
      if (grew) await findConversations(this.db, s, emptyScopeInto(scope));
    }
    await findGroups(this.db, trail, scope);
    await findDialogRows(this.db, s, scope);
    await findGroupRows(this.db, s, trail, scope);
    await findHookRows(this.db, s, scope);
    await findJobs(this.db, s, scope, jobPages, () => progress.advance(1, 'jobs'));
    for (const page of journalPages) {
      await scanJournalPage(this.db, s, page, scope);
      progress.advance(1, 'journal');
    }
    const last = (pages: Array<[number, number]>, was: number) => pages.at(-1)?.[1] ?? was;
    return { scope, marks: { events: last(eventPages, from.events), journal: last(journalPages, from.journal), jobs: last(jobPages, from.jobs) } };
  }

  /** Deletes and rewrites what `scope` found, but the conversations (finish()). */
  private async apply(scope: Scope, progress: ProgressTally): Promise<void> {
    const d = scope.deletes;
    const now = this.clock.nowMs();
    const steps: Array<[string, (trx: Transaction<Database>) => Promise<unknown>]> = [
      ...this.deleteSteps('jobs', 'id', d.jobs),
      ...chunks(scope.rewrites.jobs).map((part): [string, (trx: Transaction<Database>) => Promise<unknown>] => ['jobs', async (trx) => {
        for (const j of part) await trx.updateTable('jobs').set({ last_error: j.last_error, last_response: j.last_response, updated_at_ms: now }).where('id', '=', j.id).execute();
      }]),
      ...this.deleteSteps('skipped_updates', 'event_id', d.skipped_updates),
      ...this.deleteSteps('events', 'id', d.events),
      ...chunks(scope.rewrites.events).map((part): [string, (trx: Transaction<Database>) => Promise<unknown>] => ['events', async (trx) => {
        for (const e of part) await trx.updateTable('events').set({ raw: e.raw }).where('id', '=', e.id).execute();
      }]),
      ...this.deleteSteps('line_outbox', 'id', d.line_outbox),
      ...chunks(scope.rewrites.line_outbox).map((part): [string, (trx: Transaction<Database>) => Promise<unknown>] => ['line_outbox', (trx) => trx.updateTable('line_outbox')
        .set({ item_json: ERASED_ITEM_JSON, result_json: null, updated_at_ms: now, state: sql<'rejected'>`case when state = 'pending' then 'rejected' else state end` })
        .where('id', 'in', part).execute()]),
      ...this.deleteSteps('messages', 'id', d.messages),
      ...this.deleteSteps('outbound_parts', 'id', d.outbound_parts),
      ...this.deleteSteps('outbound_uploads', 'conversation_id', d.outbound_uploads),
      ...this.deleteSteps('crm_links', 'conversation_id', d.crm_links),
      ...this.deleteSteps('operator_notices', 'bitrix_message_id', d.operator_notices),
      ...this.deleteSteps('client_notices', 'id', d.client_notices),
      ...this.deleteSteps('media', 'id', d.media),
      ...this.deleteSteps('journal', 'id', d.journal),
      ...chunks(scope.rewrites.journal).map((part): [string, (trx: Transaction<Database>) => Promise<unknown>] => ['journal', async (trx) => {
        for (const j of part) {
          await trx.updateTable('journal').set({ request_body: j.request_body, response_body: j.response_body, endpoint: j.endpoint, refs: j.refs }).where('id', '=', j.id).execute();
        }
      }]),
      ...this.deleteSteps('bridge_meta', 'key', d.bridge_meta),
      // A delivery before its event: the delivery job ends quietly on either missing.
      ...this.deleteSteps('hook_deliveries', 'id', d.hook_deliveries),
      ...this.deleteSteps('hook_events', 'id', d.hook_events),
      ...this.deleteSteps('check_verdicts', 'id', d.check_verdicts),
      ...this.deleteSteps('conversation_gates', 'conversation_id', d.conversation_gates),
    ];
    progress.grow(steps.length);
    for (const [stage, step] of steps) {
      await this.db.transaction().execute(step);
      progress.advance(1, stage);
    }
  }

  /**
   * The last transaction: the conversations of every pass deleted, the groups the client
   * started cleared of them, the record written with the final counts, and `onErased` told.
   */
  private async finish(
    found: { conversations: string[]; groupsStarted: string[] },
    record: { requestedBy: string; subject: ErasureSubject; rows: ErasureCounts },
    progress: ProgressTally,
    onErased: EraseOptions['onErased'],
  ): Promise<number> {
    progress.grow(1);
    const id = await this.db.transaction().execute(async (trx) => {
      for (const part of chunks(found.conversations)) await trx.deleteFrom('conversations').where('id', 'in', part).execute();
      for (const part of chunks(found.groupsStarted)) await trx.updateTable('conversations').set({ max_user_id: null }).where('id', 'in', part).execute();
      const atMs = this.clock.nowMs();
      const subjectHash = erasureSubjectHash(this.hashKeys[0] as Buffer, record.subject.maxUserId);
      const rowsTotal = sum(record.rows);
      const row = await trx.insertInto('erasures').values({
        at_ms: atMs, requested_by: record.requestedBy.slice(0, 200) || ERASED, subject_hash: subjectHash, rows_json: JSON.stringify(record.rows), rows_total: rowsTotal,
      }).returning('id').executeTakeFirstOrThrow();
      const recordId = Number(row.id);
      await onErased?.(trx, { id: recordId, subjectHash, rowsTotal, atMs });
      return recordId;
    });
    progress.advance(1, 'conversations');
    return id;
  }

  private deleteSteps(table: ErasureTable, key: string, keys: ReadonlyArray<string | number>): Array<[string, (trx: Transaction<Database>) => Promise<unknown>]> {
    return chunks([...new Set(keys)]).map((part) => [table, (trx) => sql`delete from ${sql.table(table)} where ${sql.ref(key)} in (${sql.join(part)})`.execute(trx)]);
  }
}

function checkedUserId(maxUserId: string): string {
  if (!MAX_USER_ID.test(maxUserId)) throw new Error(`not a MAX user id: ${JSON.stringify(maxUserId.slice(0, 40))} (a whole number, e.g. 123456789)`);
  return maxUserId;
}

/** Only the conversations are kept between two runs of find(): the rest is found again. */
function emptyScopeInto(scope: Scope): Scope {
  scope.dialogs = [];
  scope.groupsStarted = [];
  return scope;
}

function touched(rows: ErasureCounts): ErasureTable[] {
  return ERASURE_TABLES.filter((t) => (rows.deleted[t] ?? 0) + (rows.anonymised[t] ?? 0) > 0);
}

function summaryOf(scope: Scope, rows: ErasureCounts): ErasurePlan {
  return { dialogs: [...scope.dialogs], groups: [...scope.groups], rows, rowsTotal: sum(rows), unfinished: { ...scope.unfinished }, rewrites: [] };
}

function mergeSummary(a: ErasurePlan | null, b: ErasurePlan): ErasurePlan {
  if (!a) return b;
  return {
    dialogs: [...new Set([...a.dialogs, ...b.dialogs])], groups: [...new Set([...a.groups, ...b.groups])], rows: merge(a.rows, b.rows),
    rowsTotal: a.rowsTotal + b.rowsTotal, rewrites: [],
    unfinished: { jobs: a.unfinished.jobs + b.unfinished.jobs, deadLetters: a.unfinished.deadLetters + b.unfinished.deadLetters, outboxItems: a.unfinished.outboxItems + b.unfinished.outboxItems },
  };
}

interface ProgressTally {
  grow(units: number): void;
  advance(units: number, stage?: string): void;
  stage(stage: string, units: number): void;
}

function progressOf(onProgress?: (progress: ErasureProgress) => void): ProgressTally {
  let done = 0;
  let total = 0;
  let stage = '';
  return {
    grow(units) {
      total += units;
    },
    advance(units, next) {
      done += units;
      stage = next ?? stage;
      onProgress?.({ stage, done, total });
    },
    stage(next, units) {
      total += units;
      stage = next;
      onProgress?.({ stage, done, total });
    },
  };
}
