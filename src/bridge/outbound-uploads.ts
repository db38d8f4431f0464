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
import type { ConversationId } from '../domain/ids.ts';
import type { Store } from '../store/open-store.ts';
import type { UploadAttachment, UploadKey } from '../store/repos/outbound-upload-repo.ts';

export type { UploadKey };

/** Reuse an upload for this long; after that, upload again. */
export const UPLOAD_REUSE_MS = 10 * 60_000;
/** Rows older than this are swept (left behind by dead letters). */
const SWEEP_AFTER_MS = 86_400_000;

/** The remembered attachment for this part, else `upload()`'s, remembered. */
export async function rememberedUpload(store: Store, key: UploadKey, nowMs: number, upload: () => Promise<UploadAttachment | null>): Promise<UploadAttachment | null> {
  const remembered = await store.outboundUploads.get(key);
  if (remembered && nowMs - remembered.createdAtMs < UPLOAD_REUSE_MS) return remembered.attachment;
  const attachment = await upload();
  if (!attachment) return null;
  await store.outboundUploads.remember(key, attachment, nowMs, nowMs - SWEEP_AFTER_MS);
  return attachment;
}

/** The message was delivered: its uploads are no longer needed. */
export async function forgetUploads(store: Store, conversationId: ConversationId, imMessageId: string): Promise<void> {
  await store.outboundUploads.forget(conversationId, imMessageId);
}
