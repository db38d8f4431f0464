/**
 * The line outbox: items prepared for an Open Line, sent by the line's flush
 * job (src/bridge/line-flush.ts), several per imconnector call.
 *
 * Queueing is insert-or-ignore on UNIQUE(conversation_id, method, message_key),
 * in the same transaction as the producing job's "done", together with
 * "make sure a flush job is pending for this line". That check cannot strand
 * an item: on PostgreSQL the pending flush job row is locked (FOR UPDATE) until
 * our commit, so it cannot be claimed — and read the outbox — before our item
 * is visible (the claim skips locked rows); on SQLite writers are serialised.
 * A flush job that leaves items behind queues the next one itself.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import { parseConversationId, makeMessageKey, parseLineRef, type ConversationId, type LineRef, type MessageKey, type PortalId } from '../../domain/ids.ts';
import { BridgeError } from '../../domain/errors.ts';
import { LINE_FLUSH_JOB, lineFlushQueue, portalResource } from '../../queue/job-kinds.ts';
import type { Engine } from '../db.ts';
import type { Database } from '../schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type OutboxMethod = 'send' | 'update' | 'delete' | 'chat_name' | 'status';

export interface OutboxItem {
  lineRef: LineRef;
  conversationId: ConversationId;
  method: OutboxMethod;
  messageKey: MessageKey;
  /** See sortKeyOf. */
  sortKey: string;
  /** MAX's time of the update and when the bridge received it (the reorder watermark uses both). */
  tsMs: number;
  arrivedMs: number;
  item: Record<string, unknown>;
}

export interface PendingOutboxRow {
  id: number;
  conversationId: ConversationId;
  method: OutboxMethod;
  messageKey: MessageKey;
  sortKey: string;
  createdAtMs: number;
  /** A send was attempted before (it may have reached Bitrix24). */
  tried: boolean;
  tsMs: number;
  arrivedMs: number;
  item: Record<string, unknown>;
}

export type PendingOutboxKey = Pick<PendingOutboxRow, 'id' | 'conversationId' | 'method' | 'sortKey'>;

/** Orders a conversation's items by MAX time, then seq (both integers, as text, zero-padded). */
export function sortKeyOf(timestampMs: string | number, seq: string | number | null = null): string {
  const pad = (v: string | number, n: number) => String(v).replace(/\D/g, '').padStart(n, '0');
  return `${pad(timestampMs, 16)}:${pad(seq ?? 0, 20)}`;
}

const OUTBOX_METHODS: ReadonlySet<string> = new Set<OutboxMethod>(['send', 'update', 'delete', 'chat_name', 'status']);

/*
 * Stored rows are mapped on the flush's hot path (thousands per pass when a line is
 * backed up), so the checks here are the cheap ones: a Set lookup for the method, the id
 * codec's regex for the conversation, and for `item_json` — written by enqueue from an
 * object the bridge itself built — JSON.parse and an object check, without a schema walk.
 * A row that fails them was damaged in the database: BRG_ERR_BAD_OUTBOX_ROW, not retryable.
 */
export const BAD_OUTBOX_ROW = 'BRG_ERR_BAD_OUTBOX_ROW';

function badRow(what: string, text: string): BridgeError {
  return new BridgeError(BAD_OUTBOX_ROW, `line_outbox: malformed ${what} ${JSON.stringify(text.slice(0, 80))}`, { retryable: false });
}

function storedMethod(text: string): OutboxMethod {
  if (!OUTBOX_METHODS.has(text)) throw badRow('method', text);
  return text as OutboxMethod;
}

function storedConversation(text: string): ConversationId {
  const id = parseConversationId(text);
  if (id === null) throw badRow('conversation id', text);
  return id;
}

/** `item_json` as enqueue wrote it: an object, passed to Bitrix24 as it is. */
function storedItem(json: string): Record<string, unknown> {
  const item: unknown = JSON.parse(json);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw badRow('item', json);
  return item as Record<string, unknown>;
}

/** A stored pending row as line_outbox holds it. */
export interface StoredOutboxRow {
  id: number; conversation_id: string; method: string; message_key: string; sort_key: string; created_at_ms: number;
  tried_at_ms: number | null; ts_ms: number; arrived_ms: number; item_json: string;
}

/** One stored row, checked and typed (exported for its unit test). */
export function toPendingRow(r: StoredOutboxRow): PendingOutboxRow {
  return {
    id: Number(r.id), conversationId: storedConversation(r.conversation_id), method: storedMethod(r.method), messageKey: makeMessageKey(r.message_key),
    sortKey: r.sort_key, createdAtMs: Number(r.created_at_ms), tried: r.tried_at_ms !== null, tsMs: Number(r.ts_ms), arrivedMs: Number(r.arrived_ms), item: storedItem(r.item_json),
  };
}

