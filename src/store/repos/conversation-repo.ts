/**
 * Conversations (one MAX dialog bound to one line, sticky once routed) and the
 * message id map (MAX mid ↔ Bitrix24 message / chat / session ids).
 * Get-or-create is an insert-or-ignore on UNIQUE(bot_id, max_chat_id), then a read.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Database } from '../schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface ConversationRow {
  id: string;
  botId: string;
  maxChatId: string;
  maxUserId: string | null;
  lineRef: string;
  state: 'active' | 'blocked';
  bitrixChatId: string | null;
  /** The client's profile (avatar, profile link) once read from MAX; null before. */
  profile: ClientProfile | null;
  /** Sort key of the latest client message queued for the line; null before the first. */
  lastInboundKey: string | null;
}

export interface ClientProfile {
  avatarUrl: string | null;
  profileUrl: string | null;
  /** A group chat's title (GET /chats/{id}, then chat_title_changed): names its conversation. */
  chatTitle?: string | null;
}

export class ConversationRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async getOrCreate(input: { botId: string; maxChatId: string; maxUserId: string | null; lineRef: string; sourceJson?: string | null }, db: Db = this.db): Promise<ConversationRow> {
    const now = this.clock.nowMs();
    const id = `${input.botId}:${input.maxChatId}`;
    await db.insertInto('conversations').values({
      id, bot_id: input.botId, max_chat_id: input.maxChatId, max_user_id: input.maxUserId, line_ref: input.lineRef, state: 'active',
      source_json: input.sourceJson ?? null, bitrix_chat_id: null, bitrix_session_id: null, profile_json: null, last_inbound_key: null, created_at_ms: now, updated_at_ms: now,
    }).onConflict((oc) => oc.columns(['bot_id', 'max_chat_id']).doNothing()).execute();
    const row = await db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { id: row.id, botId: row.bot_id, maxChatId: row.max_chat_id, maxUserId: row.max_user_id, lineRef: row.line_ref, state: row.state, bitrixChatId: row.bitrix_chat_id,
      profile: row.profile_json ? JSON.parse(row.profile_json) as ClientProfile : null,
      lastInboundKey: row.last_inbound_key,
    };
  }

  /** Conversations (with their bots) active since `sinceMs`: a message or a change to them since then. */
  async activeSince(sinceMs: number): Promise<Array<{ id: string; botId: string }>> {
    const rows = await this.db.selectFrom('conversations').select(['id', 'bot_id']).where('updated_at_ms', '>=', sinceMs).orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, botId: r.bot_id }));
  }

  async get(id: string, db: Db = this.db): Promise<ConversationRow | null> {
    const row = await db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id, botId: row.bot_id, maxChatId: row.max_chat_id, maxUserId: row.max_user_id, lineRef: row.line_ref, state: row.state,
      bitrixChatId: row.bitrix_chat_id, profile: row.profile_json ? JSON.parse(row.profile_json) as ClientProfile : null, lastInboundKey: row.last_inbound_key,
    };
  }

  async setBitrixIds(id: string, chatId: string | null, sessionId: string | null, db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ bitrix_chat_id: chatId, bitrix_session_id: sessionId, updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
  }

  async setProfile(id: string, profile: ClientProfile, db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ profile_json: JSON.stringify(profile), updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
  }

  /** Moves the conversation's "latest client message" mark forward (never back). */
  async advanceInboundKey(id: string, sortKey: string, db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ last_inbound_key: sortKey })
      .where('id', '=', id).where((eb) => eb.or([eb('last_inbound_key', 'is', null), eb('last_inbound_key', '<', sortKey)])).execute();
  }

  /** The latest start payload (deep link, UTM) is the conversation's source. */
  async setSource(id: string, sourceJson: string, db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ source_json: sourceJson, updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
  }

  async setState(id: string, state: 'active' | 'blocked', db: Db = this.db): Promise<void> {
    await db.updateTable('conversations').set({ state, updated_at_ms: this.clock.nowMs() }).where('id', '=', id).execute();
  }

  /** Records an inbound message delivered to the line (idempotent on the MAX mid). */
  async recordInbound(conversationId: string, maxMid: string, state: string, db: Db = this.db): Promise<void> {
    const now = this.clock.nowMs();
    await db.insertInto('messages').values({
      conversation_id: conversationId, direction: 'in', max_mid: maxMid, bitrix_message_id: null, state, created_at_ms: now, updated_at_ms: now,
    }).onConflict((oc) => oc.columns(['conversation_id', 'direction', 'max_mid']).doUpdateSet({ state, updated_at_ms: now })).execute();
  }

  async inboundState(conversationId: string, maxMid: string): Promise<string | null> {
    const row = await this.db.selectFrom('messages').select('state').where('conversation_id', '=', conversationId)
      .where('direction', '=', 'in').where('max_mid', '=', maxMid).executeTakeFirst();
    return row?.state ?? null;
  }
}
