/**
 * Bitrix24 lifecycle events (the `bitrix24.event` job): a deleted line, a
 * connector switched off, or the app uninstalled pause the affected lines, so
 * nothing more is sent there until a reinstall (or the health check) restores
 * them. Operator message events go to the outbound pipeline (outbound.ts);
 * one with no handler wired is kept as a dead letter (BRG_ERR_OUTBOUND_PENDING),
 * visible and replayable, never dropped.
 */
import { parse as parseForm } from 'qs';
import { envelopeOf, messageIdsOf } from '../bitrix24/event-shape.ts';
import { BridgeError } from '../domain/errors.ts';
import { parseConversationId, type ConversationId, type PortalId } from '../domain/ids.ts';
import { BITRIX24_EVENT_JOB, parseJobPayload } from '../queue/job-kinds.ts';
import { NotYet } from '../queue/not-yet.ts';
import type { OrderGate } from './order/gate.ts';
import { describeHold } from './order/hold-reason.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';
import type { HookEmitter } from './hook-events.ts';

export const LINE_DELETED_REASON = 'line deleted in Bitrix24';

export interface LifecycleDeps {
  store: Store;
  nowMs: () => number;
  /** Decides when an operator reply may go (order/gate.ts); required where replies are delivered. */
  gate?: Pick<OrderGate, 'whyNotYetReply' | 'ordersReplies'>;
  /** ONIMCONNECTORMESSAGEADD: the operator's messages to MAX (outbound.ts). */
  onMessagesAdded?: (portalId: string, data: unknown, rerun: boolean, receivedAtMs?: number) => Promise<void>;
  /** ONIMCONNECTORMESSAGEUPDATE / DELETE: edits and deletes in MAX. */
  onMessagesChanged?: (portalId: string, event: 'ONIMCONNECTORMESSAGEUPDATE' | 'ONIMCONNECTORMESSAGEDELETE', data: unknown) => Promise<void>;
  /** ONCRMLEADUPDATE: a converted lead's identity carried to its contact and deal (crm/converted-lead.ts). */
  onLeadUpdated?: (portalId: string, data: unknown) => Promise<void>;
  /** Hook events (hook-events.ts): `conversation.closed` when a session closes; absent = none. */
  hookEvents?: HookEmitter;
}

/** Pauses one line of a portal, or all of them (lineId null). */
export async function pauseLines(deps: LifecycleDeps, portalId: PortalId, lineId: number | null, reason: string): Promise<void> {
  // The first reason stays: a line already paused keeps why it was paused.
  await deps.store.lines.pause(portalId, lineId, reason);
}

/** Problems to report on /ready: every paused line with its reason. */
export async function pausedLineProblems(store: Store): Promise<string[]> {
  const rows = await store.lines.paused();
  return rows.map((r) => `линия ${r.lineId} портала ${r.portalId} приостановлена: ${r.pausedReason ?? ''}`);
}

/** The smallest Bitrix24 message id in an event's MESSAGES (ids grow with time on a portal). */
function firstMessageId(data: unknown): number {
  const ids = messageIdsOf(data);
  return ids.length > 0 ? Math.min(...ids) : Number.POSITIVE_INFINITY;
}

/**
 * Bitrix24 promises no order for its events, and posts them concurrently: an
 * operator's second reply can arrive before the first. A reply's job is put
 * back (NotYet, no worker waits) while the order gate holds it, then delivers
 * first any reply of the same conversation that arrived after it but was
 * written before it (smaller Bitrix24 message id); those jobs later find their
 * parts sent and skip them.
 */
async function earlierRepliesFirst(deps: LifecycleDeps, jobId: number, conversationKey: string, data: unknown): Promise<unknown[]> {
  if (!deps.gate?.ordersReplies) return [];
  const mine = firstMessageId(data);
  const later = await deps.store.jobs.laterPendingEvents(conversationKey, jobId, 'ONIMCONNECTORMESSAGEADD');
  return later.map((raw) => envelopeOf(parseForm(raw, { depth: 10 }))?.data)
    .filter((d) => d !== undefined && firstMessageId(d) < mine)
    .sort((a, b) => firstMessageId(a) - firstMessageId(b));
}

