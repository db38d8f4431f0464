/**
 * A leaky-bucket limiter (GCRA form) that makes callers WAIT: the bucket holds
 * `burst` requests and drains `drainPerSecond`. Bitrix24 counts every HTTP
 * request this way per portal (2/s, burst 50; Enterprise 5/s, 250) and answers
 * 503 QUERY_LIMIT_EXCEEDED above it. Slots are reserved synchronously (FIFO).
 *
 * The portal's real bucket may be smaller than configured, or shared with other
 * apps on the same IP. So after a QUERY_LIMIT_EXCEEDED the limiter assumes the
 * bucket is full: it waits for it to drain (at most PENALTY_WAIT_MAX_MS), halves
 * its rate and stops bursting (cautious mode) for `CAUTIOUS_MS`; reservations made before the
 * warning are re-made after it.
 * A limit that warned once is therefore not exceeded again.
 *
 * One request of headroom is kept (the model never fills the last slot): a
 * request that arrives a few ms early because of network jitter still fits.
 */
import type { Clock } from '../clock.ts';

export interface LeakyBucketConfig {
  drainPerSecond: number;
  burst: number;
}

/** How long after the last warning the limiter stays cautious: 60 s. */
export const CAUTIOUS_MS = 60_000;
/** The longest the limiter waits after a warning before it sends again (cautiously). */
export const PENALTY_WAIT_MAX_MS = 1_000;
/** Never slower than a tenth of the configured rate. */
const MIN_FACTOR = 0.1;

interface KeyState {
  /** Theoretical arrival time: when the bucket would be empty again. */
  tat: number;
  /** Bumped by penalize(): reservations made before it are re-made after it. */
  epoch: number;
  factor: number;
  cautiousUntilMs: number;
}

export class LeakyBucketLimiter {
  private readonly state = new Map<string, KeyState>();

  constructor(
    private readonly clock: Clock,
    private readonly configFor: (key: string) => LeakyBucketConfig,
  ) {}

  private stateOf(key: string): KeyState {
    let s = this.state.get(key);
    if (!s) {
      s = { tat: this.clock.nowMs(), epoch: 0, factor: 1, cautiousUntilMs: 0 };
      this.state.set(key, s);
    }
    return s;
  }

  /** The limit in force now: the configured one, or the cautious one after a warning. */
  effective(key: string): LeakyBucketConfig {
    const config = this.configFor(key);
    const s = this.stateOf(key);
    if (this.clock.nowMs() >= s.cautiousUntilMs) {
      s.factor = 1;
      return config;
    }
    return { drainPerSecond: config.drainPerSecond * s.factor, burst: 1 };
  }

  reserve(key: string): number {
    const { drainPerSecond, burst } = this.effective(key);
    const s = this.stateOf(key);
    const intervalMs = 1000 / drainPerSecond;
    const toleranceMs = Math.max(0, burst - 2) * intervalMs;
    const now = this.clock.nowMs();
    const tat = Math.max(s.tat, now);
    const start = Math.max(now, tat - toleranceMs);
    s.tat = Math.max(tat, start) + intervalMs;
    return start - now;
  }

  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const epoch = this.stateOf(key).epoch;
      const waitMs = this.reserve(key);
      if (waitMs > 0) await this.clock.sleep(waitMs, signal);
      // A warning while we slept invalidates our slot: queue again behind it.
      if (this.stateOf(key).epoch === epoch) return;
    }
  }

  /** The server said the bucket is full: assume it is, slow down, stop bursting. */
  penalize(key: string): void {
    const config = this.configFor(key);
    const s = this.stateOf(key);
    const now = this.clock.nowMs();
    s.factor = Math.max(MIN_FACTOR, s.factor * 0.5);
    s.cautiousUntilMs = now + CAUTIOUS_MS;
    // Wait for the assumed-full bucket to drain, but at most PENALTY_WAIT_MAX_MS: after that
    // at least a couple of slots are free, and at half the drain rate or slower the bucket
    // empties faster than we fill it, so the limit is not hit again — without stalling for a
    // whole burst's drain (25 s on the standard plan) on every warning.
    s.tat = Math.max(s.tat, now) + Math.min((config.burst * 1000) / config.drainPerSecond, PENALTY_WAIT_MAX_MS);
    s.epoch += 1;
  }

  /**
   * Another process drove this key until now (a lease taken over): its bucket
   * may still be full, so start as if it were.
   */
  assumeFull(key: string): void {
    const { drainPerSecond, burst } = this.configFor(key);
    const s = this.stateOf(key);
    s.tat = Math.max(s.tat, this.clock.nowMs() + (burst * 1000) / drainPerSecond);
  }

  /** Requests currently "in the bucket" by this model (for metrics and tests). */
  level(key: string): number {
    const { drainPerSecond } = this.effective(key);
    return Math.max(0, (this.stateOf(key).tat - this.clock.nowMs()) / (1000 / drainPerSecond));
  }
}
