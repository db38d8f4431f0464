/**
 * When may a client's item go to the line without overtaking an earlier
 * message of the same conversation that is still on its way to us?
 *
 * MAX may deliver webhooks concurrently, so under load a later message can
 * arrive before an earlier one. Each item knows MAX's time of its update (ts)
 * and when we received it (arrived); arrived − ts is its delivery delay
 * (including any offset between MAX's clock and ours — it cancels out). An
 * item goes once we have waited as long as the slowest recent delivery took:
 *   eligible at ts + (largest delay seen on the line in the last HORIZON_MS),
 * but never later than arrived + capMs. A quiet bridge sees delays of a few ms
 * and holds items for a few ms; under load it holds them as long as deliveries
 * actually straggle, up to the cap. Delays above the cap (MAX retries, which
 * come ≥ 60 s late) are not learned from: no window can reorder those, and the
 * catch-up after a restart handles them (catch-up.ts).
 */
import type { PendingOutboxRow } from '../store/repos/outbox-repo.ts';

const HORIZON_MS = 10_000;
/** Deliveries straggle in bursts: wait twice the largest recent delay, plus a little. */
const SAFETY_FACTOR = 2;
const SAFETY_MARGIN_MS = 10;

export class ReorderWatermark {
  private readonly samples = new Map<string, Array<{ atMs: number; delayMs: number; id: number }>>();

  constructor(private readonly capMs: number) {}

  /** Learns the delivery delays of the rows (each row once) and forgets what is older than the horizon. */
  observe(lineRef: string, rows: PendingOutboxRow[], nowMs: number): void {
    let list = this.samples.get(lineRef);
    if (!list) {
      list = [];
      this.samples.set(lineRef, list);
    }
    const known = new Set(list.map((s) => s.id));
    for (const row of rows) {
      const delayMs = row.arrivedMs - row.tsMs;
      if (known.has(row.id) || delayMs > this.capMs) continue;
      list.push({ atMs: row.arrivedMs, delayMs, id: row.id });
    }
    const fresh = list.filter((s) => nowMs - s.atMs <= HORIZON_MS);
    this.samples.set(lineRef, fresh);
  }

  /** The largest recent delivery delay on the line, ms. */
  maxDelayMs(lineRef: string): number {
    return Math.max(0, ...(this.samples.get(lineRef) ?? []).map((s) => s.delayMs));
  }

  /** The latest an item may be held (its conversation has a later-arrived update still being processed). */
  heldAtMostUntilMs(row: PendingOutboxRow): number {
    return this.capMs <= 0 ? 0 : row.arrivedMs + this.capMs;
  }

  eligibleAtMs(lineRef: string, row: PendingOutboxRow): number {
    if (this.capMs <= 0) return 0;
    return Math.min(row.arrivedMs + this.capMs, row.tsMs + SAFETY_FACTOR * this.maxDelayMs(lineRef) + SAFETY_MARGIN_MS);
  }
}
