/**
 * Hold policy `in-flight`. Requests are taken in concurrently: an earlier
 * message may be in a request this process has begun and not yet stored while
 * a later one is already queued. An item (a client's message for the line, an
 * operator reply) goes only once every request this process began no later
 * than the item's own has been stored, refused or dropped — exact, no guess
 * (the registry, with its begin stamps per turn of the event loop, is
 * src/domain/in-flight.ts). A request older than INTAKE_STUCK_MS (a client
 * trickling its body) holds nothing back.
 *
 * Two forms: callers first wait here for what is in flight (`settle`: a few
 * ms, holding the job's slot instead of being planned again and again); an
 * item that arrived after that wait began is then held by `inFlightHold` and
 * looked at again INTAKE_RECHECK_MS later.
 */
import type { InFlightRequests } from '../../domain/in-flight.ts';
import { INTAKE_RECHECK_MS, INTAKE_STUCK_MS } from './constants.ts';
import type { HoldReason } from './hold-reason.ts';

/** The in-flight registry as the gate reads it; without one (tests of other holds), nothing is in flight. */
export class Intake {
  constructor(private readonly requests: InFlightRequests | undefined) {}

  /** Resolves once every request begun at or before `throughMs` is settled (at most INTAKE_STUCK_MS). */
  async settle(throughMs: number, signal?: AbortSignal): Promise<void> {
    await this.requests?.waitSettled(throughMs, INTAKE_STUCK_MS, INTAKE_STUCK_MS, signal);
  }

  /** Everything begun before this moment is settled (+∞ when this process counts no requests). */
  settledMs(): number {
    return this.requests ? this.requests.settledMs(INTAKE_STUCK_MS) : Number.POSITIVE_INFINITY;
  }

  get counted(): boolean {
    return this.requests !== undefined;
  }
}

/** An item that arrived at or after `settledMs` waits, up to `heldAtMostUntilMs` (the line's cap; 0 = off). */
export function inFlightHold(arrivedMs: number, settledMs: number, heldAtMostUntilMs: number, nowMs: number): HoldReason | null {
  return arrivedMs >= settledMs && nowMs < heldAtMostUntilMs ? { hold: 'in-flight', lookAgainAtMs: nowMs + INTAKE_RECHECK_MS } : null;
}