/** The conversations (external chat ids) whose sessions an ONIMCONNECTORDIALOGFINISH closed. */
function finishedConversations(data: unknown): ConversationId[] {
  const items = typeof data === 'object' && data !== null && 'DATA' in data ? (data as { DATA?: unknown }).DATA : undefined;
  const list = Array.isArray(items) ? items : typeof items === 'object' && items !== null ? Object.values(items) : [];
  const ids: ConversationId[] = [];
  for (const item of list) {
    const connector = typeof item === 'object' && item !== null ? (item as { connector?: { chat_id?: unknown } }).connector : undefined;
    const id = parseConversationId(String(connector?.chat_id ?? ''));
    if (id !== null) ids.push(id);
  }
  return ids;
}

/** Releases the conversation's route (its next message is routed afresh) and tells `conversation.closed` with it. */
async function closeConversation(deps: LifecycleDeps, conversationId: ConversationId, portalId: string, eventId: number | null): Promise<void> {
  const events = deps.hookEvents;
  if (!events?.wants('conversation.closed')) {
    await deps.store.conversations.releaseRoute(conversationId);
    return;
  }
  await deps.store.transaction(async (trx) => {
    if (!(await deps.store.conversations.releaseRoute(conversationId, trx))) return;
    const conversation = await deps.store.conversations.get(conversationId, trx);
    await events.emit({
      type: 'conversation.closed', conversationId, key: `closed:${conversationId}:${eventId ?? deps.nowMs()}`,
      data: {
        conversation_id: conversationId, portal: portalId, line: conversation?.lineRef ?? null, route: conversation?.routeName ?? null,
        bitrix_chat_id: conversation?.bitrixChatId ?? null, reason: 'session_finished',
      },
    }, trx);
  });
}

export function lifecycleHandler(deps: LifecycleDeps): JobHandler {
  return async (job) => {
    const event = job.eventId === null ? null : await deps.store.events.get(job.eventId);
    if (!event) return;
    const envelope = envelopeOf(parseForm(event.raw, { depth: 10 }));
    if (!envelope) return;
    const { portalId } = parseJobPayload(BITRIX24_EVENT_JOB, job.payload);
    const data = envelope.data;
    switch (envelope.event) {
      case 'ONIMCONNECTORLINEDELETE':
        await pauseLines(deps, portalId, Number(data), LINE_DELETED_REASON);
        return;
      case 'ONIMCONNECTORSTATUSDELETE':
        await pauseLines(deps, portalId, Number(typeof data === 'object' && data !== null && 'line' in data ? data.line : undefined), 'connector switched off on the line');
        return;
      case 'ONAPPUNINSTALL':
        // Tokens forgotten, events refused from now on; skipped when a re-install already replaced this install.
        if (await deps.store.portals.markUninstalled(portalId, envelope.applicationToken ?? '')) await pauseLines(deps, portalId, null, 'app uninstalled');
        return;
      case 'ONIMCONNECTORMESSAGEADD':
        if (deps.onMessagesAdded) {
          const receivedAtMs = Number(event.received_at_ms);
          const held = await deps.gate?.whyNotYetReply({ portalId, receivedAtMs, tsSeconds: envelope.ts });
          if (held) throw new NotYet(held.lookAgainAtMs, describeHold(held));
          for (const earlier of await earlierRepliesFirst(deps, job.id, job.conversationKey, data)) {
            await deps.onMessagesAdded(portalId, earlier, job.attempt > 1);
          }
          // The event's own messages carry when it was received (metrics: operator → MAX latency).
          return deps.onMessagesAdded(portalId, data, job.attempt > 1, receivedAtMs);
        }
        break;
      case 'ONIMCONNECTORMESSAGEUPDATE':
      case 'ONIMCONNECTORMESSAGEDELETE':
        if (deps.onMessagesChanged) return deps.onMessagesChanged(portalId, envelope.event, data);
        break;
      case 'ONIMCONNECTORDIALOGFINISH':
        // The session closed: the conversation's next message is routed afresh (router.ts).
        for (const conversationId of finishedConversations(data)) await closeConversation(deps, conversationId, portalId, job.eventId);
        return;
      case 'ONIMCONNECTORDIALOGSTART':
        return;
      case 'ONCRMLEADUPDATE':
        await deps.onLeadUpdated?.(portalId, data);
        return;
      default:
        return;
    }
    throw new BridgeError('BRG_ERR_OUTBOUND_PENDING', `${envelope.event}: no handler is wired for this event; replay it once one is`, { retryable: false });
  };
}
