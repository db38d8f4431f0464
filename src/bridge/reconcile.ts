/**
 * Lost operator replies. Bitrix24 posts each event once and never retries, so
 * replies written while the bridge was down or unreachable would be lost. On
 * start (after the bridge listens — events arriving meanwhile are stored — and
 * before its jobs run, so they go before anything newer; tried again until it
 * succeeds, up to 30 s), when another process died (peers.ts), and every
 * maintenance run, recent conversations' Open Lines history
 * (`imopenlines.session.history.get`, 50 chats per `batch` request — the spec
 * sheet's recommended path; offline events are marked uncertain for
 * connector events) is compared with what the bridge has seen: an operator
 * message that carries no connector id (never confirmed as delivered), is not
 * one of our notices, and was never received as an event, is stored as the
 * very event the portal would have sent — under the same dedupe key, so a
 * late original is a duplicate — with its job, in message order.
 */
import { stringify } from 'qs';
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { bitrix24DedupeKey } from '../domain/dedupe-keys.ts';
import { BITRIX24_EVENT_JOB } from '../http/plugins/bitrix24-events.ts';
import type { Store } from '../store/open-store.ts';

type Json = Record<string, unknown>;

export interface ReconcileDeps {
  store: Store;
  bitrixFor: (portalId: string) => Bitrix24Client | undefined;
  connectorId: string;
  nowMs: () => number;
  /** Conversations active within this long are checked. Default 24 h. */
  lookbackMs?: number;
}

export interface ReconcileReport {
  checked: number;
  recovered: number;
  /**
   * Chats whose history could not be read (the command failed in the batch): nothing is
   * concluded about them; the start tries again (runtime.ts), later runs look again.
   */
  unread: number;
}

function asList(value: unknown): Json[] {
  if (Array.isArray(value)) return value as Json[];
  if (value && typeof value === 'object') return Object.values(value as Json) as Json[];
  return [];
}

export async function reconcileOperatorReplies(deps: ReconcileDeps): Promise<ReconcileReport> {
  const since = deps.nowMs() - (deps.lookbackMs ?? 86_400_000);
  const conversations = await deps.store.db.selectFrom('conversations').select(['id', 'line_ref', 'bitrix_chat_id'])
    .where('bitrix_chat_id', 'is not', null).where('updated_at_ms', '>', since).execute();
  const report: ReconcileReport = { checked: 0, recovered: 0, unread: 0 };
  const byPortal = new Map<string, typeof conversations>();
  for (const c of conversations) {
    const portalId = c.line_ref.slice(0, c.line_ref.lastIndexOf(':'));
    byPortal.set(portalId, [...(byPortal.get(portalId) ?? []), c]);
  }
  for (const [portalId, list] of byPortal) {
    const bitrix = deps.bitrixFor(portalId);
    if (!bitrix) continue;
    // Reads only: safe to send again after a timeout.
    const outcome = await bitrix.batch(portalId, Object.fromEntries(list.map((c, i) => [`c${i}`, { method: 'imopenlines.session.history.get', params: { CHAT_ID: c.bitrix_chat_id } }])), { idempotent: true });
    for (const [i, c] of list.entries()) {
      const history = outcome.results[`c${i}`] as Json | undefined;
      if (!history || outcome.errors[`c${i}`] !== undefined) {
        report.unread++;
        continue;
      }
      report.checked++;
      const users = (history.users && typeof history.users === 'object' ? history.users : {}) as Json;
      const candidates = asList(history.message)
        .filter((m) => Number(m.author_id) !== 0 && asList((m.params as Json | undefined)?.CONNECTOR_MID).length === 0)
        .sort((a, b) => Number(a.id) - Number(b.id));
      for (const m of candidates) {
        const imMessageId = String(m.id);
        const known = await deps.store.db.selectFrom('outbound_parts').select('id').where('conversation_id', '=', c.id).where('bitrix_message_id', '=', imMessageId).executeTakeFirst()
          ?? await deps.store.db.selectFrom('operator_notices').select('bitrix_message_id').where('bitrix_message_id', '=', imMessageId).executeTakeFirst();
        if (known) continue;
        // Client messages were injected by us and carry CONNECTOR_MID, so an author without it is an operator.
        const name = String(((users[String(m.author_id)] ?? {}) as Json).name ?? '').trim();
        const data = {
          CONNECTOR: deps.connectorId, LINE: c.line_ref.slice(c.line_ref.lastIndexOf(':') + 1),
          MESSAGES: [{
            im: { chat_id: String(c.bitrix_chat_id), message_id: imMessageId },
            message: { user_id: String(m.author_id), text: `${name ? `[b]${name}:[/b] [br]` : ''}${String(m.text ?? '')}` },
            chat: { id: c.id },
          }],
        };
        const dedupeKey = bitrix24DedupeKey('ONIMCONNECTORMESSAGEADD', data);
        const recorded = await deps.store.events.record({
          source: `bitrix24:${portalId}`, kind: 'ONIMCONNECTORMESSAGEADD', dedupeKey,
          raw: stringify({ event: 'ONIMCONNECTORMESSAGEADD', data, reconciled: 'history' }),
          jobs: [{ kind: BITRIX24_EVENT_JOB, conversationKey: `b24:${portalId}:${c.id}`, payload: { portalId } }],
        });
        if (!recorded.duplicate) report.recovered++;
      }
    }
  }
  return report;
}
