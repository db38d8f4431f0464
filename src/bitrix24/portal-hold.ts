/**
 * A portal that has blocked the app (OVERLOAD_LIMIT: a manual block for too
 * much load, lifted by Bitrix24 support — spec §8, b24restdocs system-errors)
 * is a pause, not a refusal: the client stops calling it and holds the work;
 * one probe goes through at a growing interval (PROBE_FIRST_MS, doubling up to
 * PROBE_MAX_MS), and the first answer that is not OVERLOAD_LIMIT lifts the
 * hold. Waiting callers learn when the next probe is due (retryAfterMs), so a
 * job can step aside without counting an attempt.
 *
 * In memory, per process: with several processes only the one holding the
 * portal's lease calls it (docs/architecture.md), so only it needs to know.
 */
import { cappedBackoffMs } from '../domain/backoff.ts';
import type { Logger } from '../log/logger.ts';

/** The first probe after the block began: short, as a block may be lifted quickly. */
export const PROBE_FIRST_MS = 3_000;
/** Probes never wait longer than this: a lifted block is noticed within 5 minutes. */
export const PROBE_MAX_MS = 300_000;

/** While a probe is out (up to the request timeout), held callers look again this often. */
const PROBE_PENDING_RECHECK_MS = 1_000;

interface Block {
  sinceMs: number;
  /** Probes answered OVERLOAD_LIMIT so far: the interval is the back-off after that many. */
  failedProbes: number;
  probeIntervalMs: number;
  nextProbeAtMs: number;
  /** A probe was let through and has not answered yet. */
  probing: boolean;
}

export interface PortalHoldOptions {
  logger?: Logger;
  probeFirstMs?: number;
  probeMaxMs?: number;
}

export class PortalHolds {
  private readonly blocks = new Map<string, Block>();

  constructor(private readonly o: PortalHoldOptions = {}) {}

  /** When the portal's block began, or null if it is not blocked. */
  blockedSinceMs(portalId: string): number | null {
    return this.blocks.get(portalId)?.sinceMs ?? null;
  }

  /** Until when a call to the portal must wait (the next probe), or null if it may go now. Does not claim the probe. */
  heldUntilMs(portalId: string, nowMs: number): number | null {
    const block = this.blocks.get(portalId);
    if (!block) return null;
    // A probe is out: wait for its answer (looking again a little later, never in a hot loop).
    if (block.probing) return Math.max(block.nextProbeAtMs, nowMs + PROBE_PENDING_RECHECK_MS);
    return nowMs < block.nextProbeAtMs ? block.nextProbeAtMs : null;
  }

  /** Before a call: null = go (a probe, if the portal is blocked); else the time to wait until. */
  admit(portalId: string, nowMs: number): number | null {
    const held = this.heldUntilMs(portalId, nowMs);
    if (held !== null) return held;
    const block = this.blocks.get(portalId);
    if (block) {
      block.probing = true;
      // Callers arriving while the probe is out wait for the interval after it.
      block.nextProbeAtMs = nowMs + block.probeIntervalMs;
    }
    return null;
  }

  /** The portal answered OVERLOAD_LIMIT: the hold begins, or the probe failed and the interval grows. */
  blocked(portalId: string, nowMs: number): void {
    const intervalMs = (failedProbes: number) => cappedBackoffMs(this.o.probeFirstMs ?? PROBE_FIRST_MS, this.o.probeMaxMs ?? PROBE_MAX_MS, failedProbes + 1);
    const block = this.blocks.get(portalId);
    if (!block) {
      this.blocks.set(portalId, { sinceMs: nowMs, failedProbes: 0, probeIntervalMs: intervalMs(0), nextProbeAtMs: nowMs + intervalMs(0), probing: false });
      this.o.logger?.warn({ component: 'bitrix24-client', portal: portalId, nextProbeInMs: intervalMs(0) },
        'Bitrix24 has blocked the app (OVERLOAD_LIMIT): the portal\'s messages are held and will be delivered when the block lifts');
      return;
    }
    // Calls already in flight when the block began answer too: only a probe's answer grows the interval.
    if (!block.probing) return;
    block.probing = false;
    block.failedProbes += 1;
    block.probeIntervalMs = intervalMs(block.failedProbes);
    block.nextProbeAtMs = nowMs + block.probeIntervalMs;
  }

  /** No answer came (network failure, timeout, abort): a probe is tried again after the same interval. */
  noAnswer(portalId: string, nowMs: number): void {
    const block = this.blocks.get(portalId);
    if (!block?.probing) return;
    block.probing = false;
    block.nextProbeAtMs = nowMs + block.probeIntervalMs;
  }

  /** The portal answered something else: the block, if any, has lifted. */
  answered(portalId: string, nowMs: number): void {
    const block = this.blocks.get(portalId);
    if (!block) return;
    this.blocks.delete(portalId);
    this.o.logger?.info({ component: 'bitrix24-client', portal: portalId, blockedForMs: nowMs - block.sinceMs },
      'Bitrix24 has lifted the block (OVERLOAD_LIMIT): the held messages are being delivered');
  }
}

/** The health problem of a blocked portal, in the words an administrator acts on. */
export function blockedPortalProblem(portalId: string, sinceMs: number): string {
  return `portal ${portalId}: Bitrix24 has blocked the app (OVERLOAD_LIMIT) since ${new Date(sinceMs).toISOString()}; `
    + 'messages are held and will be delivered when the block lifts (ask Bitrix24 support to lift it)';
}
