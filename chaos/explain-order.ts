/**
 * Debugging aid for the chaos run: for a conversation whose operator replies
 * reached MAX out of order, what the bridge's database says — each reply's
 * event (when it was received, its `ts`, its Bitrix24 message id, whether the
 * reconciliation stored it), its job (state, attempts, when it last changed)
 * and when its parts went to MAX, times relative to the run's start.
 */
import { parse as parseForm } from 'qs';
import { systemClock } from '../src/domain/clock.ts';
import { openStore } from '../src/store/open-store.ts';

type Json = Record<string, unknown>;

export async function explainOutboundOrder(databaseUrl: string, externalChatIds: string[], startedMs: number, log: (line: string) => void): Promise<void> {
  const store = await openStore({ databaseUrl, secretKey: 'chaos-only-secret-key-0123456789', clock: systemClock });
  const at = (ms: number | null | undefined) => (ms === null || ms === undefined ? '-' : `${((Number(ms) - startedMs) / 1000).toFixed(3)}s`);
  try {
    const rows = await store.db.selectFrom('jobs').innerJoin('events', 'events.id', 'jobs.event_id')
      .select(['jobs.id as jobId', 'jobs.state', 'jobs.attempts', 'jobs.created_at_ms', 'jobs.updated_at_ms', 'events.id as eventId', 'events.raw', 'events.received_at_ms', 'events.dedupe_key'])
      .where('events.kind', '=', 'ONIMCONNECTORMESSAGEADD').orderBy('jobs.id').execute();
    const parts = await store.db.selectFrom('outbound_parts').select(['bitrix_message_id', 'sent_at_ms', 'conversation_id']).execute();
    const sentAt = new Map(parts.map((p) => [p.bitrix_message_id, p.sent_at_ms]));
    for (const chat of externalChatIds) {
      log(`debug order ${chat}:`);
      for (const r of rows) {
        const form = parseForm(r.raw, { depth: 10 }) as Json;
        const data = (form.data ?? {}) as Json;
        const messages = Object.values((data.MESSAGES ?? {}) as Json) as Json[];
        for (const m of messages) {
          const chatId = String(((m.chat ?? {}) as Json).id ?? '');
          if (chatId !== chat) continue;
          const id = String(((m.im ?? {}) as Json).message_id ?? '');
          const text = String(((m.message ?? {}) as Json).text ?? '');
          log(`  ${text} msg=${id} event=${r.eventId} received=${at(r.received_at_ms)} ts=${String(form.ts)}(${at(Number(form.ts) * 1000)}) `
            + `job=${r.jobId} ${r.state}/${r.attempts} created=${at(r.created_at_ms)} updated=${at(r.updated_at_ms)} sent=${at(sentAt.get(id))}`
            + `${r.dedupe_key.includes('reconciled') || String(form.event_handler_id ?? '') === '' ? ' (reconciled?)' : ''}`);
        }
      }
    }
  } finally {
    await store.close();
  }
}

/**
 * The same for client messages that reached the Open Line out of order: each
 * message's outbox row (MAX time, when the bridge received it, when it was
 * queued, tried and last changed) for these conversations (`<bot>:<chat>`).
 */
export async function explainInboundOrder(databaseUrl: string, conversationIds: string[], startedMs: number, log: (line: string) => void): Promise<void> {
  const store = await openStore({ databaseUrl, secretKey: 'chaos-only-secret-key-0123456789', clock: systemClock });
  const at = (ms: number | null | undefined) => (ms === null || ms === undefined ? '-' : `${((Number(ms) - startedMs) / 1000).toFixed(3)}s`);
  try {
    for (const id of conversationIds) {
      log(`debug order in ${id}:`);
      const rows = await store.db.selectFrom('line_outbox').selectAll().where('conversation_id', '=', id).where('method', '=', 'send').orderBy('sort_key').execute();
      for (const r of rows) {
        const text = String(((JSON.parse(r.item_json) as Json).message as Json | undefined)?.text ?? r.message_key);
        log(`  ${text} ts=${at(r.ts_ms)} arrived=${at(r.arrived_ms)} queued=${at(r.created_at_ms)} tried=${at(r.tried_at_ms)} ${r.state}@${at(r.updated_at_ms)} row=${r.id}`);
      }
    }
  } finally {
    await store.close();
  }
}
