/**
 * Requests this process has begun to take in (a MAX webhook, a Bitrix24
 * event) and not yet finished — stored, refused or dropped.
 *
 * Two readers:
 * - the line flush (line-flush.ts): a client's item goes only once every
 *   request this process began no later than the item's own is finished —
 *   an earlier message of its conversation may be in one of them, parsed but
 *   not yet stored (webhooks are taken in concurrently);
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
/** How soon an item held for a request still being taken in is looked at again (they take milliseconds). */
export const INTAKE_RECHECK_MS = 3;
/** A request taking longer than this to arrive (a client trickling its body) holds nothing back. */
export const INTAKE_STUCK_MS = 2_000;

export class InFlightRequests {
  private next = 0;
  private readonly started = new Map<number, number>();
  private turnMs: number | null = null;
  private readonly waiters = new Set<{ throughMs: number; sinceMs: number; done: () => void }>();

  constructor(
    private readonly nowMs: () => number,
    /** Runs a callback after the current turn's I/O (setImmediate); injected for tests. */
    private readonly afterTurn: (fn: () => void) => void = (fn) => setImmediate(fn),
  ) {}

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
   * `timeoutMs`, or when `signal` aborts. A job waits here holding its slot for the few
   * milliseconds requests take, instead of being put back and planned again.
   */
  waitSettled(throughMs: number, timeoutMs: number, signal?: AbortSignal, ignoreOlderThanMs = INTAKE_STUCK_MS): Promise<void> {
    const sinceMs = this.nowMs() - ignoreOlderThanMs;
    if (!this.unfinishedThrough(throughMs, sinceMs) || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = {
        throughMs, sinceMs,
        done: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', waiter.done);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, timeoutMs);
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
}
