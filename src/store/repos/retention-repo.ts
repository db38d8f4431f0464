/**
 * Retention: what a purge deletes, table by table, and why nothing still needed for a
 * delivery goes. Each kind of data has its cutoff (RetentionCutoffs, computed from the
 * configuration by src/bridge/retention.ts); a row goes when it is older than its kind's
 * cutoff AND none of the rules below keeps it. `plan` counts what `purge` would delete, with
 * the same predicates; `purge` deletes in batches of `batchRows` (one statement each, one
 * short transaction for the events and their skipped rows), yielding between batches, so a
 * running bridge is never held long (SQLite has one writer). One code path for both engines.
 *
 * "Busy" conversation: one with work still to do — an unfinished job (pending or running) in
 * its MAX chat's queue (`max:<conversation>`, job-kinds.ts conversationQueue) or in one of its
 * Open Lines chat's queues (`b24:<portal>:<conversation>`, portalEventQueue), or an item still
 * pending in the line outbox. Nothing of a busy conversation is purged, whatever its age.
 *
 * The rules, and why each is safe:
 * - journal: `at_ms` before the journal cutoff. Nothing reads the journal to deliver.
 * - jobs (done): `updated_at_ms` before the events cutoff. A done job never runs again and is
 *   read by nothing but counts; never a pending or running one (the claim reads only those).
 * - dead letters (dead jobs): `updated_at_ms` (their last attempt) before the dead letters
 *   cutoff; until then they can be replayed.
 * - events: `received_at_ms` before the events cutoff, unless a pending or running job or a dead
 *   letter kept (not older than its own cutoff) refers to it (`jobs.event_id`): such a job reads
 *   its event when it runs (a replayed dead letter too — without its event it would end doing
 *   nothing). An event's jobs are written with it and only their states change later, and
 *   `done` is final, so the set of kept events read at the start of a purge can only keep too
 *   much, never too little (the events are walked in (received_at_ms, id) order with a cursor,
 *   so the kept ones are read once, not once per batch). The event
 *   is also the dedupe key: MAX redelivers for at most 8 hours and events_days is at least 1,
 *   so a redelivery always finds its key; Bitrix24 never redelivers. The one reader of old
 *   keys is the reconciliation (src/bridge/reconcile.ts), which would take an operator message
 *   still in an Open Lines session's history for a lost one once its event is gone: the purge
 *   records how far events were purged (EVENTS_PURGED_BEFORE_KEY, written before the first
 *   delete) and the reconciliation concludes nothing about messages written before it.
 *   Their `skipped_updates` rows go with them.
 * - line_outbox: rows `sent` or `rejected` (never `pending`) last changed before the messages
 *   cutoff, of a conversation not busy. A catch-up (catch-up.ts, downtime-catch-up.ts) takes
 *   a history message for new when its mid is not in the outbox: the messages cutoff is never
 *   later than the catch-ups look back (src/bridge/retention.ts, retentionPlan), so a
 *   message they may still find keeps its row.
 * - messages (the MAX mid ↔ delivery map of client messages), outbound_parts (the MAX mids of
 *   each operator message), operator_notices, client_notices, crm_links (what the bridge did in
 *   the CRM per session; never one still pending): older than the messages cutoff,
 *   of a conversation not busy. Busy protects the exactly-once of a reply still being sent
 *   (its parts sent so far), "told once per outage" (`bot_down:<since>` notices) and "told
 *   once per episode" (client notices, while sends wait). An operator's edit or delete of a
 *   message whose parts are gone finds no parts and changes nothing in MAX (outbound-edits.ts:
 *   "never delivered"), the job completes; documented in docs/operations.md.
 * - outbound_uploads: older than the messages cutoff, of a conversation not busy. An upload is
 *   reused only for 10 minutes (outbound-uploads.ts UPLOAD_REUSE_MS) and swept after a day
 *   anyway; the messages cutoff is at least a day back.
 * - media (re-hosted client files): expired (`expires_at_ms` before now: the media route
 *   answers 404 for them already), or created before the files cutoff, of a conversation not
 *   busy (an item waiting for the line may still need its file to be fetched by the portal).
 * - hook_deliveries (the webhooks' delivery log, docs/hooks.md): `delivered` or `failed` (never
 *   `pending`), created before the events cutoff, of a conversation not busy (or of none), and
 *   read by no `hook.deliver` job pending, running or kept as a dead letter (a replayed dead
 *   letter reopens its delivery; the jobs name their delivery in the payload, read once per
 *   purge as the events' jobs are).
 * - hook_events: `at_ms` before the events cutoff, of a conversation not busy (or of none),
 *   and with no delivery left (the purge deletes the finished ones first): a delivery job reads
 *   its delivery, then its event, so an event goes only after every delivery of it, and a
 *   pending delivery keeps its event whatever its age. Busy keeps a client message's event
 *   that waits for its place in the conversation before its deliveries are queued (hook-events.ts
 *   `record`/`release`), and keeps an event with its deliveries (a delivery is what makes a
 *   second `release` of the event queue nothing).
 * - check_verdicts: `at_ms` before the messages cutoff, of a conversation not busy (a
 *   conversation's own history, kept as long as its messages).
 * - conversations: last changed before the messages cutoff, not busy, and with nothing left
 *   newer than the messages cutoff in line_outbox, messages, outbound_parts, outbound_uploads,
 *   operator_notices or client_notices — so one the operator still writes in (parts, statuses)
 *   stays. A client who writes after that starts a new conversation, routed afresh; an
 *   operator's message in its old Open Lines chat is refused with the "the client has to
 *   write first" notice (outbound.ts targetOf). Its gate (conversation_gates: held or blocked
 *   by a check) goes with it, in the same transaction, and only then: a client who writes again
 *   is checked afresh.
 * - bridge_meta: nothing accumulates per conversation or chat (per process and per portal
 *   keys, which peers.ts and setup keep themselves); not purged.
 * - erasures, leases, lines, portals, bots, routes: not purged (no history).
 *
 * Each delete finds its rows through an index on the time it is measured by (migrations 11
 * and 13; an event's deliveries through their event, migration 14), bounded by what it
 * deletes plus the old rows it must keep.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { HOOK_DELIVERY_JOB } from '../../queue/job-kinds.ts';
import type { Database, JobState } from '../schema.ts';

/** What a purge deletes from, in the order it does (conversations last: they wait for their rows). */
export const PURGE_TARGETS = [
  'journal', 'jobs', 'dead_letters', 'events', 'skipped_updates', 'hook_deliveries', 'hook_events', 'line_outbox', 'messages', 'outbound_parts',
  'outbound_uploads', 'operator_notices', 'client_notices', 'crm_links', 'check_verdicts', 'media', 'conversation_gates', 'conversations',
] as const;
export type PurgeTarget = (typeof PURGE_TARGETS)[number];
export type PurgeCounts = Record<PurgeTarget, number>;

