/**
 * Operator files uploaded to MAX and waiting to be sent (`outbound_uploads`,
 * src/bridge/outbound-uploads.ts): the attachment MAX gave for the upload, per
 * part of an operator message, so a retry sends the same upload. Keyed by
 * (conversation, Bitrix24 message id, part).
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { ConversationId } from '../../domain/ids.ts';
import type { Database } from '../schema.ts';

export interface UploadKey {
  conversationId: ConversationId;
  imMessageId: string;
  part: number;
}

/** A MAX attachment as the upload returned it ({type, payload}); kept whole, read back as an object. */
const storedAttachment = z.record(z.string(), z.unknown());
export type UploadAttachment = z.output<typeof storedAttachment>;

export class OutboundUploadRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** The remembered attachment of a part and when it was uploaded; null when none (or unreadable). */
  async get(key: UploadKey): Promise<{ attachment: UploadAttachment; createdAtMs: number } | null> {
    const row = await this.db.selectFrom('outbound_uploads').select(['attachment', 'created_at_ms'])
      .where('conversation_id', '=', key.conversationId).where('bitrix_message_id', '=', key.imMessageId).where('part', '=', key.part)
      .executeTakeFirst();
    if (!row) return null;
    const parsed = storedAttachment.safeParse(JSON.parse(row.attachment));
    // Not an object (damaged): treated as never uploaded, so the file is uploaded again.
    return parsed.success ? { attachment: parsed.data, createdAtMs: Number(row.created_at_ms) } : null;
  }

  /** Remembers a part's upload (replacing an older one) at `nowMs`; rows older than `sweepBeforeMs` are dropped first (left by dead letters). */
  async remember(key: UploadKey, attachment: UploadAttachment, nowMs: number, sweepBeforeMs: number): Promise<void> {
    await this.db.deleteFrom('outbound_uploads').where('created_at_ms', '<', sweepBeforeMs).execute();
    const text = JSON.stringify(attachment);
    await this.db.insertInto('outbound_uploads').values({
      conversation_id: key.conversationId, bitrix_message_id: key.imMessageId, part: key.part, attachment: text, created_at_ms: nowMs,
    }).onConflict((oc) => oc.columns(['conversation_id', 'bitrix_message_id', 'part']).doUpdateSet({ attachment: text, created_at_ms: nowMs })).execute();
  }

  /** The message was delivered: its uploads are no longer needed. */
  async forget(conversationId: ConversationId, imMessageId: string): Promise<void> {
    await this.db.deleteFrom('outbound_uploads').where('conversation_id', '=', conversationId).where('bitrix_message_id', '=', imMessageId).execute();
  }
}
