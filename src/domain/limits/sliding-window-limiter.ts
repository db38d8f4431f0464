/**
 * A sliding-window limiter that makes callers WAIT rather than fail: at most
 * `limit` calls per `windowMs` per key. Used for MAX (30 requests per second
 * per bot; 2 messages per second per chat). A slot is reserved synchronously,
 * so concurrent callers queue in order. `marginMs` widens the window a little
 * because the server measures on its own clock.
 */
import type { Clock } from '../clock.ts';

export class SlidingWindowLimiter {
  private readonly slots = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly marginMs = 25,
  ) {}

  /** Reserves the next free slot for `key` and returns how long to wait for it. */
  reserve(key: string): number {
    const now = this.clock.nowMs();
    const span = this.windowMs + this.marginMs;
    const list = (this.slots.get(key) ?? []).filter((t) => t > now - span);
    const slot = list.length >= this.limit ? Math.max(now, (list[list.length - this.limit] as number) + span) : now;
    list.push(slot);
    this.slots.set(key, list);
    return slot - now;
  }

  /** How long a call for `key` made now would wait (nothing is reserved). */
  waitMs(key: string): number {
    const now = this.clock.nowMs();
    const span = this.windowMs + this.marginMs;
    const list = (this.slots.get(key) ?? []).filter((t) => t > now - span);
    return list.length >= this.limit ? Math.max(0, (list[list.length - this.limit] as number) + span - now) : 0;
  }

  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    const waitMs = this.reserve(key);
    if (waitMs > 0) await this.clock.sleep(waitMs, signal);
  }

  /** After the server said "too many" anyway: block the key for a full window. */
  penalize(key: string): void {
    const now = this.clock.nowMs();
    this.slots.set(key, Array.from({ length: this.limit }, () => now + this.windowMs));
  }
}
