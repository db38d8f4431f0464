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
 * late original is a duplicate — with its job, in message order. A message
 * written before the events were purged up to (retention) is left alone: its
 * event may have been received and deleted since.
 */
import { stringify } from 'qs';
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { sessionHistoryOf } from '../bitrix24/session-history.ts';
import { bitrix24DedupeKey } from '../domain/dedupe-keys.ts';
import { lineRefParts, type PortalId } from '../domain/ids.ts';
import { BITRIX24_EVENT_JOB, portalEventQueue } from '../queue/job-kinds.ts';
import type { Store } from '../store/open-store.ts';

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
   * concluded about them; the start tries again (src/runtime/start-bridge.ts), later runs look again.
   */
  unread: number;
}

/**
 * A message written before events were purged up to (retention, src/store/repos/retention-repo.ts)
 * may have been received, its event since deleted: nothing is concluded about it. The margin
 * covers a portal clock ahead of ours (its `date` against our receipt time).
 */
const PURGED_EVENTS_MARGIN_MS = 3_600_000;

export async function reconcileOperatorReplies(deps: ReconcileDeps): Promise<ReconcileReport> {
  const since = deps.nowMs() - (deps.lookbackMs ?? 86_400_000);
  const purgedBeforeMs = await deps.store.retention.eventsPurgedBeforeMs();
  const mayBePurged = (dateMs: number | null) => purgedBeforeMs !== null && dateMs !== null && dateMs <= purgedBeforeMs + PURGED_EVENTS_MARGIN_MS;
  const conversations = await deps.store.conversations.recentWithBitrixChat(since);
  const report: ReconcileReport = { checked: 0, recovered: 0, unread: 0 };
  const byPortal = new Map<PortalId, typeof conversations>();
  for (const c of conversations) {
    const { portalId } = lineRefParts(c.lineRef);
    byPortal.set(portalId, [...(byPortal.get(portalId) ?? []), c]);
  }
  for (const [portalId, list] of byPortal) {
    const bitrix = deps.bitrixFor(portalId);
    if (!bitrix) continue;
    // Reads only: safe to send again after a timeout.
    const outcome = await bitrix.batch(portalId, Object.fromEntries(list.map((c, i) => [`c${i}`, { method: 'imopenlines.session.history.get', params: { CHAT_ID: c.bitrixChatId } }])), { idempotent: true });
    for (const [i, c] of list.entries()) {
      const history = sessionHistoryOf(outcome.results[`c${i}`]);
      if (!history || outcome.errors[`c${i}`] !== undefined) {
        report.unread++;
        continue;
      }
      report.checked++;
      const candidates = history.messages
        .filter((m) => Number(m.authorId) !== 0 && m.connectorMids.length === 0 && !mayBePurged(m.dateMs))
        .sort((a, b) => Number(a.id) - Number(b.id));
      for (const m of candidates) {
        const imMessageId = m.id;
        const known = await deps.store.outboundParts.anySent(c.id, imMessageId) || await deps.store.operatorNotices.isOurs(imMessageId);
        if (known) continue;
        // Client messages were injected by us and carry CONNECTOR_MID, so an author without it is an operator.
        const name = history.nameOf(m.authorId);
        const data = {
          CONNECTOR: deps.connectorId, LINE: String(lineRefParts(c.lineRef).lineId),
          MESSAGES: [{
            im: { chat_id: c.bitrixChatId, message_id: imMessageId },
            message: { user_id: m.authorId, text: `${name ? `[b]${name}:[/b] [br]` : ''}${m.text}` },
            chat: { id: c.id },
          }],
        };
        const dedupeKey = bitrix24DedupeKey('ONIMCONNECTORMESSAGEADD', data);
        const recorded = await deps.store.events.record({
          source: `bitrix24:${portalId}`, kind: 'ONIMCONNECTORMESSAGEADD', dedupeKey,
          raw: stringify({ event: 'ONIMCONNECTORMESSAGEADD', data, reconciled: 'history' }),
          jobs: [{ kind: BITRIX24_EVENT_JOB, conversationKey: portalEventQueue(portalId, c.id), payload: { portalId } }],
        });
        if (!recorded.duplicate) report.recovered++;
      }
    }
  }
  return report;
}
