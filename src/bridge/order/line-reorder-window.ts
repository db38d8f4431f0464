/**
 * Hold policy `reorder-window` (the order gate, gate.ts): when may a client's
 * item go to the line without overtaking an earlier message of the same
 * conversation that is still on its way to us?
 *
 * Two things can put a later message ahead of an earlier one:
 * 1. Inside this process. Webhooks are taken in concurrently: an earlier one
 *    may be parsed but not stored while a later one is already queued. The
 *    flush holds an item until every request this process began no later than
 *    the item's own has settled (in-flight-hold.ts). That is exact; no
 *    window is needed for it.
 * 2. Before the request reaches us. MAX may send webhooks concurrently and one
 *    can straggle on the way. An update carries no sequence number that would
 *    show the gap, so this window learns from what the line sees: an update
 *    that arrives after one MAX stamped later was overtaken; how much longer
 *    its way took than the other's is its straggle (straggleMs). An item goes
 *    LINE_WINDOW_SAFETY_FACTOR × the largest straggle of the last
 *    LINE_WINDOW_HORIZON_MS (plus LINE_WINDOW_MARGIN_MS) after it arrived —
 *    less however late it came itself, against the line's quickest recent way
 *    here — never later than `capMs` (`workers.line_reorder_window_ms`) after.
 *    A line that sees no overtakes holds items for the margin only; one whose
 *    deliveries straggle holds them as long as the straggles actually were.
 *
 * Delays measured against MAX's time (arrival − timestamp) are not used: they
 * include the offset between MAX's clock and ours and this process's own
 * queueing under load, neither of which reorders anything, and a window built
 * on them holds every item for that long. Overtakes above the cap (MAX's
 * retries come ≥ 60 s late) are not learned from: no window can wait for
 * those; the catch-up after a restart handles them (catch-up.ts).
 */
import type { PendingOutboxRow } from '../../store/repos/outbox-repo.ts';
import {
  LINE_WINDOW_HORIZON_MS, LINE_WINDOW_MARGIN_MS, LINE_WINDOW_NEIGHBOURS, LINE_WINDOW_PRUNE_EVERY_MS, LINE_WINDOW_SAFETY_FACTOR,
} from './constants.ts';
import type { HoldReason } from './hold-reason.ts';

interface Arrival { id: number; tsMs: number; arrivedMs: number }

/**
 * How much longer the overtaken update took to reach us than the one that
 * overtook it: the gap between their arrivals plus the gap between their MAX
 * times. The clock offset cancels out. A later pair stamped closer together
 * is overtaken by up to this much, so this, not the arrival gap, is learned.
 */
function straggleMs(overtaken: Arrival, overtaker: Arrival): number {
  return overtaken.arrivedMs - overtaker.arrivedMs + (overtaker.tsMs - overtaken.tsMs);
}

class LineArrivals {
  /** Sorted by MAX time. */
  readonly byTs: Arrival[] = [];
  readonly ids = new Set<number>();
  readonly overtakes: Array<{ atMs: number; lateMs: number }> = [];
  /** The quickest recent way here: the smallest arrival − MAX time (clock offset included). */
  quickestMs = Number.POSITIVE_INFINITY;
  /** The largest straggle of `overtakes`, kept as they change (read once per item). */
  maxStraggleMs = 0;
  prunedAtMs = 0;
}

export class LineReorderWindow {
  private readonly lines = new Map<string, LineArrivals>();

  /** `capMs`: `workers.line_reorder_window_ms`; 0 turns the window (and the holds capped by it) off. */
  constructor(readonly capMs: number) {}

  /** Learns from the rows (each row once): which arrived after one MAX stamped later, and by how much. */
  observe(lineRef: string, rows: PendingOutboxRow[], nowMs: number): void {
    let line = this.lines.get(lineRef);
    if (!line) {
      line = new LineArrivals();
      this.lines.set(lineRef, line);
    }
    for (const row of rows) {
      // Known already, or older than the horizon (a backlog read again and again): nothing to learn.
      if (line.ids.has(row.id) || nowMs - row.arrivedMs > LINE_WINDOW_HORIZON_MS) continue;
      line.ids.add(row.id);
      this.insert(line, { id: row.id, tsMs: row.tsMs, arrivedMs: row.arrivedMs }, nowMs);
    }
    if (nowMs - line.prunedAtMs >= LINE_WINDOW_PRUNE_EVERY_MS) this.prune(line, nowMs);
  }