/** Rows older than these (Unix ms) go, as the rules above allow. */
export interface RetentionCutoffs {
  /** Now: media past their expiry go whatever their age. */
  nowMs: number;
  /** journal.retention_days */
  journalBeforeMs: number;
  /** retention.events_days: events, their skipped rows, done jobs, hook events and deliveries. */
  eventsBeforeMs: number;
  /** retention.messages_days (never later than the catch-ups look back): outbox, id maps, notices, check verdicts, idle conversations. */
  messagesBeforeMs: number;
  /** retention.files_days */
  filesBeforeMs: number;
  /** retention.dead_letters_days */
  deadLettersBeforeMs: number;
}

export interface PurgeOptions {
  /** Rows per delete statement (default 1,000): a batch is a few milliseconds of the single SQLite writer. */
  batchRows?: number;
  /** After each batch: `deleted` more rows of `target`. */
  onProgress?: (target: PurgeTarget, deleted: number) => void | Promise<void>;
  /** Stops between batches (the bridge is closing); what was deleted stays deleted. */
  signal?: AbortSignal;
}

/** How far events have been purged (ms): the reconciliation concludes nothing about operator messages written before it. */
export const EVENTS_PURGED_BEFORE_KEY = 'retention_events_purged_before_ms';

export const DEFAULT_PURGE_BATCH_ROWS = 1_000;
/** Media rows carry the file itself (up to media.max_bytes each): fewer per statement. */
const MEDIA_BATCH_ROWS = 50;

const UNFINISHED = [sql.lit<JobState>('pending'), sql.lit<JobState>('running')];
/** Spelled as the partial index jobs_finished_idx is (SQLite uses a partial index only when the query names its condition). */
const FINISHED = [sql.lit<JobState>('done'), sql.lit<JobState>('dead')];
const OUTBOX_FINISHED = [sql.lit<'sent'>('sent'), sql.lit<'rejected'>('rejected')];
const DELIVERY_FINISHED = [sql.lit<'delivered'>('delivered'), sql.lit<'failed'>('failed')];

