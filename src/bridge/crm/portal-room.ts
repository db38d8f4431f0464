/**
 * CRM steps use only the room the conversations' messages leave on a portal. A portal takes
 * 2 requests a second on the standard plan (spec bitrix24-rest §8), and forty new
 * conversations at once would otherwise spend it on CRM reads while their messages wait. So
 * before each CRM call:
 * - a portal held (blocked, unreachable: side-hold.ts) is not called at all — its probes are
 *   the messages';
 * - while client messages wait in the outbox of the conversation's line, the line goes first;
 * - a call that would have to wait long for the portal's bucket (this process's model of it)
 *   waits outside it instead, so that the messages that come meanwhile are not queued behind it.
 * The step is put back (NotYet: no worker waits, no attempt counted), 2 s or more.
 */
import type { Bitrix24Client } from '../../bitrix24/client.ts';
import type { LineRef } from '../../domain/ids.ts';
import { NotYet } from '../../queue/not-yet.ts';
import type { Store } from '../../store/open-store.ts';

/** The shortest put-back: a CRM step is not urgent, and each look costs a claim. */
const MIN_WAIT_MS = 2_000;
/** A wait for the portal's bucket up to this long is taken in the limiter, not outside it. */
const LIMITER_WAIT_TAKEN_MS = 5_000;
/** A held portal is looked at again after this long. */
const HELD_LOOK_AGAIN_MS = 5_000;

export interface RoomInput {
  bitrix: Pick<Bitrix24Client, 'holds' | 'limiter'>;
  portalId: string;
  /** Client messages waiting in the outbox of the conversation's line. */
  pendingOnLine: number;
  nowMs: number;
}

/** How long a CRM call should wait for room on the portal, or null when it may go now. */
export function waitForRoomMs({ bitrix, portalId, pendingOnLine, nowMs }: RoomInput): number | null {
  if (bitrix.holds.heldUntilMs(portalId, nowMs) !== null || bitrix.holds.states().some((h) => h.side === portalId)) return HELD_LOOK_AGAIN_MS;
  if (pendingOnLine > 0) return MIN_WAIT_MS;
  const { drainPerSecond, burst } = bitrix.limiter.effective(portalId);
  // The limiter lets a call through at once while the bucket holds fewer than burst − 1. A short
  // wait is taken in the limiter (a portal's limiter taken over from another process starts full:
  // resource-leases.ts); a long one outside it.
  const over = bitrix.limiter.level(portalId) - Math.max(0, burst - 2);
  const waitMs = Math.ceil((over / drainPerSecond) * 1_000);
  return waitMs <= LIMITER_WAIT_TAKEN_MS ? null : Math.max(MIN_WAIT_MS, waitMs);
}

/** Throws NotYet unless a CRM call of the conversation on `lineRef` may go now. */
export async function ensureRoomForCrm(store: Pick<Store, 'outbox'>, bitrix: RoomInput['bitrix'], portalId: string, lineRef: LineRef, nowMs: () => number): Promise<void> {
  const pendingOnLine = await store.outbox.countPending(lineRef);
  const waitMs = waitForRoomMs({ bitrix, portalId, pendingOnLine, nowMs: nowMs() });
  if (waitMs !== null) throw new NotYet(nowMs() + waitMs, 'the portal\'s requests go to messages first');
}
