/**
 * The `client.erased` hook event (docs/hooks.md; docs/privacy.md, "Erasing one client"): the
 * webhooks subscribed to it learn that the bridge erased a client, so the company's systems
 * that keep their own copies (an ERP, a DWH fed by the other events) can erase theirs. It is
 * written by the erasure's last transaction, with the erasure record (ErasureRepo's
 * `onErased`): it exists exactly when the record does, once (its id is derived from the
 * record's). It holds no personal data — the record's id, the subject hash (HMAC of the MAX
 * user id under the bridge's key, as in the record), the rows erased, the time — and no
 * conversation: it goes through each webhook's `bridge` queue.
 */
import type { EraseOptions } from '../store/repos/erasure-repo.ts';
import type { HookEmitter } from './hook-events.ts';

export type ClientErasedData = { erasure_id: number; subject_hash: string; rows_total: number; at: string };

export function clientErasedData(record: { id: number; subjectHash: string; rowsTotal: number; atMs: number }): ClientErasedData {
  return { erasure_id: record.id, subject_hash: record.subjectHash, rows_total: record.rowsTotal, at: new Date(record.atMs).toISOString() };
}

/** The erasure's `onErased`: emits `client.erased` to the webhooks subscribed to it (none: writes nothing). */
export function onClientErased(emitter: HookEmitter): NonNullable<EraseOptions['onErased']> {
  return (trx, record) => emitter.emit({ type: 'client.erased', conversationId: null, key: `erased:${record.id}`, data: clientErasedData(record) }, trx);
}