/** Targets with their own walk (a cursor, or rows that go with others), not a Rule. */
type WalkedTarget = 'events' | 'skipped_updates' | 'hook_deliveries' | 'hook_events' | 'conversation_gates';

/** A row's place in a walk by (time, id). */
type Cursor = { atMs: number; id: number } | null;
type TextCursor = { atMs: number; id: string } | null;

type Eb = ExpressionBuilder<Database, keyof Database>;

export function emptyCounts(): PurgeCounts {
  return Object.fromEntries(PURGE_TARGETS.map((t) => [t, 0])) as PurgeCounts;
}

/** Whether the conversation `cid` has work still to do (see "Busy" above). */
function busy(eb: Eb, cid: Expression<string>): Expression<SqlBool> {
  return eb.or([
    eb.exists(eb.selectFrom('jobs as bj').select('bj.id')
      .where('bj.conversation_key', '=', sql<string>`${sql.lit('max:')} || ${cid}`).where('bj.state', 'in', UNFINISHED)),
    // Its Open Lines chat's queue on each portal, each looked up by its key (the portals are few;
    // a join would let SQLite walk every unfinished job instead).
    eb.exists(eb.selectFrom('portals as bp').select('bp.id').where((pb) => pb.exists(pb.selectFrom('jobs as bq').select('bq.id')
      .where('bq.conversation_key', '=', sql<string>`${sql.lit('b24:')} || ${sql.ref('bp.id')} || ${sql.lit(':')} || ${cid}`).where('bq.state', 'in', UNFINISHED)))),
    eb.exists(eb.selectFrom('line_outbox as bo').select('bo.id').where('bo.conversation_id', '=', cid).where('bo.state', '=', 'pending')),
  ]);
}

/** Whether conversation `cid` has any row of the per-conversation tables at or after `sinceMs`. */
function anythingSince(eb: Eb, cid: Expression<string>, sinceMs: number): Expression<SqlBool> {
  return eb.or([
    eb.exists(eb.selectFrom('line_outbox as ro').select('ro.id').where('ro.conversation_id', '=', cid).where('ro.updated_at_ms', '>=', sinceMs)),
    eb.exists(eb.selectFrom('messages as rm').select('rm.id').where('rm.conversation_id', '=', cid).where('rm.updated_at_ms', '>=', sinceMs)),
    eb.exists(eb.selectFrom('outbound_parts as rp').select('rp.id').where('rp.conversation_id', '=', cid).where('rp.sent_at_ms', '>=', sinceMs)),
    eb.exists(eb.selectFrom('outbound_uploads as ru').select('ru.part').where('ru.conversation_id', '=', cid).where('ru.created_at_ms', '>=', sinceMs)),
    eb.exists(eb.selectFrom('operator_notices as rn').select('rn.bitrix_message_id').where('rn.conversation_id', '=', cid).where('rn.created_at_ms', '>=', sinceMs)),
    eb.exists(eb.selectFrom('client_notices as rc').select('rc.id').where('rc.conversation_id', '=', cid).where('rc.created_at_ms', '>=', sinceMs)),
  ]);
}

/** One table's rule: how many rows it would delete, and one batch of the deletion. */
interface Rule {
  count(): Promise<number>;
  /** Deletes at most `limit` rows; returns how many. */
  deleteBatch(limit: number): Promise<number>;
  batchRows?: number;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class RetentionRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** What `purge` with these cutoffs would delete now, per target (a dry run: nothing changes). */
  async plan(cutoffs: RetentionCutoffs, options: { onCounted?: (target: PurgeTarget, rows: number) => void } = {}): Promise<PurgeCounts> {
    const counts = emptyCounts();
    const rules = this.rules(cutoffs);
    const events = await this.eventsToPurge(cutoffs, DEFAULT_PURGE_BATCH_ROWS);
    const hooks = await this.hookRowsToPurge(cutoffs, DEFAULT_PURGE_BATCH_ROWS);
    for (const target of PURGE_TARGETS) {
      if (target === 'events') counts.events = events.events;
      else if (target === 'skipped_updates') counts.skipped_updates = events.skipped;
      else if (target === 'hook_deliveries') counts.hook_deliveries = hooks.deliveries;
      else if (target === 'hook_events') counts.hook_events = hooks.events;
      else if (target === 'conversation_gates') {
        counts.conversation_gates = Number((await this.db.selectFrom('conversation_gates').select(sql<number>`count(*)`.as('n'))
          .where('conversation_id', 'in', this.db.selectFrom('conversations').select('id').where(this.idleConversation(cutoffs))).executeTakeFirstOrThrow()).n);
      } else counts[target] = await (rules[target] as Rule).count();
      options.onCounted?.(target, counts[target]);
    }
    return counts;
  }

