/**
 * Hold policy `catch-up`. After a restart (or a survivor's recovery for a dead
 * process, peers.ts), every conversation with client messages waiting for the
 * line has a `max.catchup` job (catch-up.ts) that reads the chat's history and
 * queues, in MAX order, what the dead process lost. Until that job has run, the
 * conversation's items wait — however long the read takes (a history read, the
 * bot's limits) — so a message the dead process had stored is not sent before
 * an earlier one it lost. Looked at again every STORED_HOLD_RECHECK_MS.
 */
import type { ConversationId } from '../../domain/ids.ts';
import { MAX_CATCHUP_JOB } from '../../queue/job-kinds.ts';
import type { Store } from '../../store/open-store.ts';
import { STORED_HOLD_RECHECK_MS } from './constants.ts';
import type { HoldReason } from './hold-reason.ts';

/** Of these conversations, those with a catch-up job pending or running (one query). */
export function conversationsCatchingUp(store: Store, conversationIds: ConversationId[]): Promise<Set<string>> {
  return store.outbox.busyConversations(conversationIds, MAX_CATCHUP_JOB, (id) => `max:${id}`);
}

export function catchUpHold(catchingUp: boolean, nowMs: number): HoldReason | null {
  return catchingUp ? { hold: 'catch-up', lookAgainAtMs: nowMs + STORED_HOLD_RECHECK_MS } : null;
}
