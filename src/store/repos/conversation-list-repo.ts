/**
 * The admin UI's list of conversations (src/admin/pages/conversations.ts): a page of them,
 * most recently changed first, with the filters people use (bot, line, route, state, a search
 * on the client), each with what the list shows beside it — the gate a check holds it by, and
 * its last message either way (when, and where its text can be read from).
 *
 * Reads only. The texts stay as the tables hold them (the line outbox item as sent to the
 * line, the operator's Bitrix24 event as received): the page masks them for its reader.
 *
 * State, as the list tells it (one word per conversation, the first that holds):
 * `held` (a check holds it), `blocked` (blocked by a check or an administrator, or by the
 * client), `closed` (its Open Lines session closed: the next message is routed afresh),
 * `active`.
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import { parseLineRef, portalOfLine } from '../../domain/ids.ts';
import type { Database } from '../schema.ts';

export const CONVERSATION_LIST_STATES = ['active', 'held', 'blocked', 'closed'] as const;
export type ConversationListState = (typeof CONVERSATION_LIST_STATES)[number];

/** Most conversations one page of the list holds. */
export const CONVERSATION_PAGE_MAX = 200;

export interface ConversationListQuery {
  botId?: string;
  lineRef?: string;
  routeName?: string;
  state?: ConversationListState;
  /**
   * A client: the conversation id or a part of it, the MAX user or chat id; with
   * `personal`, also the digits of their shared phone and the start of their name as the line
   * got it (a viewer, who sees these masked, may not probe them by searching).
   */
  search?: string;
  personal?: boolean;
  offset?: number;
  limit?: number;
}

export interface ConversationListItem {
  id: string;
  botId: string;
  maxChatId: string;
  maxUserId: string | null;
  lineRef: string;
  routeName: string | null;
  state: ConversationListState;
  clientPhone: string | null;
  tags: string[];
  updatedAtMs: number;
  createdAtMs: number;
  /** The latest client message queued for the line: `item` is the line item (`{user, message: {text, files}, chat}`) as JSON. */
  lastIn: { atMs: number; itemJson: string } | null;
  /** The latest operator message sent to MAX: its Bitrix24 id and the stored event(s) that carried it (the text is in there). */
  lastOut: { atMs: number; bitrixMessageId: string; eventRaws: string[] } | null;
}

export interface ConversationListPage {
  rows: ConversationListItem[];
  /** Another page follows this one. */
  more: boolean;
}

/** The values the list's filters offer: what the conversations hold. */
export interface ConversationFacets {
  bots: string[];
  lines: string[];
  routes: string[];
}

/** The event an operator's message arrives in; its dedupe key is `<kind>:<im.message_id>` (domain/dedupe-keys.ts). */
const OPERATOR_MESSAGE_EVENT = 'ONIMCONNECTORMESSAGEADD';
/** Distinct values a filter lists at most. */
const FACET_MAX = 500;

type ListEb = ExpressionBuilder<Database & { g: Database['conversation_gates'] }, 'conversations' | 'g'>;