  /** Deletes what the rules allow, in batches; returns the rows deleted per target. */
  async purge(cutoffs: RetentionCutoffs, options: PurgeOptions = {}): Promise<PurgeCounts> {
    const batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_PURGE_BATCH_ROWS));
    const counts = emptyCounts();
    const rules = this.rules(cutoffs);
    for (const target of PURGE_TARGETS) {
      if (target === 'skipped_updates' || target === 'conversation_gates') continue; // with their events, with their conversations
      if (target === 'events') {
        await this.purgeEvents(cutoffs, batchRows, counts, options);
        continue;
      }
      if (target === 'hook_deliveries' || target === 'hook_events') {
        await (target === 'hook_deliveries' ? this.purgeHookDeliveries(cutoffs, batchRows, counts, options) : this.purgeHookEvents(cutoffs, batchRows, counts, options));
        continue;
      }
      if (target === 'conversations') {
        await this.purgeConversations(cutoffs, batchRows, counts, options);
        continue;
      }
      const rule = rules[target] as Rule;
      const limit = Math.min(batchRows, rule.batchRows ?? batchRows);
      for (;;) {
        options.signal?.throwIfAborted();
        const deleted = await rule.deleteBatch(limit);
        counts[target] += deleted;
        if (deleted > 0) await options.onProgress?.(target, deleted);
        if (deleted < limit) break;
        await yieldTurn();
      }
    }
    return counts;
  }

  /** How far events have been purged (ms), or null when never. */
  async eventsPurgedBeforeMs(): Promise<number | null> {
    const row = await this.db.selectFrom('bridge_meta').select('value').where('key', '=', EVENTS_PURGED_BEFORE_KEY).executeTakeFirst();
    return row ? Number(row.value) : null;
  }

  /** Idle conversations (see "conversations" above). */
  private idleConversation(c: RetentionCutoffs) {
    const m = c.messagesBeforeMs;
    return (eb: ExpressionBuilder<Database, 'conversations'>) => {
      const id = sql.ref<string>('conversations.id');
      return eb.and([eb('updated_at_ms', '<', m), eb.not(busy(eb as Eb, id)), eb.not(anythingSince(eb as Eb, id, m))]);
    };
  }

  private rules(c: RetentionCutoffs): Record<Exclude<PurgeTarget, WalkedTarget>, Rule> {
    const db = this.db;
    const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => Number((await q.executeTakeFirstOrThrow()).n);
    const deleted = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
    const n = sql<number>`count(*)`.as('n');
    const m = c.messagesBeforeMs;

    const journal = (eb: ExpressionBuilder<Database, 'journal'>) => eb('at_ms', '<', c.journalBeforeMs);
    const finishedJobs = (state: JobState, beforeMs: number) => (eb: ExpressionBuilder<Database, 'jobs'>) =>
      eb.and([eb('state', 'in', FINISHED), eb('state', '=', state), eb('updated_at_ms', '<', beforeMs)]);
    const outbox = (eb: ExpressionBuilder<Database, 'line_outbox'>) =>
      eb.and([eb('state', 'in', OUTBOX_FINISHED), eb('updated_at_ms', '<', m), eb.not(busy(eb as Eb, sql.ref('line_outbox.conversation_id')))]);
    const messages = (eb: ExpressionBuilder<Database, 'messages'>) =>
      eb.and([eb('updated_at_ms', '<', m), eb.not(busy(eb as Eb, sql.ref('messages.conversation_id')))]);
    const parts = (eb: ExpressionBuilder<Database, 'outbound_parts'>) =>
      eb.and([eb('sent_at_ms', '<', m), eb.not(busy(eb as Eb, sql.ref('outbound_parts.conversation_id')))]);
    const uploads = (eb: ExpressionBuilder<Database, 'outbound_uploads'>) =>
      eb.and([eb('created_at_ms', '<', m), eb.not(busy(eb as Eb, sql.ref('outbound_uploads.conversation_id')))]);
    const operatorNotices = (eb: ExpressionBuilder<Database, 'operator_notices'>) =>
      eb.and([eb('created_at_ms', '<', m), eb.not(busy(eb as Eb, sql.ref('operator_notices.conversation_id')))]);
    const crmLinks = (eb: ExpressionBuilder<Database, 'crm_links'>) =>
      eb.and([eb('updated_at_ms', '<', m), eb('state', '!=', 'pending'), eb.not(busy(eb as Eb, sql.ref('crm_links.conversation_id')))]);
    const clientNotices = (eb: ExpressionBuilder<Database, 'client_notices'>) =>
      eb.and([eb('created_at_ms', '<', m), eb.not(busy(eb as Eb, sql.ref('client_notices.conversation_id')))]);
    const checkVerdicts = (eb: ExpressionBuilder<Database, 'check_verdicts'>) =>
      eb.and([eb('at_ms', '<', m), eb.not(busy(eb as Eb, sql.ref('check_verdicts.conversation_id')))]);
    const media = (eb: ExpressionBuilder<Database, 'media'>) => eb.or([
      eb('expires_at_ms', '<', c.nowMs),
      eb.and([eb('created_at_ms', '<', c.filesBeforeMs), eb.not(busy(eb as Eb, sql.ref('media.conversation_id')))]),
    ]);
    const conversations = this.idleConversation(c);

    return {
      journal: {
        count: () => count(db.selectFrom('journal').select(n).where(journal)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('journal')
          .where('id', 'in', db.selectFrom('journal').select('id').where(journal).limit(limit)).executeTakeFirst()),
      },
      jobs: {
        count: () => count(db.selectFrom('jobs').select(n).where(finishedJobs('done', c.eventsBeforeMs))),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('jobs')
          .where('id', 'in', db.selectFrom('jobs').select('id').where(finishedJobs('done', c.eventsBeforeMs)).limit(limit)).executeTakeFirst()),
      },
      dead_letters: {
        count: () => count(db.selectFrom('jobs').select(n).where(finishedJobs('dead', c.deadLettersBeforeMs))),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('jobs')
          .where('id', 'in', db.selectFrom('jobs').select('id').where(finishedJobs('dead', c.deadLettersBeforeMs)).limit(limit)).executeTakeFirst()),
      },
      line_outbox: {
        count: () => count(db.selectFrom('line_outbox').select(n).where(outbox)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('line_outbox')
          .where('id', 'in', db.selectFrom('line_outbox').select('id').where(outbox).limit(limit)).executeTakeFirst()),
      },
      messages: {
        count: () => count(db.selectFrom('messages').select(n).where(messages)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('messages')
          .where('id', 'in', db.selectFrom('messages').select('id').where(messages).limit(limit)).executeTakeFirst()),
      },
      outbound_parts: {
        count: () => count(db.selectFrom('outbound_parts').select(n).where(parts)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('outbound_parts')
          .where('id', 'in', db.selectFrom('outbound_parts').select('id').where(parts).limit(limit)).executeTakeFirst()),
      },
      outbound_uploads: {
        count: () => count(db.selectFrom('outbound_uploads').select(n).where(uploads)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('outbound_uploads')
          .where((eb) => eb(eb.refTuple('conversation_id', 'bitrix_message_id', 'part'), 'in',
            eb.selectFrom('outbound_uploads as u').select(['u.conversation_id', 'u.bitrix_message_id', 'u.part'])
              .where('u.created_at_ms', '<', m).where((ub) => ub.not(busy(ub as Eb, sql.ref('u.conversation_id')))).limit(limit)
              .$asTuple('conversation_id', 'bitrix_message_id', 'part')))
          .executeTakeFirst()),
      },
      operator_notices: {
        count: () => count(db.selectFrom('operator_notices').select(n).where(operatorNotices)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('operator_notices')
          .where('bitrix_message_id', 'in', db.selectFrom('operator_notices').select('bitrix_message_id').where(operatorNotices).limit(limit)).executeTakeFirst()),
      },
      client_notices: {
        count: () => count(db.selectFrom('client_notices').select(n).where(clientNotices)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('client_notices')
          .where('id', 'in', db.selectFrom('client_notices').select('id').where(clientNotices).limit(limit)).executeTakeFirst()),
      },
      crm_links: {
        count: () => count(db.selectFrom('crm_links').select(n).where(crmLinks)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('crm_links')
          .where((eb) => eb(eb.refTuple('conversation_id', 'session_id'), 'in',
            eb.selectFrom('crm_links as c').select(['c.conversation_id', 'c.session_id']).where('c.updated_at_ms', '<', m).where('c.state', '!=', 'pending')
              .where((cb) => cb.not(busy(cb as Eb, sql.ref('c.conversation_id')))).limit(limit)
              .$asTuple('conversation_id', 'session_id')))
          .executeTakeFirst()),
      },
      check_verdicts: {
        count: () => count(db.selectFrom('check_verdicts').select(n).where(checkVerdicts)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('check_verdicts')
          .where('id', 'in', db.selectFrom('check_verdicts').select('id').where(checkVerdicts).limit(limit)).executeTakeFirst()),
      },
      media: {
        batchRows: MEDIA_BATCH_ROWS,
        count: () => count(db.selectFrom('media').select(n).where(media)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('media')
          .where('id', 'in', db.selectFrom('media').select('id').where(media).limit(limit)).executeTakeFirst()),
      },
      conversations: {
        count: () => count(db.selectFrom('conversations').select(n).where(conversations)),
        deleteBatch: async (limit) => deleted(await db.deleteFrom('conversations')
          .where('id', 'in', db.selectFrom('conversations').select('id').where(conversations).limit(limit)).executeTakeFirst()),
      },
    };
  }

  /**
   * Events still read by a job: those of pending and running jobs and of the dead letters kept
   * (bounded by the work outstanding and the dead letters). Read once per purge (see the events
   * rule); the dead letters this purge deletes do not keep theirs, in the plan as in the purge.
   */
  private async eventsInUse(deadLettersBeforeMs: number): Promise<Set<number>> {
    const rows = await this.db.selectFrom('jobs').select('event_id')
      .where((eb) => eb.or([eb('state', 'in', UNFINISHED), eb.and([eb('state', '=', 'dead'), eb('updated_at_ms', '>=', deadLettersBeforeMs)])]))
      .where('event_id', 'is not', null).execute();
    return new Set(rows.map((r) => Number(r.event_id)));
  }

  /**
   * The events older than `beforeMs` not in use, a page at a time in (received_at_ms, id)
   * order from `after` (a cursor, so the events kept are read once, not once per batch).
   */
  private async eventPage(beforeMs: number, after: { atMs: number; id: number } | null, limit: number, inUse: Set<number>) {
    let q = this.db.selectFrom('events').select(['id', 'received_at_ms']).where('received_at_ms', '<', beforeMs);
    if (after) q = q.where((eb) => eb(eb.refTuple('received_at_ms', 'id'), '>', eb.tuple(after.atMs, after.id)));
    const rows = await q.orderBy('received_at_ms').orderBy('id').limit(limit).execute();
    const last = rows.at(-1);
    return {
      ids: rows.map((r) => Number(r.id)).filter((id) => !inUse.has(id)),
      next: rows.length < limit || !last ? null : { atMs: Number(last.received_at_ms), id: Number(last.id) },
    };
  }

  /** Counts what the events rule would delete (events and their skipped rows). */
  private async eventsToPurge(cutoffs: RetentionCutoffs, pageRows: number): Promise<{ events: number; skipped: number }> {
    const beforeMs = cutoffs.eventsBeforeMs;
    const inUse = await this.eventsInUse(cutoffs.deadLettersBeforeMs);
    let after: { atMs: number; id: number } | null = null;
    let events = 0;
    let skipped = 0;
    do {
      const page = await this.eventPage(beforeMs, after, pageRows, inUse);
      events += page.ids.length;
      if (page.ids.length > 0) {
        const row = await this.db.selectFrom('skipped_updates').select(sql<number>`count(*)`.as('n')).where('event_id', 'in', page.ids).executeTakeFirstOrThrow();
        skipped += Number(row.n);
      }
      after = page.next;
    } while (after);
    return { events, skipped };
  }

  private async purgeEvents(cutoffs: RetentionCutoffs, batchRows: number, counts: PurgeCounts, options: PurgeOptions): Promise<void> {
    const beforeMs = cutoffs.eventsBeforeMs;
    // First the mark, then the deletes: a reconciliation running meanwhile never misses a gap.
    // Only ever raised (a longer events_days later does not bring purged events back).
    const value = String(Math.floor(beforeMs));
    await this.db.insertInto('bridge_meta').values({ key: EVENTS_PURGED_BEFORE_KEY, value, updated_at_ms: cutoffs.nowMs })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at_ms: cutoffs.nowMs })
        .where(sql<number>`cast(${sql.ref('bridge_meta.value')} as bigint)`, '<', Math.floor(beforeMs)))
      .execute();
    const inUse = await this.eventsInUse(cutoffs.deadLettersBeforeMs);
    let after: { atMs: number; id: number } | null = null;
    do {
      options.signal?.throwIfAborted();
      const page = await this.eventPage(beforeMs, after, batchRows, inUse);
      if (page.ids.length > 0) {
        const ids = page.ids;
        const [skipped, events] = await this.db.transaction().execute(async (trx) => [
          Number((await trx.deleteFrom('skipped_updates').where('event_id', 'in', ids).executeTakeFirst()).numDeletedRows),
          Number((await trx.deleteFrom('events').where('id', 'in', ids).executeTakeFirst()).numDeletedRows),
        ]);
        counts.skipped_updates += skipped;
        counts.events += events;
        if (skipped > 0) await options.onProgress?.('skipped_updates', skipped);
        if (events > 0) await options.onProgress?.('events', events);
        await yieldTurn();
      }
      after = page.next;
    } while (after);
  }

  /**
   * Deliveries a `hook.deliver` job still reads: those of pending and running jobs and of the
   * dead letters kept (a replay reopens its delivery). Bounded by the work outstanding and the
   * dead letters; read once per purge, as eventsInUse.
   */
  private async deliveriesInUse(deadLettersBeforeMs: number): Promise<Set<number>> {
    const rows = await this.db.selectFrom('jobs').select('payload').where('kind', '=', HOOK_DELIVERY_JOB)
      .where((eb) => eb.or([eb('state', 'in', UNFINISHED), eb.and([eb('state', '=', 'dead'), eb('updated_at_ms', '>=', deadLettersBeforeMs)])])).execute();
    const ids = new Set<number>();
    for (const row of rows) {
      try {
        const payload = JSON.parse(row.payload) as { deliveryId?: unknown } | null;
        if (typeof payload?.deliveryId === 'number') ids.add(payload.deliveryId);
      } catch {
        // not a payload of ours: it names no delivery
      }
    }
    return ids;
  }

  /** Finished deliveries created before `beforeMs`, of a conversation not busy and not in use, a page at a time in (created_at_ms, id) order from `after`. */
  private async deliveryPage(beforeMs: number, after: Cursor, limit: number, inUse: Set<number>) {
    let q = this.db.selectFrom('hook_deliveries').select(['id', 'created_at_ms']).where('created_at_ms', '<', beforeMs).where('state', 'in', DELIVERY_FINISHED)
      .where((eb) => eb.not(busy(eb as Eb, sql.ref('hook_deliveries.conversation_id'))));
    if (after) q = q.where((eb) => eb(eb.refTuple('created_at_ms', 'id'), '>', eb.tuple(after.atMs, after.id)));
    const rows = await q.orderBy('created_at_ms').orderBy('id').limit(limit).execute();
    const last = rows.at(-1);
    return {
      ids: rows.map((r) => Number(r.id)).filter((id) => !inUse.has(id)),
      next: rows.length < limit || !last ? null : { atMs: Number(last.created_at_ms), id: Number(last.id) },
    };
  }

  /** Hook events before `beforeMs` of a conversation not busy, a page at a time in (at_ms, id) order from `after`. */
  private async hookEventPage(beforeMs: number, after: TextCursor, limit: number) {
    let q = this.db.selectFrom('hook_events').select(['id', 'at_ms']).where('at_ms', '<', beforeMs)
      .where((eb) => eb.not(busy(eb as Eb, sql.ref('hook_events.conversation_id'))));
    if (after) q = q.where((eb) => eb(eb.refTuple('at_ms', 'id'), '>', eb.tuple(after.atMs, after.id)));
    const rows = await q.orderBy('at_ms').orderBy('id').limit(limit).execute();
    const last = rows.at(-1);
    return { ids: rows.map((r) => r.id), next: rows.length < limit || !last ? null : { atMs: Number(last.at_ms), id: last.id } };
  }

  /** Counts what the hook rules would delete: the deliveries, and the events all of whose deliveries go. */
  private async hookRowsToPurge(cutoffs: RetentionCutoffs, pageRows: number): Promise<{ deliveries: number; events: number }> {
    const beforeMs = cutoffs.eventsBeforeMs;
    const inUse = await this.deliveriesInUse(cutoffs.deadLettersBeforeMs);
    let deliveries = 0;
    let after: Cursor = null;
    do {
      const page = await this.deliveryPage(beforeMs, after, pageRows, inUse);
      deliveries += page.ids.length;
      after = page.next;
    } while (after);
    let events = 0;
    let at: TextCursor = null;
    do {
      const page = await this.hookEventPage(beforeMs, at, pageRows);
      if (page.ids.length > 0) {
        const kept = new Set<string>();
        const rows = await this.db.selectFrom('hook_deliveries').select(['id', 'event_id', 'state', 'created_at_ms']).where('event_id', 'in', page.ids).execute();
        for (const r of rows) {
          const goes = (r.state === 'delivered' || r.state === 'failed') && Number(r.created_at_ms) < beforeMs && !inUse.has(Number(r.id));
          if (!goes) kept.add(r.event_id);
        }
        events += page.ids.filter((id) => !kept.has(id)).length;
      }
      at = page.next;
    } while (at);
    return { deliveries, events };
  }

  private async purgeHookDeliveries(cutoffs: RetentionCutoffs, batchRows: number, counts: PurgeCounts, options: PurgeOptions): Promise<void> {
    const inUse = await this.deliveriesInUse(cutoffs.deadLettersBeforeMs);
    let after: Cursor = null;
    do {
      options.signal?.throwIfAborted();
      const page = await this.deliveryPage(cutoffs.eventsBeforeMs, after, batchRows, inUse);
      if (page.ids.length > 0) {
        // Finished still (a dead letter replayed meanwhile made its delivery pending again), of a conversation still not busy.
        const res = await this.db.deleteFrom('hook_deliveries').where('id', 'in', page.ids).where('state', 'in', DELIVERY_FINISHED)
          .where((eb) => eb.not(busy(eb as Eb, sql.ref('hook_deliveries.conversation_id')))).executeTakeFirst();
        const n = Number(res.numDeletedRows);
        counts.hook_deliveries += n;
        if (n > 0) await options.onProgress?.('hook_deliveries', n);
        await yieldTurn();
      }
      after = page.next;
    } while (after);
  }

  private async purgeHookEvents(cutoffs: RetentionCutoffs, batchRows: number, counts: PurgeCounts, options: PurgeOptions): Promise<void> {
    let after: TextCursor = null;
    do {
      options.signal?.throwIfAborted();
      const page = await this.hookEventPage(cutoffs.eventsBeforeMs, after, batchRows);
      if (page.ids.length > 0) {
        // An event goes only when no delivery of it is left (the finished ones went just before).
        const res = await this.db.deleteFrom('hook_events').where('id', 'in', page.ids)
          .where((eb) => eb.not(eb.exists(eb.selectFrom('hook_deliveries as d').select('d.id').where('d.event_id', '=', sql.ref<string>('hook_events.id')))))
          .where((eb) => eb.not(busy(eb as Eb, sql.ref('hook_events.conversation_id')))).executeTakeFirst();
        const n = Number(res.numDeletedRows);
        counts.hook_events += n;
        if (n > 0) await options.onProgress?.('hook_events', n);
        await yieldTurn();
      }
      after = page.next;
    } while (after);
  }

  /** Idle conversations, a batch at a time, each batch with its gates in one transaction. */
  private async purgeConversations(cutoffs: RetentionCutoffs, batchRows: number, counts: PurgeCounts, options: PurgeOptions): Promise<void> {
    const idle = this.idleConversation(cutoffs);
    for (;;) {
      options.signal?.throwIfAborted();
      const ids = (await this.db.selectFrom('conversations').select('id').where(idle).limit(batchRows).execute()).map((r) => r.id);
      if (ids.length === 0) break;
      const [conversations, gates] = await this.db.transaction().execute(async (trx) => {
        const gone = (await trx.deleteFrom('conversations').where('id', 'in', ids).where(idle).returning('id').execute()).map((r) => r.id);
        if (gone.length === 0) return [0, 0];
        return [gone.length, Number((await trx.deleteFrom('conversation_gates').where('conversation_id', 'in', gone).executeTakeFirst()).numDeletedRows)];
      });
      counts.conversations += conversations;
      counts.conversation_gates += gates;
      if (gates > 0) await options.onProgress?.('conversation_gates', gates);
      if (conversations > 0) await options.onProgress?.('conversations', conversations);
      if (ids.length < batchRows) break;
      await yieldTurn();
    }
  }
}
