/**
 * Hooks' storage (docs/hooks.md): the events told to webhooks (`hook_events`), each one's
 * delivery per webhook (`hook_deliveries`, the delivery log), the checks' verdicts
 * (`check_verdicts`) and the conversations a check holds or blocks (`conversation_gates`).
 *
 * An event is written in the transaction of the fact it tells, with its deliveries (and their
 * jobs, by the caller): it exists exactly when the fact does, and is delivered from here.
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Database } from '../schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface HookEvent {
  id: string;
  type: string;
  conversationId: string | null;
  atMs: number;
  data: Record<string, unknown>;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface HookDelivery {
  id: number;
  webhook: string;
  eventId: string;
  eventType: string;
  conversationId: string | null;
  state: DeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
  deliveredAtMs: number | null;
}

export interface CheckVerdictRow {
  id: number;
  conversationId: string;
  checkName: string;
  verdict: 'allow' | 'hold' | 'block';
  source: 'answer' | 'timeout' | 'error' | 'admin';
  route: string | null;
  tags: string[];
  note: string | null;
  eventId: number | null;
  atMs: number;
}

export interface ConversationGate {
  conversationId: string;
  verdict: 'hold' | 'block';
  checkName: string;
  note: string | null;
  replied: boolean;
  sinceMs: number;
}

const n = (v: number | string | null): number | null => (v === null ? null : Number(v));

function deliveryOf(r: Selectable<Database['hook_deliveries']>): HookDelivery {
  return {
    id: Number(r.id), webhook: r.webhook, eventId: r.event_id, eventType: r.event_type, conversationId: r.conversation_id, state: r.state,
    attempts: Number(r.attempts), lastStatus: n(r.last_status), lastError: r.last_error, lastDurationMs: n(r.last_duration_ms),
    createdAtMs: Number(r.created_at_ms), updatedAtMs: Number(r.updated_at_ms), deliveredAtMs: n(r.delivered_at_ms),
  };
}

function verdictOf(r: Selectable<Database['check_verdicts']>): CheckVerdictRow {
  return {
    id: Number(r.id), conversationId: r.conversation_id, checkName: r.check_name, verdict: r.verdict, source: r.source, route: r.route,
    tags: r.tags_json ? (JSON.parse(r.tags_json) as string[]) : [], note: r.note, eventId: n(r.event_id), atMs: Number(r.at_ms),
  };
}

export class HookRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Writes the event once; false when its id was written before (a repeated fact). */
  async recordEvent(event: HookEvent, db: Db = this.db): Promise<boolean> {
    const res = await db.insertInto('hook_events').values({
      id: event.id, type: event.type, conversation_id: event.conversationId, at_ms: event.atMs, data_json: JSON.stringify(event.data),
    }).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async event(id: string, db: Db = this.db): Promise<HookEvent | null> {
    const r = await db.selectFrom('hook_events').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? { id: r.id, type: r.type, conversationId: r.conversation_id, atMs: Number(r.at_ms), data: JSON.parse(r.data_json) as Record<string, unknown> } : null;
  }

  /** The event's delivery to one webhook, pending; returns its id, or null when it has one already. */
  async addDelivery(webhook: string, event: Pick<HookEvent, 'id' | 'type' | 'conversationId'>, db: Db = this.db): Promise<number | null> {
    const nowMs = this.clock.nowMs();
    const row = await db.insertInto('hook_deliveries').values({
      webhook, event_id: event.id, event_type: event.type, conversation_id: event.conversationId, state: 'pending', attempts: 0,
      last_status: null, last_error: null, last_duration_ms: null, created_at_ms: nowMs, updated_at_ms: nowMs, delivered_at_ms: null,
    }).onConflict((oc) => oc.columns(['webhook', 'event_id']).doNothing()).returning('id').executeTakeFirst();
    return row === undefined ? null : Number(row.id);
  }

  async delivery(id: number, db: Db = this.db): Promise<HookDelivery | null> {
    const r = await db.selectFrom('hook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? deliveryOf(r) : null;
  }

  /** Records one attempt: its answer (or none), and the state it leaves the delivery in. */
  async recordAttempt(id: number, outcome: { state: DeliveryState; status: number | null; error: string | null; durationMs: number }, db: Db = this.db): Promise<void> {
    const nowMs = this.clock.nowMs();
    await db.updateTable('hook_deliveries').set((eb) => ({
      state: outcome.state, attempts: eb('attempts', '+', 1), last_status: outcome.status, last_error: outcome.error?.slice(0, 1_000) ?? null,
      last_duration_ms: Math.round(outcome.durationMs), updated_at_ms: nowMs, ...(outcome.state === 'delivered' ? { delivered_at_ms: nowMs } : {}),
    })).where('id', '=', id).execute();
  }

  /** The delivery became a dead letter. */
  async markFailed(id: number, db: Db = this.db): Promise<void> {
    await db.updateTable('hook_deliveries').set({ state: 'failed', updated_at_ms: this.clock.nowMs() }).where('id', '=', id).where('state', '=', 'pending').execute();
  }

  /** A dead letter replayed: the delivery is pending again. */
  async reopen(id: number, db: Db = this.db): Promise<void> {
    await db.updateTable('hook_deliveries').set({ state: 'pending', updated_at_ms: this.clock.nowMs() }).where('id', '=', id).where('state', '=', 'failed').execute();
  }

  /** The delivery log of one webhook (or all), newest first, paged by `beforeId`. */
  async deliveries(query: { webhook?: string; state?: DeliveryState; conversationId?: string; eventType?: string; beforeId?: number; limit: number }, db: Db = this.db): Promise<HookDelivery[]> {
    let q = db.selectFrom('hook_deliveries').selectAll();
    if (query.webhook !== undefined) q = q.where('webhook', '=', query.webhook);
    if (query.state !== undefined) q = q.where('state', '=', query.state);
    if (query.conversationId !== undefined) q = q.where('conversation_id', '=', query.conversationId);
    if (query.eventType !== undefined) q = q.where('event_type', '=', query.eventType);
    if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(deliveryOf);
  }

  /** Per webhook: how many deliveries are pending, delivered, failed, and the oldest pending one's age. */
  async summary(db: Db = this.db): Promise<Array<{ webhook: string; state: DeliveryState; count: number; oldestMs: number }>> {
    const rows = await db.selectFrom('hook_deliveries').select(['webhook', 'state', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at_ms').as('oldest')])
      .groupBy(['webhook', 'state']).execute();
    return rows.map((r) => ({ webhook: r.webhook, state: r.state, count: Number(r.n), oldestMs: Number(r.oldest) }));
  }

  async recordVerdict(v: Omit<CheckVerdictRow, 'id'>, db: Db = this.db): Promise<void> {
    await db.insertInto('check_verdicts').values({
      conversation_id: v.conversationId, check_name: v.checkName, verdict: v.verdict, source: v.source, route: v.route,
      tags_json: v.tags.length > 0 ? JSON.stringify(v.tags) : null, note: v.note, event_id: v.eventId, at_ms: v.atMs,
    }).execute();
  }

  /** A conversation's verdicts, oldest first. */
  async verdictsOf(conversationId: string, db: Db = this.db): Promise<CheckVerdictRow[]> {
    const rows = await db.selectFrom('check_verdicts').selectAll().where('conversation_id', '=', conversationId).orderBy('id').execute();
    return rows.map(verdictOf);
  }

  /** A conversation's latest verdict (an administrator's release stands until a check answers again), or null. */
  async latestVerdict(conversationId: string, db: Db = this.db): Promise<CheckVerdictRow | null> {
    const r = await db.selectFrom('check_verdicts').selectAll().where('conversation_id', '=', conversationId).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r ? verdictOf(r) : null;
  }

  /** The verdicts about one update (its stored event) of a conversation, oldest first. */
  async verdictsOfEvent(conversationId: string, eventId: number, db: Db = this.db): Promise<CheckVerdictRow[]> {
    const rows = await db.selectFrom('check_verdicts').selectAll().where('conversation_id', '=', conversationId).where('event_id', '=', eventId).orderBy('id').execute();
    return rows.map(verdictOf);
  }

  async gate(conversationId: string, db: Db = this.db): Promise<ConversationGate | null> {
    const r = await db.selectFrom('conversation_gates').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst();
    return r ? { conversationId: r.conversation_id, verdict: r.verdict, checkName: r.check_name, note: r.note, replied: Number(r.replied) === 1, sinceMs: Number(r.since_ms) } : null;
  }

  /**
   * Holds or blocks a conversation (a later verdict replaces an earlier one). A changed verdict
   * is told to the client afresh (a held client who is then blocked gets the block's reply).
   */
  async setGate(g: Omit<ConversationGate, 'replied' | 'sinceMs'>, db: Db = this.db): Promise<void> {
    const nowMs = this.clock.nowMs();
    await db.insertInto('conversation_gates').values({
      conversation_id: g.conversationId, verdict: g.verdict, check_name: g.checkName, note: g.note, replied: 0, since_ms: nowMs, updated_at_ms: nowMs,
    }).onConflict((oc) => oc.column('conversation_id').doUpdateSet({
      verdict: g.verdict, check_name: g.checkName, note: g.note, updated_at_ms: nowMs,
      replied: sql<number>`case when conversation_gates.verdict = ${g.verdict} then conversation_gates.replied else 0 end`,
    })).execute();
  }

  /** Lets a conversation through again; false when it had no gate. */
  async clearGate(conversationId: string, db: Db = this.db): Promise<boolean> {
    const res = await db.deleteFrom('conversation_gates').where('conversation_id', '=', conversationId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Marks the client told; false when they had been told already (tell once). */
  async markReplied(conversationId: string, db: Db = this.db): Promise<boolean> {
    const res = await db.updateTable('conversation_gates').set({ replied: 1 }).where('conversation_id', '=', conversationId).where('replied', '=', 0).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async gates(db: Db = this.db): Promise<ConversationGate[]> {
    const rows = await db.selectFrom('conversation_gates').selectAll().orderBy('since_ms').execute();
    return rows.map((r) => ({ conversationId: r.conversation_id, verdict: r.verdict, checkName: r.check_name, note: r.note, replied: Number(r.replied) === 1, sinceMs: Number(r.since_ms) }));
  }
}
