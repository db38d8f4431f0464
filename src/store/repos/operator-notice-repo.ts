/**
 * Notices the bridge posted into Open Lines chats (`im.message.add`, SYSTEM): a
 * reply not delivered, an edit refused, the bot down (once per outage). Their ids are remembered because each
 * comes back as an event (NEED_SYSTEM_MESSAGES) and must not be sent to MAX as
 * an operator's reply. Keyed by the Bitrix24 message id (unique per portal).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Database } from '../schema.ts';

export class OperatorNoticeRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Remembers a notice (idempotent: the first reason stays). `conversationId` may name no conversation (a chat of no MAX dialog). */
  async record(bitrixMessageId: string, conversationId: string, reason: string): Promise<void> {
    await this.db.insertInto('operator_notices').values({ bitrix_message_id: bitrixMessageId, conversation_id: conversationId, reason, created_at_ms: this.clock.nowMs() })
      .onConflict((oc) => oc.column('bitrix_message_id').doNothing()).execute();
  }

  /** Whether a notice for this reason was posted in this conversation already (e.g. once per outage: `bot_down:<sinceMs>`). */
  async told(conversationId: string, reason: string): Promise<boolean> {
    const row = await this.db.selectFrom('operator_notices').select('bitrix_message_id')
      .where('conversation_id', '=', conversationId).where('reason', '=', reason).executeTakeFirst();
    return row !== undefined;
  }

  /** Whether this Bitrix24 message is one of our notices. */
  async isOurs(bitrixMessageId: string): Promise<boolean> {
    const row = await this.db.selectFrom('operator_notices').select('bitrix_message_id').where('bitrix_message_id', '=', bitrixMessageId).executeTakeFirst();
    return row !== undefined;
  }
}
