/**
 * A side that is down for everyone — a Bitrix24 portal that blocked the app or
 * whose authorisation is gone, a MAX bot whose token was revoked, an API that
 * does not resolve or refuses connections — is held as a whole instead of being
 * hammered by every job: the first such answer begins the hold; one probe goes
 * through at a growing interval (PROBE_FIRST_MS, doubling up to PROBE_MAX_MS,
 * src/domain/backoff.ts); the first answer that is not a side-wide failure lifts
 * it. Callers learn when the next probe is due: a job steps aside until then
 * (SideHeldError: the runner defers it without spending an attempt), so its
 * conversation's later jobs keep waiting behind it and order survives.
 *
 * States of a side (docs/architecture.md): up → degraded (every call for a
 * minute failed in passing — 5xx, timeouts, limits — and none went through;
 * each job retries by its own policy, nothing is held) → down (held since …,
 * why, what to do) → probing (one call let through) → up, or down again with a
 * longer interval. Each change is logged once (warn when it goes degraded or
 * down, info when it comes back), never per call.
 *
 * In memory, per process: with several processes only the one holding the
 * side's resource lease calls it (docs/architecture.md), so only it needs to know.
 */
import { cappedBackoffMs } from './backoff.ts';
import { BridgeError } from './errors.ts';

/** The first probe after a side went down: short, as many outages are. */
export const PROBE_FIRST_MS = 3_000;
/** Probes never wait longer than this: a side that came back is noticed within 5 minutes. */
export const PROBE_MAX_MS = 300_000;

/** A side whose calls have all failed in passing for this long, none going through, is degraded. */
export const DEGRADED_AFTER_MS = 60_000;

/** While a probe is out (up to the request timeout), held callers look again this often. */
const PROBE_PENDING_RECHECK_MS = 1_000;

/** Why a side is down, in the words an administrator acts on. */
export interface SideDownCause {
  /** The stable error code held callers are failed with (docs/errors.md). */
  code: string;
  /** What happened and what to do, in Russian (the administrator's language); no secrets. */
  problem: string;
}

export interface SideHoldState {
  side: string;
  sinceMs: number;
  cause: SideDownCause;
  /** When the next probe may go. */
  nextProbeAtMs: number;
  /** A probe was let through and has not answered yet. */
  probing: boolean;
}

/** A side whose calls fail in passing (not held): since when, with what, and whether that was said. */
export interface SideTroubleState {
  side: string;
  sinceMs: number;
  /** The stable code of the last failure (docs/errors.md). */
  code: string;
  failures: number;
}

interface Trouble {
  sinceMs: number;
  code: string;
  failures: number;
  /** The degraded state was logged (once per streak). */
  said: boolean;
}

interface Block {
  sinceMs: number;
  cause: SideDownCause;
  /** Probes answered with a side-wide failure so far: the interval is the back-off after that many. */
  failedProbes: number;
  nextProbeAtMs: number;
  probing: boolean;
}

/**
 * What a hold logs through: the two levels it uses, structurally (a pino Logger,
 * src/log/logger.ts, fits; src/domain/ imports nothing outside itself).
 */
export interface SideHoldLog {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface SideHoldOptions {
  logger?: SideHoldLog;
  /** The log line's component (e.g. 'bitrix24-client'). */
  component: string;
  /** What the sides are: the log field naming one, and the word before its id in messages. */
  sideKind: 'portal' | 'bot';
  probeFirstMs?: number;
  probeMaxMs?: number;
}

/** A call to a held side was not made: it may be made after `retryAfterMs`. Certain (nothing was sent), retryable. */
export class SideHeldError extends BridgeError {
  constructor(readonly side: string, readonly sinceMs: number, readonly cause_: SideDownCause, retryAfterMs: number) {
    super(cause_.code, `${side} is down since ${new Date(sinceMs).toISOString()}, held until its next probe: ${cause_.problem}`, {
      retryable: true, certain: true, retryAfterMs: Math.max(1, retryAfterMs),
    });
    this.name = 'SideHeldError';
  }
}

export class SideHolds {
  private readonly blocks = new Map<string, Block>();
  private readonly troubles = new Map<string, Trouble>();

  constructor(private readonly o: SideHoldOptions) {}

  private intervalMs(failedProbes: number): number {
    return cappedBackoffMs(this.o.probeFirstMs ?? PROBE_FIRST_MS, this.o.probeMaxMs ?? PROBE_MAX_MS, failedProbes + 1);
  }

  /** When the side went down, or null if it is up. */
  blockedSinceMs(side: string): number | null {
    return this.blocks.get(side)?.sinceMs ?? null;
  }

  get kind(): 'portal' | 'bot' {
    return this.o.sideKind;
  }

  /** Every side held now, for /ready and /metrics. */
  states(): SideHoldState[] {
    return [...this.blocks].map(([side, b]) => ({ side, sinceMs: b.sinceMs, cause: b.cause, nextProbeAtMs: b.nextProbeAtMs, probing: b.probing }));
  }

  /** Until when a call to the side must wait (the next probe), or null if it may go now. Does not claim the probe. */
  heldUntilMs(side: string, nowMs: number): number | null {
    const block = this.blocks.get(side);
    if (!block) return null;
    // A probe is out: wait for its answer (looking again a little later, never in a hot loop).
    if (block.probing) return Math.max(block.nextProbeAtMs, nowMs + PROBE_PENDING_RECHECK_MS);
    return nowMs < block.nextProbeAtMs ? block.nextProbeAtMs : null;
  }

