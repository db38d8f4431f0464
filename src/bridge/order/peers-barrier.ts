/**
 * Hold policy `peers` (several bridge processes on one PostgreSQL database).
 * A process killed mid-request loses what it had taken in but not stored; MAX
 * retries that webhook much later, Bitrix24 never resends its event, while
 * another process receives the next message. So an item goes only once every
 * other live process has written a heartbeat (src/bridge/peers.ts) GRACE_MS
 * after the item arrived, with everything it had begun taking in by then
 * settled — proof it did not die holding an earlier message. A dead process's
 * heartbeat stays until a survivor has recovered for it (catch-up,
 * reconciliation), so what it lost is queued first. Costs about one heartbeat
 * of latency; nothing with one process. Looked at again after HEARTBEAT_MS.
 */
import { GRACE_MS, HEARTBEAT_MS } from './constants.ts';
import type { HoldReason } from './hold-reason.ts';

/** Another process's last heartbeat as read by this one. */
export interface PeerBeat {
  id: string;
  beatMs: number;
  /** Up to when every request that process had begun taking in was settled (≤ beatMs). */
  settledMs: number;
}

/** What the barrier reads: the other processes' heartbeats as of this process's last beat. */
export interface PeerHeartbeats {
  others(): readonly PeerBeat[];
}

export function peersHold(others: readonly PeerBeat[], arrivedMs: number, nowMs: number): HoldReason | null {
  return others.every((p) => p.settledMs >= arrivedMs + GRACE_MS) ? null : { hold: 'peers', lookAgainAtMs: nowMs + HEARTBEAT_MS };
}