  /** The largest straggle (straggleMs) seen on the line in the last LINE_WINDOW_HORIZON_MS, ms. */
  maxStraggleMs(lineRef: string, nowMs: number): number {
    const line = this.lines.get(lineRef);
    if (!line) return 0;
    if (nowMs - line.prunedAtMs >= LINE_WINDOW_PRUNE_EVERY_MS) this.prune(line, nowMs);
    return line.maxStraggleMs;
  }

  /** The latest an item may be held (its conversation has a later-arrived update still being processed). */
  heldAtMostUntilMs(row: PendingOutboxRow): number {
    return this.capMs <= 0 ? 0 : row.arrivedMs + this.capMs;
  }

  /**
   * An item that came quickly waits the window after it arrived; one that itself came late
   * waits that much less (down to not at all): what was sent before it had the same time to
   * arrive. Counted from the quickest recent way here, so the clocks' offset cancels out.
   */
  eligibleAtMs(lineRef: string, row: PendingOutboxRow, nowMs: number): number {
    if (this.capMs <= 0) return 0;
    const waitMs = Math.min(this.capMs, LINE_WINDOW_SAFETY_FACTOR * this.maxStraggleMs(lineRef, nowMs) + LINE_WINDOW_MARGIN_MS);
    const quickestMs = this.lines.get(lineRef)?.quickestMs ?? Number.POSITIVE_INFINITY;
    return row.tsMs + Math.min(row.arrivedMs - row.tsMs, quickestMs) + waitMs;
  }

  /** The hold: `reorder-window` until `eligibleAtMs`, or null once it has passed. */
  whyNotYet(lineRef: string, row: PendingOutboxRow, nowMs: number): HoldReason | null {
    const atMs = this.eligibleAtMs(lineRef, row, nowMs);
    return atMs > nowMs ? { hold: 'reorder-window', lookAgainAtMs: atMs } : null;
  }

  private insert(line: LineArrivals, a: Arrival, nowMs: number): void {
    const list = line.byTs;
    // Binary search for the first entry MAX stamped later (arrivals come nearly in order: usually the end).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as Arrival).tsMs <= a.tsMs) lo = mid + 1;
      else hi = mid;
    }
    let late = 0;
    // Stamped later by MAX, arrived earlier: this one was overtaken.
    for (let i = lo; i < list.length && i < lo + LINE_WINDOW_NEIGHBOURS; i++) {
      const later = list[i] as Arrival;
      if (later.tsMs > a.tsMs && later.arrivedMs < a.arrivedMs) late = Math.max(late, straggleMs(a, later));
    }
    // Stamped earlier, arrived later (seen first only now, e.g. in another page of the outbox): it was overtaken by this one.
    for (let i = lo - 1; i >= 0 && i >= lo - LINE_WINDOW_NEIGHBOURS; i--) {
      const earlier = list[i] as Arrival;
      if (earlier.tsMs < a.tsMs && earlier.arrivedMs > a.arrivedMs) late = Math.max(late, straggleMs(earlier, a));
    }
    if (late > 0 && late <= this.capMs) {
      line.overtakes.push({ atMs: nowMs, lateMs: late });
      line.maxStraggleMs = Math.max(line.maxStraggleMs, late);
    }
    list.splice(lo, 0, a);
    line.quickestMs = Math.min(line.quickestMs, a.arrivedMs - a.tsMs);
  }

  private prune(line: LineArrivals, nowMs: number): void {
    line.prunedAtMs = nowMs;
    const keep = line.byTs.filter((a) => nowMs - a.arrivedMs <= LINE_WINDOW_HORIZON_MS);
    if (keep.length !== line.byTs.length) {
      line.byTs.length = 0;
      for (const a of keep) line.byTs.push(a);
    }
    line.quickestMs = Number.POSITIVE_INFINITY;
    for (const a of keep) line.quickestMs = Math.min(line.quickestMs, a.arrivedMs - a.tsMs);
    const kept = new Set(keep.map((a) => a.id));
    for (const id of line.ids) if (!kept.has(id)) line.ids.delete(id);
    const fresh = line.overtakes.filter((o) => nowMs - o.atMs <= LINE_WINDOW_HORIZON_MS);
    line.overtakes.length = 0;
    line.maxStraggleMs = 0;
    for (const o of fresh) {
      line.overtakes.push(o);
      line.maxStraggleMs = Math.max(line.maxStraggleMs, o.lateMs);
    }
  }
}