export class OutboxRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly clock: Clock,
  ) {}

  /** Queues items (idempotent) and makes sure the line has a pending flush job. */
  async enqueue(items: OutboxItem[], portalId: PortalId, trx: Transaction<Database>): Promise<void> {
    const now = this.clock.nowMs();
    const lines = new Set<LineRef>();
    for (const i of items) {
      await trx.insertInto('line_outbox').values({
        line_ref: i.lineRef, conversation_id: i.conversationId, method: i.method, message_key: i.messageKey, sort_key: i.sortKey, ts_ms: i.tsMs, arrived_ms: i.arrivedMs,
        item_json: JSON.stringify(i.item), state: 'pending', result_json: null, tried_at_ms: null, created_at_ms: now, updated_at_ms: now,
      }).onConflict((oc) => oc.columns(['conversation_id', 'method', 'message_key']).doNothing()).execute();
      lines.add(i.lineRef);
    }
    for (const lineRef of lines) await this.ensureFlushJob(lineRef, portalId, trx);
  }

  /**
   * Makes sure a flush job for the line is pending and due by `runAtMs` (default
   * now): inserts one, or brings a pending one's start forward.
   */
  async ensureFlushJob(lineRef: LineRef, portalId: PortalId, trx: Db, runAtMs?: number): Promise<void> {
    const key = lineFlushQueue(lineRef);
    const now = this.clock.nowMs();
    const due = runAtMs ?? now;
    let q = trx.selectFrom('jobs').select(['id', 'run_at_ms']).where('conversation_key', '=', key).where('state', '=', 'pending').limit(1);
    if (this.engine === 'postgres') q = q.forUpdate();
    const pending = await q.executeTakeFirst();
    if (pending) {
      if (Number(pending.run_at_ms) > due) await trx.updateTable('jobs').set({ run_at_ms: due }).where('id', '=', pending.id).execute();
      return;
    }
    await trx.insertInto('jobs').values({
      kind: LINE_FLUSH_JOB, conversation_key: key, resource_key: portalResource(portalId), payload: JSON.stringify({ lineRef, portalId }),
      state: 'pending', attempts: 0, run_at_ms: due, locked_by: null, lease_until_ms: null, last_error_code: null,
      last_error: null, last_response: null, event_id: null, created_at_ms: now, updated_at_ms: now,
    }).execute();
  }

  /** Conversations among these with inbound work not yet done (their next item is not queued yet). */
  async busyConversations(conversationIds: ConversationId[], jobKind: string, keyOf: (conversationId: ConversationId) => string): Promise<Set<ConversationId>> {
    if (conversationIds.length === 0) return new Set();
    const byKey = new Map(conversationIds.map((id) => [keyOf(id), id]));
    const rows = await this.db.selectFrom('jobs').select('conversation_key').distinct()
      .where('conversation_key', 'in', [...byKey.keys()]).where('state', 'in', ['pending', 'running']).where('kind', '=', jobKind).execute();
    return new Set(rows.flatMap((r) => byKey.get(r.conversation_key) ?? []));
  }

  /** The `jobKind` jobs still to run for these conversations, with the ids of their stored events. */
  async pendingEventJobs(conversationIds: ConversationId[], jobKind: string, keyOf: (conversationId: ConversationId) => string): Promise<Array<{ conversationId: ConversationId; eventId: number }>> {
    if (conversationIds.length === 0) return [];
    const byKey = new Map(conversationIds.map((id) => [keyOf(id), id]));
    const rows = await this.db.selectFrom('jobs').select(['conversation_key', 'event_id'])
      .where('conversation_key', 'in', [...byKey.keys()]).where('state', 'in', ['pending', 'running']).where('kind', '=', jobKind).execute();
    return rows.flatMap((r) => {
      const conversationId = byKey.get(r.conversation_key);
      return r.event_id !== null && conversationId !== undefined ? [{ conversationId, eventId: Number(r.event_id) }] : [];
    });
  }

  /** Raw bodies of stored events. */
  async eventBodies(eventIds: number[]): Promise<Map<number, string>> {
    if (eventIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('events').select(['id', 'raw']).where('id', 'in', eventIds).execute();
    return new Map(rows.map((r) => [Number(r.id), r.raw]));
  }

  /** Of these message keys, the ones already queued (in any state) for this conversation and method. */
  async queuedKeys(conversationId: ConversationId, method: OutboxMethod, keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.db.selectFrom('line_outbox').select('message_key').where('conversation_id', '=', conversationId)
      .where('method', '=', method).where('message_key', 'in', keys).execute();
    return new Set(rows.map((r) => r.message_key));
  }

  /** Conversations with client messages waiting to be sent to the line. */
  async conversationsWithPendingSends(): Promise<ConversationId[]> {
    const rows = await this.db.selectFrom('line_outbox').select('conversation_id').distinct()
      .where('state', '=', 'pending').where('method', '=', 'send').execute();
    return rows.map((r) => storedConversation(r.conversation_id));
  }

  /**
   * Conversations whose oldest client message not yet taken by the line arrived at or
   * before `arrivedAtOrBeforeMs`, with that message's arrival (oldest first, at most `limit`).
   */
  async sendsWaitingSince(arrivedAtOrBeforeMs: number, limit: number): Promise<Array<{ conversationId: ConversationId; oldestArrivedMs: number }>> {
    const rows = await this.db.selectFrom('line_outbox').select(['conversation_id', sql<number>`min(arrived_ms)`.as('oldest')])
      .where('state', '=', 'pending').where('method', '=', 'send')
      .groupBy('conversation_id').having(sql<number>`min(arrived_ms)`, '<=', arrivedAtOrBeforeMs)
      .orderBy('oldest').limit(limit).execute();
    return rows.map((r) => ({ conversationId: storedConversation(r.conversation_id), oldestArrivedMs: Number(r.oldest) }));
  }

  /**
   * Every pending item of these conversations on the line, keys only (no
   * item): a flush reads the oldest rows in queue order, and a message can be
   * queued after a later one of its conversation, beyond the rows read.
   */
  async pendingKeys(lineRef: LineRef, conversationIds: ConversationId[]): Promise<PendingOutboxKey[]> {
    if (conversationIds.length === 0) return [];
    const rows = await this.db.selectFrom('line_outbox').select(['id', 'conversation_id', 'method', 'sort_key'])
      .where('conversation_id', 'in', conversationIds).where('line_ref', '=', lineRef).where('state', '=', 'pending').execute();
    return rows.map((r) => ({ id: Number(r.id), conversationId: storedConversation(r.conversation_id), method: storedMethod(r.method), sortKey: r.sort_key }));
  }

  /** The oldest pending items of a line after row `afterId`, in queue order. */
  async pending(lineRef: LineRef, limit: number, afterId = 0): Promise<PendingOutboxRow[]> {
    const rows = await this.db.selectFrom('line_outbox').select(['id', 'conversation_id', 'method', 'message_key', 'sort_key', 'created_at_ms', 'tried_at_ms', 'ts_ms', 'arrived_ms', 'item_json'])
      .where('line_ref', '=', lineRef).where('state', '=', 'pending').where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map(toPendingRow);
  }

  /** Every pending item of these conversations on the line, in queue order. */
  async pendingOf(lineRef: LineRef, conversationIds: readonly string[]): Promise<PendingOutboxRow[]> {
    if (conversationIds.length === 0) return [];
    const rows = await this.db.selectFrom('line_outbox').select(['id', 'conversation_id', 'method', 'message_key', 'sort_key', 'created_at_ms', 'tried_at_ms', 'ts_ms', 'arrived_ms', 'item_json'])
      .where('conversation_id', 'in', conversationIds).where('line_ref', '=', lineRef).where('state', '=', 'pending').orderBy('id').execute();
    return rows.map(toPendingRow);
  }

  /** Marks rows as attempted (committed before the call goes out). */
  async markTried(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('line_outbox').set({ tried_at_ms: this.clock.nowMs() }).where('id', 'in', ids).where('state', '=', 'pending').execute();
  }

  /** The attempt certainly did not reach Bitrix24 (it answered with an error): no need to look before the next. */
  async clearTried(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('line_outbox').set({ tried_at_ms: null }).where('id', 'in', ids).where('state', '=', 'pending').execute();
  }

  /**
   * Replaces a pending item's content, keeping its place in its conversation's order (a file
   * Bitrix24 could not fetch goes again as text): not tried, still pending.
   */
  async replaceItem(id: number, item: Record<string, unknown>, trx: Db): Promise<void> {
    await trx.updateTable('line_outbox').set({ item_json: JSON.stringify(item), tried_at_ms: null, updated_at_ms: this.clock.nowMs() })
      .where('id', '=', id).where('state', '=', 'pending').execute();
  }

  async countPending(lineRef: LineRef, db: Db = this.db): Promise<number> {
    const row = await db.selectFrom('line_outbox').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('line_ref', '=', lineRef).where('state', '=', 'pending').executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async finish(id: number, state: 'sent' | 'rejected', result: unknown, trx: Db): Promise<void> {
    await trx.updateTable('line_outbox').set({ state, result_json: JSON.stringify(result ?? null), updated_at_ms: this.clock.nowMs() })
      .where('id', '=', id).where('state', '=', 'pending').execute();
  }

  /** Lines with pending items (to restart their flush after a line is restored). */
  async linesWithPending(): Promise<LineRef[]> {
    const rows = await this.db.selectFrom('line_outbox').select('line_ref').distinct().where('state', '=', 'pending').execute();
    return rows.map((r) => parseLineRef(r.line_ref));
  }

  /** For tests and metrics: items by state. */
  async countByState(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('line_outbox').select(['state', sql<number>`count(*)`.as('n')]).groupBy('state').execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }
}
