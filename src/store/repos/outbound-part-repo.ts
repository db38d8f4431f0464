/**
 * The MAX parts of each operator message (`outbound_parts`): one row per part,
 * recorded the moment MAX accepts it, so a retried job never sends a part twice
 * and later edits and deletes find the MAX messages of a Bitrix24 message.
 * Unique on (conversation, Bitrix24 message id, part).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { ConversationId } from '../../domain/ids.ts';
import type { Database } from '../schema.ts';

export interface OutboundPart {
  /** The row's id (to drop one part). */
  id: number;
  part: number;
  /** The MAX message id; null when MAX accepted the part but gave none. */
  maxMid: string | null;
  sentAtMs: number;
}

/**
 * Who wrote an operator message (analytics, docs/analytics.md): an operator (the Bitrix24 user
 * and the name from the line's signature, when known) or the line itself ('system': a greeting,
 * an auto-answer, the close text — not an answer to the client).
 */
export interface PartAuthor {
  actor: 'operator' | 'system';
  operatorId: string | null;
  operatorName: string | null;
}

export class OutboundPartRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** The parts of one operator message, in part order. */
  async partsOf(conversationId: ConversationId, imMessageId: string): Promise<OutboundPart[]> {
    const rows = await this.db.selectFrom('outbound_parts').select(['id', 'part', 'max_mid', 'sent_at_ms']).where('conversation_id', '=', conversationId)
      .where('bitrix_message_id', '=', imMessageId).orderBy('part').execute();
    return rows.map((r) => ({ id: Number(r.id), part: Number(r.part), maxMid: r.max_mid, sentAtMs: Number(r.sent_at_ms) }));
  }

  /** Whether any part of this operator message was sent. */
  async anySent(conversationId: ConversationId, imMessageId: string): Promise<boolean> {
    const row = await this.db.selectFrom('outbound_parts').select('id').where('conversation_id', '=', conversationId)
      .where('bitrix_message_id', '=', imMessageId).executeTakeFirst();
    return row !== undefined;
  }

  /** The MAX mid of a part that was sent (null: sent, no mid known); undefined: not sent. */
  async sentMid(conversationId: ConversationId, imMessageId: string, part: number): Promise<string | null | undefined> {
    const row = await this.db.selectFrom('outbound_parts').select('max_mid').where('conversation_id', '=', conversationId)
      .where('bitrix_message_id', '=', imMessageId).where('part', '=', part).executeTakeFirst();
    return row ? row.max_mid : undefined;
  }

  /** Records a part MAX accepted, with who wrote it when known; a part recorded already keeps its row (the first record wins). */
  async record(conversationId: ConversationId, imMessageId: string, part: number, maxMid: string | null, author?: PartAuthor): Promise<void> {
    await this.db.insertInto('outbound_parts').values({
      conversation_id: conversationId, bitrix_message_id: imMessageId, part, max_mid: maxMid, sent_at_ms: this.clock.nowMs(),
      actor: author?.actor ?? null, operator_id: author?.operatorId ?? null, operator_name: author?.operatorName ?? null,
    }).onConflict((oc) => oc.columns(['conversation_id', 'bitrix_message_id', 'part']).doNothing()).execute();
  }

  /** Records a part sent by an edit (an edit longer than the original): a recorded part gets the new mid, keeping its time. */
  async recordEdited(conversationId: ConversationId, imMessageId: string, part: number, maxMid: string | null): Promise<void> {
    await this.db.insertInto('outbound_parts').values({
      conversation_id: conversationId, bitrix_message_id: imMessageId, part, max_mid: maxMid, sent_at_ms: this.clock.nowMs(),
    }).onConflict((oc) => oc.columns(['conversation_id', 'bitrix_message_id', 'part']).doUpdateSet({ max_mid: maxMid })).execute();
  }

  /** Drops one part (an edit made the message shorter). */
  async forgetPart(id: number): Promise<void> {
    await this.db.deleteFrom('outbound_parts').where('id', '=', id).execute();
  }

  /** Drops every part of an operator message (it was deleted in MAX). */
  async forgetMessage(conversationId: ConversationId, imMessageId: string): Promise<void> {
    await this.db.deleteFrom('outbound_parts').where('conversation_id', '=', conversationId).where('bitrix_message_id', '=', imMessageId).execute();
  }
}
