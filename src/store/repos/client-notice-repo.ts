/**
 * Notices the bridge sent clients in MAX on the company's behalf (see
 * src/bridge/client-wait-notice.ts): remembered so that one episode — the line not
 * taking a conversation's messages — is told once, however long it lasts.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { ConversationId } from '../../domain/ids.ts';
import type { Database } from '../schema.ts';

export type ClientNoticeReason = 'line_wait' | 'ask_phone';

export class ClientNoticeRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Remembers a notice sent to the client of `conversationId`. */
  async record(conversationId: ConversationId, reason: ClientNoticeReason, maxMid: string | null): Promise<void> {
    await this.db.insertInto('client_notices').values({ conversation_id: conversationId, reason, max_mid: maxMid, created_at_ms: this.clock.nowMs() }).execute();
  }

  /** When the latest notice of `reason` went to this conversation's client (ms), or null when none did. */
  async lastSentAtMs(conversationId: ConversationId, reason: ClientNoticeReason): Promise<number | null> {
    const row = await this.db.selectFrom('client_notices').select((eb) => eb.fn.max('created_at_ms').as('last'))
      .where('conversation_id', '=', conversationId).where('reason', '=', reason).executeTakeFirst();
    return row?.last === null || row?.last === undefined ? null : Number(row.last);
  }

  /** How many notices of `reason` went to this conversation's client. */
  async count(conversationId: ConversationId, reason: ClientNoticeReason): Promise<number> {
    const row = await this.db.selectFrom('client_notices').select((eb) => eb.fn.countAll().as('n'))
      .where('conversation_id', '=', conversationId).where('reason', '=', reason).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
