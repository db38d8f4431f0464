/**
 * What the reports read (src/analytics/, docs/analytics.md), on SQLite and PostgreSQL alike:
 *
 * - client messages the line took (`messages`, direction 'in', not refused by the line), by
 *   the time they were recorded as taken (`created_at_ms`: when the operator could first see them);
 * - operator replies: the first part of each operator message sent to MAX (`outbound_parts`,
 *   one row per part), by the time it was sent, with who wrote it (migration 17). The line's
 *   own messages (`actor` 'system': greetings, auto-answers, the close text) are no replies;
 *   parts sent before migration 17 (`actor` null) count as replies of an unrecorded operator;
 * - each conversation's cuts (bot, line → portal, route, deep-link payload) and history
 *   before the period.
 *
 * Keyset pagination on (time, id) (as export-repo.ts): each page its own short query, nothing
 * held between pages; a page after the first is bounded below by the cursor alone.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { conversationIdParts, parseConversationId, parseLineRef, portalOfLine } from '../../domain/ids.ts';
import type { Database } from '../schema.ts';

/** Rows per page of a stream: a page of either kind is ~100 bytes a row, read in ~1 ms. */
export const ANALYTICS_PAGE_ROWS = 1_000;

export interface AnalyticsInboundRow {
  conversationId: string;
  atMs: number;
}

export interface AnalyticsReplyRow {
  conversationId: string;
  atMs: number;
  operatorId: string | null;
  operatorName: string | null;
}

export interface AnalyticsConversationRow {
  id: string;
  bot: string | null;
  portal: string | null;
  line: string | null;
  route: string | null;
  /** The deep-link payload (`source_json`'s `payload`); null: none. */
  source: string | null;
}

export interface AnalyticsPrior {
  lastInMs: number | null;
  lastReplyMs: number | null;
}

/** Not a reply: the line's own messages. Null (parts sent before the column existed) is one. */
const NOT_SYSTEM = sql<boolean>`(actor is null or actor <> 'system')`;
const NOT_SYSTEM_P = sql<boolean>`(p.actor is null or p.actor <> 'system')`;

function payloadOf(json: string | null): string | null {
  if (!json) return null;
  try {
    const parsed = z.object({ payload: z.string().nullable() }).safeParse(JSON.parse(json));
    return parsed.success && parsed.data.payload !== '' ? parsed.data.payload : null;
  } catch {
    return null;
  }
}

function portalOf(lineRef: string): string | null {
  try {
    return portalOfLine(parseLineRef(lineRef));
  } catch {
    return null;
  }
}

export class AnalyticsRepo {
  constructor(private readonly db: Kysely<Database>, private readonly pageRows = ANALYTICS_PAGE_ROWS) {}

  /** Client messages taken by the line in [fromMs, toMs), oldest first. */
  async *inbound(fromMs: number, toMs: number): AsyncGenerator<AnalyticsInboundRow> {
    let after: { atMs: number; id: number } | null = null;
    for (;;) {
      let q = this.db.selectFrom('messages').select(['id', 'conversation_id', 'created_at_ms'])
        .where('direction', '=', 'in').where('state', '<>', 'rejected').where('created_at_ms', '<', toMs);
      const cursor: { atMs: number; id: number } | null = after;
      q = cursor === null ? q.where('created_at_ms', '>=', fromMs)
        : q.where('created_at_ms', '>=', cursor.atMs).where((eb) => eb.or([eb('created_at_ms', '>', cursor.atMs), eb('id', '>', cursor.id)]));
      const rows = await q.orderBy('created_at_ms').orderBy('id').limit(this.pageRows).execute();
      for (const r of rows) yield { conversationId: r.conversation_id, atMs: Number(r.created_at_ms) };
      const last = rows.at(-1);
      if (!last || rows.length < this.pageRows) return;
      after = { atMs: Number(last.created_at_ms), id: Number(last.id) };
    }
  }

