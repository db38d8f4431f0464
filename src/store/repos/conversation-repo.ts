/**
 * Conversations (one MAX dialog bound to one line, sticky once routed) and the
 * message id map (MAX mid ↔ Bitrix24 message / chat / session ids).
 * Get-or-create is an insert-or-ignore on UNIQUE(bot_id, max_chat_id), then a read.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../../domain/clock.ts';
import { makeConversationId, parseBotId, parseConversationId, parseLineRef, type BotId, type ConversationId, type LineRef } from '../../domain/ids.ts';
import { BridgeError } from '../../domain/errors.ts';
import type { ConversationsTable, Database } from '../schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface ConversationRow {
  id: ConversationId;
  botId: BotId;
  maxChatId: string;
  maxUserId: string | null;
  lineRef: LineRef;
  state: 'active' | 'blocked';
  bitrixChatId: string | null;
  /** The client's profile (avatar, profile link) once read from MAX; null before. */
  profile: ClientProfile | null;
  /** Sort key of the latest client message queued for the line; null before the first. */
  lastInboundKey: string | null;
  /** The route that sent it to its line; null when routed before routes had names. */
  routeName: string | null;
  /** Why (src/bridge/router.ts, RouteRecord, as JSON); null when routed before. */
  routeJson: string | null;
  /** Bound to its line; false once its Open Lines session closed (the next message is routed afresh). */
  routeOpen: boolean;
  /** The deep-link payload the client started the bot with (`source_json`), else null. */
  startPayload: string | null;
  /** The phone the client shared as their own, for CRM matching (crm-sync.ts); null when none. */
  clientPhone: string | null;
  /** Tags checks gave it (docs/hooks.md, "Checks"; `tags_json`), in the order given; [] when none. */
  tags: string[];
  createdAtMs: number;
  updatedAtMs: number;
}

/** What getOrCreate makes when the conversation is new. */
export interface NewConversation {
  botId: BotId;
  maxChatId: string;
  maxUserId: string | null;
  lineRef: LineRef;
  sourceJson?: string | null;
  route?: Omit<RouteChoice, 'lineRef'>;
  /** Tags checks gave it before it was routed. */
  tags?: readonly string[];
}

/** Where a routing decision sends a conversation: its line, the route, and why (JSON). */
export interface RouteChoice {
  lineRef: LineRef;
  routeName: string;
  routeJson: string;
}

export interface ClientProfile {
  avatarUrl: string | null;
  profileUrl: string | null;
  /** A group chat's title (GET /chats/{id}, then chat_title_changed): names its conversation. */
  chatTitle?: string | null;
}

/** `profile_json` as written by setProfile; a profile that does not parse is read as none (it is read from MAX again). */
const storedProfile = z.object({
  avatarUrl: z.string().nullable(),
  profileUrl: z.string().nullable(),
  chatTitle: z.string().nullable().optional(),
});

function profileOf(json: string | null): ClientProfile | null {
  if (!json) return null;
  const parsed = storedProfile.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : null;
}

/** `source_json` as written at the start: `{ "payload": … }`; anything else reads as no payload. */
function payloadOf(json: string | null): string | null {
  if (!json) return null;
  const parsed = z.object({ payload: z.string().nullable() }).safeParse(JSON.parse(json));
  return parsed.success ? parsed.data.payload : null;
}