function tagsOf(json: string | null): string[] {
  if (!json) return [];
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

/** `%` and `_` are LIKE's wildcards; a search means them literally, so they are left out. */
const likeSafe = (text: string) => text.replace(/[%_\\]/g, '');

function stateOf(r: { state: string; route_open: number | string; gate: string | null }): ConversationListState {
  if (r.gate === 'hold') return 'held';
  if (r.gate === 'block' || r.state === 'blocked') return 'blocked';
  return Number(r.route_open) === 1 ? 'active' : 'closed';
}

function stateCondition(eb: ListEb, state: ConversationListState): Expression<SqlBool> {
  switch (state) {
    case 'held':
      return eb('g.verdict', '=', 'hold');
    case 'blocked':
      return eb.and([eb.or([eb('g.verdict', 'is', null), eb('g.verdict', '!=', 'hold')]), eb.or([eb('g.verdict', '=', 'block'), eb('conversations.state', '=', 'blocked')])]);
    case 'closed':
      return eb.and([eb('g.verdict', 'is', null), eb('conversations.state', '=', 'active'), eb('conversations.route_open', '=', 0)]);
    case 'active':
      return eb.and([eb('g.verdict', 'is', null), eb('conversations.state', '=', 'active'), eb('conversations.route_open', '=', 1)]);
  }
}

export class ConversationListRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async list(query: ConversationListQuery): Promise<ConversationListPage> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), CONVERSATION_PAGE_MAX);
    const offset = Math.max(query.offset ?? 0, 0);
    let q = this.db.selectFrom('conversations').leftJoin('conversation_gates as g', 'g.conversation_id', 'conversations.id')
      .select(['conversations.id', 'conversations.bot_id', 'conversations.max_chat_id', 'conversations.max_user_id', 'conversations.line_ref',
        'conversations.route_name', 'conversations.state', 'conversations.route_open', 'conversations.client_phone', 'conversations.tags_json',
        'conversations.created_at_ms', 'conversations.updated_at_ms', 'g.verdict as gate']);
    if (query.botId !== undefined) q = q.where('conversations.bot_id', '=', query.botId);
    if (query.lineRef !== undefined) q = q.where('conversations.line_ref', '=', query.lineRef);
    if (query.routeName !== undefined) q = q.where('conversations.route_name', '=', query.routeName);
    const state = query.state;
    if (state !== undefined) q = q.where((eb) => stateCondition(eb as unknown as ListEb, state));
    const search = likeSafe(query.search?.trim() ?? '');
    if (search !== '') {
      const digits = search.replace(/\D/g, '');
      const name = search.replace(/"/g, '');
      q = q.where((eb) => eb.or([
        eb('conversations.id', 'like', `%${search}%`),
        eb('conversations.max_user_id', '=', search),
        eb('conversations.max_chat_id', '=', search),
        ...(query.personal && digits.length >= 3 ? [eb('conversations.client_phone', 'like', `%${digits}%`)] : []),
        // The name as the line got it (`user.name`, `user.last_name` of a line item), from its start.
        ...(query.personal ? [eb.exists(eb.selectFrom('line_outbox as o').select('o.id').whereRef('o.conversation_id', '=', 'conversations.id')
          .where((o) => o.or([o('o.item_json', 'like', `%"name":"${name}%`), o('o.item_json', 'like', `%"last_name":"${name}%`)])))] : []),
      ]));
    }
    const raws = await q.orderBy('conversations.updated_at_ms', 'desc').orderBy('conversations.id').limit(limit + 1).offset(offset).execute();
    const page = raws.slice(0, limit);
    const ids = page.map((r) => r.id);
    const [lastIn, lastOut] = [await this.lastInbound(ids), await this.lastOutbound(page)];
    return {
      rows: page.map((r) => ({
        id: r.id, botId: r.bot_id, maxChatId: r.max_chat_id, maxUserId: r.max_user_id, lineRef: r.line_ref, routeName: r.route_name,
        state: stateOf(r), clientPhone: r.client_phone, tags: tagsOf(r.tags_json),
        updatedAtMs: Number(r.updated_at_ms), createdAtMs: Number(r.created_at_ms),
        lastIn: lastIn.get(r.id) ?? null, lastOut: lastOut.get(r.id) ?? null,
      })),
      more: raws.length > limit,
    };
  }

  /** The latest client message of one conversation as the line got it (its `user` names the client); null when none is kept. */
  async lastInboundOf(conversationId: string): Promise<{ atMs: number; itemJson: string } | null> {
    return (await this.lastInbound([conversationId])).get(conversationId) ?? null;
  }

  /** Each conversation's latest `send` line item: its newest row (ids grow with time). */
  private async lastInbound(ids: string[]): Promise<Map<string, { atMs: number; itemJson: string }>> {
    const out = new Map<string, { atMs: number; itemJson: string }>();
    if (ids.length === 0) return out;
    const latest = this.db.selectFrom('line_outbox').select((eb) => eb.fn.max('id').as('id'))
      .where('conversation_id', 'in', ids).where('method', '=', 'send').groupBy('conversation_id');
    const rows = await this.db.selectFrom('line_outbox').select(['conversation_id', 'arrived_ms', 'item_json']).where('id', 'in', latest).execute();
    for (const r of rows) out.set(r.conversation_id, { atMs: Number(r.arrived_ms), itemJson: r.item_json });
    return out;
  }

  /** Each conversation's latest operator message sent to MAX, with the events that may carry its text. */
  private async lastOutbound(page: ReadonlyArray<{ id: string; line_ref: string }>): Promise<Map<string, { atMs: number; bitrixMessageId: string; eventRaws: string[] }>> {
    const out = new Map<string, { atMs: number; bitrixMessageId: string; eventRaws: string[] }>();
    if (page.length === 0) return out;
    const latest = this.db.selectFrom('outbound_parts').select((eb) => eb.fn.max('id').as('id'))
      .where('conversation_id', 'in', page.map((r) => r.id)).groupBy('conversation_id');
    const rows = await this.db.selectFrom('outbound_parts').select(['conversation_id', 'bitrix_message_id', 'sent_at_ms']).where('id', 'in', latest).execute();
    const sources = new Set<string>();
    for (const r of page) {
      try {
        sources.add(`bitrix24:${portalOfLine(parseLineRef(r.line_ref))}`);
      } catch {
        // a damaged line ref: its conversation's text is not looked for
      }
    }
    const keys = rows.map((r) => `${OPERATOR_MESSAGE_EVENT}:${r.bitrix_message_id}`);
    const events = keys.length === 0 || sources.size === 0 ? [] : await this.db.selectFrom('events').select(['dedupe_key', 'raw'])
      .where('source', 'in', [...sources]).where('dedupe_key', 'in', keys).execute();
    for (const r of rows) {
      const key = `${OPERATOR_MESSAGE_EVENT}:${r.bitrix_message_id}`;
      out.set(r.conversation_id, { atMs: Number(r.sent_at_ms), bitrixMessageId: r.bitrix_message_id, eventRaws: events.filter((e) => e.dedupe_key === key).map((e) => e.raw) });
    }
    return out;
  }

  /** The bots, lines and routes the conversations name, for the filters. */
  async facets(): Promise<ConversationFacets> {
    const distinct = async (column: 'bot_id' | 'line_ref' | 'route_name') => (await this.db.selectFrom('conversations').select(column).distinct()
      .where(column, 'is not', null).orderBy(column).limit(FACET_MAX).execute()).map((r) => String(r[column]));
    return { bots: await distinct('bot_id'), lines: await distinct('line_ref'), routes: await distinct('route_name') };
  }
}