  /** Operator replies first sent in [fromMs, toMs) (the first part of each message), oldest first. */
  async *replies(fromMs: number, toMs: number): AsyncGenerator<AnalyticsReplyRow> {
    let after: { atMs: number; id: number } | null = null;
    for (;;) {
      let q = this.db.selectFrom('outbound_parts as p').select(['p.id', 'p.conversation_id', 'p.sent_at_ms', 'p.operator_id', 'p.operator_name'])
        .where('p.sent_at_ms', '<', toMs).where(NOT_SYSTEM_P)
        // The first part of its message: no part of the same message with a lower number (UNIQUE(conversation, message, part) finds it).
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('outbound_parts as q').select('q.id')
          .whereRef('q.conversation_id', '=', 'p.conversation_id').whereRef('q.bitrix_message_id', '=', 'p.bitrix_message_id').whereRef('q.part', '<', 'p.part'))));
      const cursor: { atMs: number; id: number } | null = after;
      q = cursor === null ? q.where('p.sent_at_ms', '>=', fromMs)
        : q.where('p.sent_at_ms', '>=', cursor.atMs).where((eb) => eb.or([eb('p.sent_at_ms', '>', cursor.atMs), eb('p.id', '>', cursor.id)]));
      const rows = await q.orderBy('p.sent_at_ms').orderBy('p.id').limit(this.pageRows).execute();
      for (const r of rows) yield { conversationId: r.conversation_id, atMs: Number(r.sent_at_ms), operatorId: r.operator_id, operatorName: r.operator_name };
      const last = rows.at(-1);
      if (!last || rows.length < this.pageRows) return;
      after = { atMs: Number(last.sent_at_ms), id: Number(last.id) };
    }
  }

  /** The cuts of these conversations; one erased meanwhile keeps the bot its id names. */
  async conversations(ids: readonly string[]): Promise<AnalyticsConversationRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('conversations').select(['id', 'bot_id', 'line_ref', 'route_name', 'source_json']).where('id', 'in', [...ids]).execute();
    const found = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => {
      const r = found.get(id);
      if (r) return { id, bot: r.bot_id, portal: portalOf(r.line_ref), line: r.line_ref, route: r.route_name, source: payloadOf(r.source_json) };
      const parsed = parseConversationId(id);
      return { id, bot: parsed === null ? null : conversationIdParts(parsed).botId, portal: null, line: null, route: null, source: null };
    });
  }

  /** Each conversation's last client message and last operator reply before `beforeMs`. */
  async priorStates(ids: readonly string[], beforeMs: number): Promise<Map<string, AnalyticsPrior>> {
    const out = new Map<string, AnalyticsPrior>();
    if (ids.length === 0) return out;
    const [ins, replies] = await Promise.all([
      this.db.selectFrom('messages').select(['conversation_id', (eb) => eb.fn.max('created_at_ms').as('last_ms')])
        .where('conversation_id', 'in', [...ids]).where('direction', '=', 'in').where('state', '<>', 'rejected').where('created_at_ms', '<', beforeMs)
        .groupBy('conversation_id').execute(),
      this.db.selectFrom('outbound_parts').select(['conversation_id', (eb) => eb.fn.max('sent_at_ms').as('last_ms')])
        .where('conversation_id', 'in', [...ids]).where('sent_at_ms', '<', beforeMs).where(NOT_SYSTEM)
        .groupBy('conversation_id').execute(),
    ]);
    const entry = (id: string) => {
      let prior = out.get(id);
      if (!prior) {
        prior = { lastInMs: null, lastReplyMs: null };
        out.set(id, prior);
      }
      return prior;
    };
    for (const r of ins) if (r.last_ms !== null) entry(r.conversation_id).lastInMs = Number(r.last_ms);
    for (const r of replies) if (r.last_ms !== null) entry(r.conversation_id).lastReplyMs = Number(r.last_ms);
    return out;
  }

  /** Each conversation's first operator reply sent in [fromMs, untilMs). */
  async firstReplies(ids: readonly string[], fromMs: number, untilMs: number): Promise<Map<string, AnalyticsReplyRow>> {
    const out = new Map<string, AnalyticsReplyRow>();
    if (ids.length === 0) return out;
    const rows = await this.db.selectFrom('outbound_parts as p').select(['p.id', 'p.conversation_id', 'p.sent_at_ms', 'p.operator_id', 'p.operator_name'])
      .where('p.conversation_id', 'in', [...ids]).where('p.sent_at_ms', '>=', fromMs).where('p.sent_at_ms', '<', untilMs).where(NOT_SYSTEM_P)
      .where('p.sent_at_ms', '=', (eb) => eb.selectFrom('outbound_parts as q').select((q) => q.fn.min('q.sent_at_ms').as('first_ms'))
        .whereRef('q.conversation_id', '=', 'p.conversation_id').where('q.sent_at_ms', '>=', fromMs).where('q.sent_at_ms', '<', untilMs)
        .where(sql<boolean>`(q.actor is null or q.actor <> 'system')`))
      .orderBy('p.id').execute();
    for (const r of rows) {
      if (out.has(r.conversation_id)) continue;
      out.set(r.conversation_id, { conversationId: r.conversation_id, atMs: Number(r.sent_at_ms), operatorId: r.operator_id, operatorName: r.operator_name });
    }
    return out;
  }
}