  /** Before a call: null = go (a probe, if the side is held); else the time to wait until. */
  admit(side: string, nowMs: number): number | null {
    const held = this.heldUntilMs(side, nowMs);
    if (held !== null) return held;
    const block = this.blocks.get(side);
    if (block) {
      block.probing = true;
      // Callers arriving while the probe is out wait for the interval after it.
      block.nextProbeAtMs = nowMs + this.intervalMs(block.failedProbes);
    }
    return null;
  }

  /** The error a held caller fails with: the call was not made. */
  heldError(side: string, nowMs: number, heldUntilMs: number): SideHeldError {
    const block = this.blocks.get(side);
    const cause = block?.cause ?? { code: 'BRG_ERR_SIDE_DOWN', problem: `${this.o.sideKind} ${side} is down` };
    return new SideHeldError(`${this.o.sideKind} ${side}`, block?.sinceMs ?? nowMs, cause, heldUntilMs - nowMs);
  }

  /** The side answered a side-wide failure: the hold begins, or the probe failed and the interval grows. */
  blocked(side: string, nowMs: number, cause: SideDownCause): void {
    const block = this.blocks.get(side);
    if (!block) {
      const firstMs = this.intervalMs(0);
      this.blocks.set(side, { sinceMs: nowMs, cause, failedProbes: 0, nextProbeAtMs: nowMs + firstMs, probing: false });
      this.o.logger?.warn({ component: this.o.component, [this.o.sideKind]: side, code: cause.code, nextProbeInMs: firstMs },
        `${this.o.sideKind} ${side} is down: its work is held and goes on, in order, when it is back; one probe at a growing interval. ${cause.problem}`);
      return;
    }
    // Calls already in flight when the hold began answer too: only a probe's answer grows the interval.
    if (!block.probing) return;
    block.probing = false;
    block.failedProbes += 1;
    if (block.cause.code !== cause.code) {
      this.o.logger?.warn({ component: this.o.component, [this.o.sideKind]: side, code: cause.code, was: block.cause.code },
        `${this.o.sideKind} ${side} is still down, for another reason now. ${cause.problem}`);
    }
    block.cause = cause;
    block.nextProbeAtMs = nowMs + this.intervalMs(block.failedProbes);
  }

  /** No answer came (timeout, abort, a reset after sending): a probe is tried again after the same interval. */
  noAnswer(side: string, nowMs: number): void {
    const block = this.blocks.get(side);
    if (!block?.probing) return;
    block.probing = false;
    block.nextProbeAtMs = nowMs + this.intervalMs(block.failedProbes);
  }

  /**
   * A call failed in passing (5xx, a limit, a timeout, a reset): one job's bad luck, or the
   * first minute of an outage. Past DEGRADED_AFTER_MS with no call going through, the side is
   * degraded: said once at warning level, shown on /ready and /metrics.
   */
  troubled(side: string, nowMs: number, code: string): void {
    const trouble = this.troubles.get(side);
    if (!trouble) {
      this.troubles.set(side, { sinceMs: nowMs, code, failures: 1, said: false });
      return;
    }
    trouble.code = code;
    trouble.failures += 1;
    if (!trouble.said && nowMs - trouble.sinceMs >= DEGRADED_AFTER_MS && !this.blocks.has(side)) {
      trouble.said = true;
      this.o.logger?.warn({ component: this.o.component, [this.o.sideKind]: side, code, failures: trouble.failures, failingForMs: nowMs - trouble.sinceMs },
        `${this.o.sideKind} ${side} is degraded: every call for ${Math.round((nowMs - trouble.sinceMs) / 1_000)} s failed (last: ${code}); `
        + 'its work is retried with back-off and goes on, in order, when calls go through again');
    }
  }

  /** Sides failing in passing for at least DEGRADED_AFTER_MS with no call through (held sides are down, not here). */
  degradedStates(nowMs: number): SideTroubleState[] {
    return [...this.troubles].filter(([side, t]) => nowMs - t.sinceMs >= DEGRADED_AFTER_MS && t.failures > 1 && !this.blocks.has(side))
      .map(([side, t]) => ({ side, sinceMs: t.sinceMs, code: t.code, failures: t.failures }));
  }

  /**
   * The side answered something else: the hold, if any, has lifted. `failedCode`: the answer
   * was a failure in passing (a 5xx, a limit), which continues the streak (troubled); any
   * other answer ends it.
   */
  answered(side: string, nowMs: number, failedCode?: string): void {
    const trouble = this.troubles.get(side);
    if (failedCode !== undefined) this.troubled(side, nowMs, failedCode);
    else if (trouble) {
      this.troubles.delete(side);
      if (trouble.said) {
        this.o.logger?.info({ component: this.o.component, [this.o.sideKind]: side, was: trouble.code, degradedForMs: nowMs - trouble.sinceMs },
          `${this.o.sideKind} ${side} answers again: no longer degraded`);
      }
    }
    const block = this.blocks.get(side);
    if (!block) return;
    this.blocks.delete(side);
    this.o.logger?.info({ component: this.o.component, [this.o.sideKind]: side, was: block.cause.code, downForMs: nowMs - block.sinceMs },
      `${this.o.sideKind} ${side} is back: the held work is being delivered`);
  }
}