/** `tags_json` as written by setTags; anything else reads as no tags. */
function tagsOf(json: string | null): string[] {
  if (!json) return [];
  try {
    const parsed = z.array(z.string()).safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

function idOf(stored: string): ConversationId {
  const id = parseConversationId(stored);
  if (id === null) throw new BridgeError('BRG_ERR_BAD_ID', `stored conversation id is malformed: ${JSON.stringify(stored.slice(0, 80))}`, { retryable: false });
  return id;
}

function toRow(row: Selectable<ConversationsTable>): ConversationRow {
  const id = idOf(row.id);
  return {
    id, botId: parseBotId(row.bot_id), maxChatId: row.max_chat_id, maxUserId: row.max_user_id, lineRef: parseLineRef(row.line_ref), state: row.state,
    bitrixChatId: row.bitrix_chat_id, profile: profileOf(row.profile_json), lastInboundKey: row.last_inbound_key,
    routeName: row.route_name, routeJson: row.route_json, routeOpen: Number(row.route_open) === 1, startPayload: payloadOf(row.source_json), clientPhone: row.client_phone ?? null,
    tags: tagsOf(row.tags_json ?? null), createdAtMs: Number(row.created_at_ms), updatedAtMs: Number(row.updated_at_ms),
  };
}

export class ConversationRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async getOrCreate(input: NewConversation, db: Db = this.db): Promise<ConversationRow> {
    return (await this.getOrCreateTracked(input, db)).row;
  }

  /** getOrCreate, telling whether this call made the row (`created`) or found it (insert-or-ignore). */
  async getOrCreateTracked(input: NewConversation, db: Db = this.db): Promise<{ row: ConversationRow; created: boolean }> {
    const now = this.clock.nowMs();
    const id = makeConversationId(input.botId, input.maxChatId);
    const res = await db.insertInto('conversations').values({
      id, bot_id: input.botId, max_chat_id: input.maxChatId, max_user_id: input.maxUserId, line_ref: input.lineRef, state: 'active',
      source_json: input.sourceJson ?? null, bitrix_chat_id: null, bitrix_session_id: null, profile_json: null, last_inbound_key: null,
      route_name: input.route?.routeName ?? null, route_json: input.route?.routeJson ?? null, route_open: 1, created_at_ms: now, updated_at_ms: now,
      tags_json: input.tags && input.tags.length > 0 ? JSON.stringify(input.tags) : null,
    }).onConflict((oc) => oc.columns(['bot_id', 'max_chat_id']).doNothing()).executeTakeFirst();
    const row = toRow(await db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    return { row, created: Number(res.numInsertedOrUpdatedRows ?? 0) === 1 };
  }

  /** The conversation's tags now (checks: docs/hooks.md); [] clears them. */
  async setTags(id: ConversationId, tags: readonly string[], db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ tags_json: tags.length > 0 ? JSON.stringify(tags) : null, updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
  }

  /**
   * Routed afresh (its session closed, or moved by hand): bound to `choice.lineRef` now, with
   * the route and why; what still waits in its outbox goes to the new line with it.
   */
  async reroute(id: ConversationId, choice: RouteChoice & { tags?: readonly string[] }, db: Db = this.db): Promise<void> {
    const now = this.clock.nowMs();
    const tags = choice.tags === undefined ? {} : { tags_json: choice.tags.length > 0 ? JSON.stringify(choice.tags) : null };
    await db.updateTable('conversations').set({ line_ref: choice.lineRef, route_name: choice.routeName, route_json: choice.routeJson, route_open: 1, updated_at_ms: now, ...tags })
      .where('id', '=', id).execute();
    await db.updateTable('line_outbox').set({ line_ref: choice.lineRef, updated_at_ms: now })
      .where('conversation_id', '=', id).where('state', '=', 'pending').where('line_ref', '!=', choice.lineRef).execute();
  }

  /** Its Open Lines session closed: the next message is routed afresh (returns whether it was bound). */
  async releaseRoute(id: ConversationId, db: Db = this.db): Promise<boolean> {
    const res = await db.updateTable('conversations').set({ route_open: 0, updated_at_ms: this.clock.nowMs() })
      .where('id', '=', id).where('route_open', '=', 1).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** How many conversations a route has sent to a line (the weighted and round-robin picks). */
  async countRouted(routeName: string, lineRef: LineRef): Promise<number> {
    const row = await this.db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('route_name', '=', routeName).where('line_ref', '=', lineRef).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Conversations bound to a line now (sessions not closed): the fewest-open pick. */
  async countOpen(lineRef: LineRef): Promise<number> {
    const row = await this.db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('line_ref', '=', lineRef).where('route_open', '=', 1).where('state', '=', 'active').executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Conversations (with their bots) active since `sinceMs`: a message or a change to them since then. */
  async activeSince(sinceMs: number): Promise<Array<{ id: ConversationId; botId: BotId }>> {
    const rows = await this.db.selectFrom('conversations').select(['id', 'bot_id']).where('updated_at_ms', '>=', sinceMs).orderBy('id').execute();
    return rows.map((r) => ({ id: idOf(r.id), botId: parseBotId(r.bot_id) }));
  }

  async get(id: ConversationId, db: Db = this.db): Promise<ConversationRow | null> {
    const row = await db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRow(row) : null;
  }

  /** The Open Lines chat of each of these conversations that has one. */
  async bitrixChatsOf(ids: ConversationId[]): Promise<Array<{ id: ConversationId; bitrixChatId: string }>> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('conversations').select(['id', 'bitrix_chat_id'])
      .where('id', 'in', ids).where('bitrix_chat_id', 'is not', null).execute();
    return rows.map((r) => ({ id: idOf(r.id), bitrixChatId: r.bitrix_chat_id as string }));
  }

  /** Conversations with an Open Lines chat, changed after `sinceMs` (the reconciliation looks at their history). */
  async recentWithBitrixChat(sinceMs: number): Promise<Array<{ id: ConversationId; lineRef: LineRef; bitrixChatId: string }>> {
    const rows = await this.db.selectFrom('conversations').select(['id', 'line_ref', 'bitrix_chat_id'])
      .where('bitrix_chat_id', 'is not', null).where('updated_at_ms', '>', sinceMs).execute();
    return rows.map((r) => ({ id: idOf(r.id), lineRef: parseLineRef(r.line_ref), bitrixChatId: r.bitrix_chat_id as string }));
  }

  /** The Open Lines chat and session of a conversation; answers whether the session is new to it (a CRM step is due). */
  async setBitrixIds(id: ConversationId, chatId: string | null, sessionId: string | null, db: Db = this.db): Promise<boolean> {
    const before = await db.selectFrom('conversations').select('bitrix_session_id').where('id', '=', id).executeTakeFirst();
    const isNew = sessionId !== null && before !== undefined && before.bitrix_session_id !== sessionId;
    await db.updateTable('conversations').set({ bitrix_chat_id: chatId, bitrix_session_id: sessionId, updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
    return isNew;
  }

  async setClientPhone(id: ConversationId, phone: string, db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ client_phone: phone, updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
  }

  async setProfile(id: ConversationId, profile: ClientProfile, db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ profile_json: JSON.stringify(profile), updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
  }

  /** Moves the conversation's "latest client message" mark forward (never back). */
  async advanceInboundKey(id: ConversationId, sortKey: string, db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ last_inbound_key: sortKey })
      .where('id', '=', id).where((eb) => eb.or([eb('last_inbound_key', 'is', null), eb('last_inbound_key', '<', sortKey)])).execute();
  }

  /** The latest start payload (deep link, UTM) is the conversation's source. */
  async setSource(id: ConversationId, sourceJson: string, db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ source_json: sourceJson, updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
  }

  async setState(id: ConversationId, state: 'active' | 'blocked', db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ state, updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
  }

  /** Records an inbound message delivered to the line (idempotent on the MAX mid). */
  async recordInbound(conversationId: ConversationId, maxMid: string, state: string, db: Db = this.db): Promise<void> {
    const now = this.clock.nowMs();
    await db.insertInto('messages').values({
      conversation_id: conversationId, direction: 'in', max_mid: maxMid, bitrix_message_id: null, state, created_at_ms: now, updated_at_ms: now,
    }).onConflict((oc) => oc.columns(['conversation_id', 'direction', 'max_mid']).doUpdateSet({ state, updated_at_ms: now })).execute();
  }

  async inboundState(conversationId: ConversationId, maxMid: string): Promise<string | null> {
    const row = await this.db.selectFrom('messages').select('state').where('conversation_id', '=', conversationId)
      .where('direction', '=', 'in').where('max_mid', '=', maxMid).executeTakeFirst();
    return row?.state ?? null;
  }
}
