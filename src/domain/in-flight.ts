/**
 * Requests this process has begun to take in (a MAX webhook, a Bitrix24
 * event) and not yet finished — stored, refused or dropped.
 *
 * Two readers:
 * - the order gate (bridge/order/in-flight-hold.ts): a client's item or an
 *   operator reply goes only once every request this process began no later
 *   than its own is finished — an earlier message of its conversation may be
 *   in one of them, parsed but not yet stored (requests are taken in
 *   concurrently);
 * - with several processes (bridge/peers.ts), the heartbeat tells the others
 *   up to when everything this process began is settled: if it dies holding
 *   an earlier message, the survivor's recovery reads it from MAX's history
 *   before the item goes.
 *
 * Begin times are stamped per turn of the event loop: every request begun in
 * one turn gets the same stamp, the time of the first (`turnStampMs`). Requests
 * whose bytes had reached the process together are taken in during one poll
 * phase, in no particular order; with one stamp for all of them, none of them
 * counts as begun after another, so an item never overtakes a request that
 * reached us alongside its own.
 */
import type { Clock } from './clock.ts';

export class InFlightRequests {
  private next = 0;
  private readonly started = new Map<number, number>();
  private turnMs: number | null = null;
  private readonly waiters = new Set<{ throughMs: number; sinceMs: number; done: () => void }>();

  constructor(
    private readonly clock: Clock,
    /** Runs a callback after the current turn's I/O (setImmediate); injected for tests. */
    private readonly afterTurn: (fn: () => void) => void = (fn) => setImmediate(fn),
  ) {}

  private nowMs(): number {
    return this.clock.nowMs();
  }

  /** The stamp of the current turn of the event loop: the time of its first request. */
  turnStampMs(): number {
    if (this.turnMs === null) {
      this.turnMs = this.nowMs();
      this.afterTurn(() => { this.turnMs = null; });
    }
    return this.turnMs;
  }

  /** A request begins; returns the token to end it with. */
  begin(): number {
    const token = this.next++;
    this.started.set(token, this.turnStampMs());
    return token;
  }

  /** When the request of this token began (its turn's stamp); undefined once it has ended. */
  beganAtMs(token: number): number | undefined {
    return this.started.get(token);
  }

  end(token: number): void {
    this.started.delete(token);
    if (this.waiters.size > 0) for (const w of [...this.waiters]) if (!this.unfinishedThrough(w.throughMs, w.sinceMs)) w.done();
  }

  /**
   * Resolves once every request begun at or before `throughMs` has ended (requests that
   * began more than `ignoreOlderThanMs` before the call are not waited for), or after
   * `timeoutMs` of the clock's time, or when `signal` aborts. A job waits here holding its
   * slot for the few milliseconds requests take, instead of being put back and planned again.
   */
  waitSettled(throughMs: number, timeoutMs: number, ignoreOlderThanMs: number, signal?: AbortSignal): Promise<void> {
    const sinceMs = this.nowMs() - ignoreOlderThanMs;
    if (!this.unfinishedThrough(throughMs, sinceMs) || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timeout = new AbortController();
      const waiter = {
        throughMs, sinceMs,
        done: () => {
          timeout.abort();
          signal?.removeEventListener('abort', waiter.done);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      this.clock.sleep(timeoutMs, timeout.signal).then(waiter.done, () => undefined);
      signal?.addEventListener('abort', waiter.done, { once: true });
      this.waiters.add(waiter);
    });
  }

  private unfinishedThrough(throughMs: number, sinceMs: number): boolean {
    for (const at of this.started.values()) if (at <= throughMs && at >= sinceMs) return true;
    return false;
  }

  /**
   * Everything begun before this moment has ended: the oldest unfinished
   * request's start, or now. Requests older than `ignoreOlderThanMs` (a client
   * trickling its body) are not waited for.
   */
  settledMs(ignoreOlderThanMs = Number.POSITIVE_INFINITY): number {
    const now = this.nowMs();
    let oldest = now;
    for (const at of this.started.values()) if (at < oldest && now - at <= ignoreOlderThanMs) oldest = at;
    return oldest;
  }

  get size(): number {
    return this.started.size;
  }

  /** Callers waiting in `waitSettled` now (a test sees that the order gate holds an item for a request still arriving). */
  get waiting(): number {
    return this.waiters.size;
  }
}
