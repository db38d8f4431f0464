/**
 * MAX rate limits (spec §1, from the docs): 30 requests per second per bot,
 * and at most 2 messages per second per chat (sends, edits and deletes).
 * Excess gets 429 `too.many.requests` with no Retry-After header.
 * Sliding one-second windows, counted on real time.
 */
const WINDOW_MS = 1_000;

export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly limitPerWindow: number) {}

  /** Records a hit for `key` and returns false when it exceeds the limit. */
  tryHit(key: string, nowMs: number): boolean {
    const recent = (this.hits.get(key) ?? []).filter((t) => nowMs - t < WINDOW_MS);
    if (recent.length >= this.limitPerWindow) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(nowMs);
    this.hits.set(key, recent);
    return true;
  }

  reset(): void {
    this.hits.clear();
  }
}
