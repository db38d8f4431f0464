/**
 * `delivery.failed` for a message the bridge gave up on (docs/hooks.md): a client's update
 * (`max.update`) or an operator's event (`bitrix24.event`) that became a dead letter. Written in
 * the transaction that makes the dead letter (runner `onDead`), so the event exists exactly
 * when the dead letter does; a dead letter replayed and dead again is a new event. A dead
 * `hook.deliver` job marks its delivery failed in the same way (and tells no event: a hook's
 * failure is in the delivery log, not sent to hooks).
 */
import { parse as parseForm } from 'qs';
import { envelopeOf, messageIdsOf } from '../bitrix24/event-shape.ts';
import { parseConversationId } from '../domain/ids.ts';
import { midOfMessage, parseMaxUpdate } from '../max/update.ts';
import { BITRIX24_EVENT_JOB, conversationOfPortalEventQueue, HOOK_DELIVERY_JOB, MAX_UPDATE_JOB } from '../queue/job-kinds.ts';
import type { Store } from '../store/open-store.ts';
import type { ClaimedJob, OnComplete } from '../store/repos/job-repo.ts';
import { hookDeliveryDead } from './hook-delivery.ts';
import type { HookEmitter } from './hook-events.ts';

/** The conversation of a MAX chat's queue (`max:<botId>:<chatId>`), or null. */
function conversationOfMaxQueue(queue: string): string | null {
  return queue.startsWith('max:') ? parseConversationId(queue.slice(4)) : null;
}

export function onDeadLetter(store: Store, hookEvents: HookEmitter) {
  return (job: ClaimedJob, error: { code: string; message: string }): OnComplete | undefined => {
    if (job.kind === HOOK_DELIVERY_JOB) return hookDeliveryDead(store, job.payload);
    if (!hookEvents.wants('delivery.failed')) return undefined;
    const inbound = job.kind === MAX_UPDATE_JOB;
    if (!inbound && job.kind !== BITRIX24_EVENT_JOB) return undefined;
    const conversationId = inbound ? conversationOfMaxQueue(job.conversationKey) : conversationOfPortalEventQueue(job.conversationKey);
    if (conversationId === null) return undefined;
    return async (trx) => {
      const event = job.eventId === null ? undefined : await store.events.get(job.eventId, trx);
      let ids: Record<string, unknown> = {};
      if (event && inbound) {
        const update = parseMaxUpdate(event.raw);
        ids = { mid: update?.message ? midOfMessage(update.message) || null : null, update_type: update?.update_type ?? null };
      } else if (event) {
        const envelope = envelopeOf(parseForm(event.raw, { depth: 10 }));
        ids = { bitrix_message_ids: envelope ? messageIdsOf(envelope.data).map(String) : [], bitrix_event: envelope?.event ?? null };
      }
      await hookEvents.emit({
        type: 'delivery.failed', conversationId, key: `dead:${job.id}:${job.attempt}`,
        data: { conversation_id: conversationId, direction: inbound ? 'inbound' : 'outbound', ...ids, code: error.code, reason: error.message.slice(0, 500), job_id: job.id },
      }, trx);
    };
  };
}
