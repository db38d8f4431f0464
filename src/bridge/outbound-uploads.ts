/**
 * Operator files uploaded to MAX and waiting to be sent. MAX processes an
 * upload before a message may carry it (`attachment.not.ready`, spec §4.3);
 * the job that sends the file is retried with back-off meanwhile, holding its
 * conversation's queue so later replies never overtake the file. A retry must
 * send the SAME upload: a new one would start MAX's processing over, and a file
 * that takes longer than one attempt's in-call retries would never be sent.
 * So the attachment is remembered per part of the operator message until the
 * message is delivered. A remembered upload older than `reuseForMs` is not
 * trusted (MAX documents no token lifetime) and is uploaded again.
 */
import type { Store } from '../store/open-store.ts';

type Json = Record<string, unknown>;

/** Reuse an upload for this long; after that, upload again. */
export const UPLOAD_REUSE_MS = 10 * 60_000;
/** Rows older than this are swept (left behind by dead letters). */
const SWEEP_AFTER_MS = 86_400_000;

export interface UploadKey {
  conversationId: string;
  imMessageId: string;
  part: number;
}

/** The remembered attachment for this part, else `upload()`'s, remembered. */
export async function rememberedUpload(store: Store, key: UploadKey, nowMs: number, upload: () => Promise<Json | null>): Promise<Json | null> {
  const row = await store.db.selectFrom('outbound_uploads').select(['attachment', 'created_at_ms'])
    .where('conversation_id', '=', key.conversationId).where('bitrix_message_id', '=', key.imMessageId).where('part', '=', key.part)
    .executeTakeFirst();
  if (row && nowMs - Number(row.created_at_ms) < UPLOAD_REUSE_MS) return JSON.parse(row.attachment) as Json;
  const attachment = await upload();
  if (!attachment) return null;
  await store.db.deleteFrom('outbound_uploads').where('created_at_ms', '<', nowMs - SWEEP_AFTER_MS).execute();
  await store.db.insertInto('outbound_uploads').values({
    conversation_id: key.conversationId, bitrix_message_id: key.imMessageId, part: key.part,
    attachment: JSON.stringify(attachment), created_at_ms: nowMs,
  }).onConflict((oc) => oc.columns(['conversation_id', 'bitrix_message_id', 'part']).doUpdateSet({
    attachment: JSON.stringify(attachment), created_at_ms: nowMs,
  })).execute();
  return attachment;
}

/** The message was delivered: its uploads are no longer needed. */
export async function forgetUploads(store: Store, conversationId: string, imMessageId: string): Promise<void> {
  await store.db.deleteFrom('outbound_uploads').where('conversation_id', '=', conversationId).where('bitrix_message_id', '=', imMessageId).execute();
}
