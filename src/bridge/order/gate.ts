/**
 * The order gate: the one place that decides whether a message may go yet
 * (docs/architecture.md, "The order gate"). The line flush and the operator
 * reply job ask it; they hold nothing back on their own.
 *
 * Holds, in the order they are asked (the first that applies is the answer):
 *
 *   client item for the line            operator reply to MAX
 *   1. catch-up          (catch-up-hold.ts)
 *   2. in-flight         (in-flight-hold.ts)      1. peers     (put back: NotYet)
 *   3. peers             (peers-barrier.ts)       2. in-flight (waited, ms)
 *   4. earlier-update /  (stored-update-hold.ts)  3. operator-window (put back)
 *      update-in-process                          4. in-flight now (waited, ms)
 *   5. reorder-window    (line-reorder-window.ts)
 *
 * A line's holds read the database once per plan (`forLine`), then answer per
 * item without I/O (`whyNotYet`); a reply's holds are asked once per run of its
 * job (`whyNotYetReply`). The answer is null (it may go) or a HoldReason with
 * the time to look again. Timings: constants.ts; the two windows' caps are
 * configuration (`workers.line_reorder_window_ms`, `workers.operator_reorder_window_ms`).
 */
import type { Clock } from '../../domain/clock.ts';
import type { InFlightRequests } from '../../domain/in-flight.ts';
import type { Store } from '../../store/open-store.ts';
import type { PendingOutboxRow } from '../../store/repos/outbox-repo.ts';
import { catchUpHold, conversationsCatchingUp } from './catch-up-hold.ts';
import { OPERATOR_WINDOW_CAP_MS } from './constants.ts';
import type { HoldReason } from './hold-reason.ts';
import { inFlightHold, Intake } from './in-flight-hold.ts';
import { LineReorderWindow } from './line-reorder-window.ts';
import { OperatorReplyWindow } from './operator-reply-window.ts';
import { peersHold, type PeerHeartbeats } from './peers-barrier.ts';
import { storedUpdateHold, StoredUpdates } from './stored-update-hold.ts';

export interface OrderGateDeps {
  store: Store;
  clock: Clock;
  /** `workers.line_reorder_window_ms`: the longest a client's item waits for an earlier one; 0 = off. */
  lineReorderWindowMs: number;
  /** `workers.operator_reorder_window_ms`: the base wait of an operator reply; 0 = off. */
  operatorReorderWindowMs: number;
  /** The requests this process is taking in (domain/in-flight.ts); absent: none are counted. */
  intake?: InFlightRequests;
  /** Several processes on PostgreSQL: the others' heartbeats (peers.ts); absent with one process. */
  peers?: PeerHeartbeats;
}

/** A line's holds for the rows of one plan. */
export interface LineHolds {
  whyNotYet(row: PendingOutboxRow): HoldReason | null;
}

/** An operator reply: its event, when this process (or another) received it, and its portal's `ts`. */
export interface OperatorReply {
  portalId: string;
  receivedAtMs: number;
  tsSeconds: string | null;
}

export class OrderGate {
  private readonly lineWindow: LineReorderWindow;
  private readonly operatorWindow: OperatorReplyWindow;
  private readonly storedUpdates: StoredUpdates;
  private readonly intake: Intake;

  constructor(private readonly deps: OrderGateDeps) {
    this.lineWindow = new LineReorderWindow(deps.lineReorderWindowMs);
    this.operatorWindow = new OperatorReplyWindow(deps.operatorReorderWindowMs);
    this.storedUpdates = new StoredUpdates(deps.store);
    this.intake = new Intake(deps.intake);
  }

  /**
   * Before a flush plans: what reached this process before now is stored (or refused)
   * first — a request still being taken in may hold an earlier message. A few ms, waited
   * here (holding the job's slot) rather than planned again and again. Off with the window.
   */
  async settleBeforeLinePlan(signal?: AbortSignal): Promise<void> {
    if (this.intake.counted && this.lineWindow.capMs > 0) await this.intake.settle(this.deps.clock.nowMs(), signal);
  }

  /** Reads what a line's holds need for these rows (one query per hold) and learns from them. */
  async forLine(lineRef: string, rows: PendingOutboxRow[]): Promise<LineHolds> {
    const nowMs = this.deps.clock.nowMs();
    this.lineWindow.observe(lineRef, rows, nowMs);
    const conversations = [...new Set(rows.map((r) => r.conversationId))];
    const earliestPendingTs = await this.storedUpdates.earliestUnprocessedTs(conversations);
    const catchingUp = await conversationsCatchingUp(this.deps.store, conversations);
    const settledMs = this.intake.settledMs();
    const others = this.deps.peers?.others() ?? [];
    return {
      whyNotYet: (row) => {
        const heldAtMostUntilMs = this.lineWindow.heldAtMostUntilMs(row);
        return catchUpHold(catchingUp.has(row.conversationId), nowMs)
          ?? inFlightHold(row.arrivedMs, settledMs, heldAtMostUntilMs, nowMs)
          ?? peersHold(others, row.arrivedMs, this.deps.clock.nowMs())
          ?? (earliestPendingTs.has(row.conversationId)
            ? storedUpdateHold(row, earliestPendingTs.get(row.conversationId), heldAtMostUntilMs, nowMs)
            : this.lineWindow.whyNotYet(lineRef, row, nowMs));
      },
    };
  }

  /**
   * Whether an operator reply may go now. Waits (milliseconds) for event requests this
   * process began with or before the reply's own; answers `peers` or `operator-window`
   * (with when to run the reply's job again); before answering null, waits for the event
   * requests being taken in at that moment (a late, earlier-written reply is stored first).
   */
  async whyNotYetReply(reply: OperatorReply): Promise<HoldReason | null> {
    const { clock } = this.deps;
    const barrier = peersHold(this.deps.peers?.others() ?? [], reply.receivedAtMs, clock.nowMs());
    if (barrier) return barrier;
    if (this.intake.counted && this.operatorWindow.currentMs(clock.nowMs()) > 0 && clock.nowMs() < reply.receivedAtMs + OPERATOR_WINDOW_CAP_MS) {
      await this.intake.settle(reply.receivedAtMs);
    }
    const held = this.operatorWindow.whyNotYet(reply.portalId, reply.receivedAtMs, reply.tsSeconds, clock.nowMs());
    if (held || !this.intake.counted || !this.ordersReplies) return held;
    // About to go: an event this process is taking in right now may carry a reply written
    // earlier that came late. Stored first (milliseconds), the reply job finds it and sends it
    // first, as the flush does before it plans.
    await this.intake.settle(clock.nowMs());
    return null;
  }

  /** The event intake saw an operator's message event: learn how late it came (operator-reply-window.ts). */
  observeOperatorEvent(portalId: string, receivedAtMs: number, tsSeconds: string | null, messageIds: number[]): void {
    this.operatorWindow.observe(portalId, receivedAtMs, tsSeconds, messageIds);
  }

  /** Whether replies are put in the operator's order at all (`operator_reorder_window_ms` > 0). */
  get ordersReplies(): boolean {
    return this.operatorWindow.baseMs > 0;
  }
}
