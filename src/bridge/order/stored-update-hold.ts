/**
 * Hold policies `earlier-update` and `update-in-process`. A MAX update is
 * stored (and acknowledged) before its `max.update` job queues the client's
 * item; jobs of different conversations run in parallel, so the line may see a
 * later item of a conversation while an earlier update of it is stored but not
 * processed yet:
 * - an update stamped no later than the item (`earlier-update`) goes first,
 *   however long its job takes — looked at again every STORED_HOLD_RECHECK_MS;
 * - an update stamped later (`update-in-process`) may still queue an earlier
 *   message (a late arrival the catch-up finds, a recovered one): the item
 *   waits for it up to the line's reorder cap after it arrived.
 */
import type { ConversationId } from '../../domain/ids.ts';
import { MAX_UPDATE_JOB } from '../../queue/job-kinds.ts';
import type { Store } from '../../store/open-store.ts';
import type { PendingOutboxRow } from '../../store/repos/outbox-repo.ts';
import { placeOfUpdate } from '../inbound.ts';
import { STORED_HOLD_RECHECK_MS, UPDATE_TS_CACHE_SIZE } from './constants.ts';
import type { HoldReason } from './hold-reason.ts';

/** The MAX times of stored, unprocessed updates, per conversation; each event's body is parsed once. */
export class StoredUpdates {
  private readonly tsByEvent = new Map<number, number>();

  constructor(private readonly store: Store) {}

  /** MAX time of the earliest update each of these conversations has stored but not processed yet. */
  async earliestUnprocessedTs(conversationIds: ConversationId[]): Promise<Map<string, number>> {
    const pendingJobs = await this.store.outbox.pendingEventJobs(conversationIds, MAX_UPDATE_JOB, (c) => `max:${c}`);
    const unknown = pendingJobs.map((j) => j.eventId).filter((id) => !this.tsByEvent.has(id));
    for (const [id, raw] of await this.store.outbox.eventBodies(unknown)) {
      if (this.tsByEvent.size >= UPDATE_TS_CACHE_SIZE) this.tsByEvent.delete(this.tsByEvent.keys().next().value as number);
      this.tsByEvent.set(id, placeOfUpdate(JSON.parse(raw) as Record<string, unknown>).tsMs);
    }
    const earliest = new Map<string, number>();
    for (const { conversationId, eventId } of pendingJobs) {
      const ts = this.tsByEvent.get(eventId) ?? 0;
      earliest.set(conversationId, Math.min(earliest.get(conversationId) ?? ts, ts));
    }
    return earliest;
  }
}

/**
 * `pendingTsMs`: the MAX time of the conversation's earliest unprocessed update (undefined: none);
 * `heldAtMostUntilMs`: the line window's cap after the item arrived (0 with the window off).
 */
export function storedUpdateHold(row: PendingOutboxRow, pendingTsMs: number | undefined, heldAtMostUntilMs: number, nowMs: number): HoldReason | null {
  if (pendingTsMs === undefined) return null;
  if (pendingTsMs <= row.tsMs) return { hold: 'earlier-update', lookAgainAtMs: nowMs + STORED_HOLD_RECHECK_MS };
  return heldAtMostUntilMs > nowMs ? { hold: 'update-in-process', lookAgainAtMs: heldAtMostUntilMs } : null;
}
