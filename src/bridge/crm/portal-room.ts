/**
 * CRM steps use only the room the conversations' messages leave on a portal. A portal takes
 * 2 requests a second on the standard plan (spec bitrix24-rest §8), and forty new
 * conversations at once would otherwise spend the bucket on CRM reads while their messages
 * wait. So before each CRM call: a portal held (blocked, unreachable: side-hold.ts) is not
 * called at all — its probes are the messages' — and a bucket more than half full (by this
 * process's model of it) is left to the messages. The step is put back (NotYet: no worker
 * waits, no attempt counted) until the bucket has drained to half.
 */
import type { Bitrix24Client } from '../../bitrix24/client.ts';
import { NotYet } from '../../queue/not-yet.ts';

/** The shortest put-back: a CRM step is not urgent, and each look costs a claim. */
const MIN_WAIT_MS = 2_000;

/** A held portal is looked at again after this long. */
const HELD_LOOK_AGAIN_MS = 5_000;

/** How long a CRM call should wait for room on the portal, or null when it may go now. */
export function waitForRoomMs(bitrix: Pick<Bitrix24Client, 'holds' | 'limiter'>, portalId: string, nowMs: number): number | null {
  if (bitrix.holds.heldUntilMs(portalId, nowMs) !== null || bitrix.holds.states().some((h) => h.side === portalId)) return HELD_LOOK_AGAIN_MS;
  const { drainPerSecond, burst } = bitrix.limiter.effective(portalId);
  const level = bitrix.limiter.level(portalId);
  const room = burst / 2;
  if (level <= room) return null;
  return Math.max(MIN_WAIT_MS, Math.ceil(((level - room) / drainPerSecond) * 1_000));
}

/** Throws NotYet unless a CRM call may go now. */
export function ensureRoomForCrm(bitrix: Pick<Bitrix24Client, 'holds' | 'limiter'>, portalId: string, nowMs: number): void {
  const waitMs = waitForRoomMs(bitrix, portalId, nowMs);
  if (waitMs !== null) throw new NotYet(nowMs + waitMs, 'the portal\'s requests go to messages first');
}
