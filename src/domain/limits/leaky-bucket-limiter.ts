/**
 * A leaky-bucket limiter (GCRA form) that makes callers WAIT: the bucket holds
 * `burst` requests and drains `drainPerSecond`. Bitrix24 counts every HTTP
 * request this way per portal (2/s, burst 50; Enterprise 5/s, 250), and answers
 * 503 QUERY_LIMIT_EXCEEDED above it. Slots are reserved synchronously (FIFO).
 * After a QUERY_LIMIT_EXCEEDED the model assumes the bucket is full, so the
 * limit is not exceeded again (other apps on the same IP share the bucket).
 */
import type { Clock } from '../clock.ts';

export interface LeakyBucketConfig {
  drainPerSecond: number;
  burst: number;
}

export class LeakyBucketLimiter {
  /** Theoretical arrival time per key: when the bucket would be empty again. */
  private readonly tat = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly configFor: (key: string) => LeakyBucketConfig,
  ) {}

  reserve(key: string): number {
    const { drainPerSecond, burst } = this.configFor(key);
    const intervalMs = 1000 / drainPerSecond;
    const toleranceMs = (burst - 1) * intervalMs;
    const now = this.clock.nowMs();
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const allowAt = tat - toleranceMs;
    const start = Math.max(now, allowAt);
    this.tat.set(key, Math.max(tat, start) + intervalMs);
    return start - now;
  }

  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    const waitMs = this.reserve(key);
    if (waitMs > 0) await this.clock.sleep(waitMs, signal);
  }

  /** The server said the bucket is full: assume it is, from now. */
  penalize(key: string): void {
    const { drainPerSecond, burst } = this.configFor(key);
    const now = this.clock.nowMs();
    this.tat.set(key, Math.max(this.tat.get(key) ?? now, now + (burst * 1000) / drainPerSecond));
  }

  /** Requests currently "in the bucket" by this model (for metrics and tests). */
  level(key: string): number {
    const { drainPerSecond } = this.configFor(key);
    const now = this.clock.nowMs();
    return Math.max(0, ((this.tat.get(key) ?? now) - now) / (1000 / drainPerSecond));
  }
}
