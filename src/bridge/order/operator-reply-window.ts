/**
 * Hold policy `operator-window` (the order gate, gate.ts): how long an
 * operator reply waits for earlier ones still on their way. Bitrix24 promises no order for its events and posts them concurrently; on a
 * loaded portal or bridge an event can come a second late, after a reply the
 * operator wrote later. The wait is the configured base, or — when events come
 * late — OPERATOR_WINDOW_SAFETY_FACTOR × the largest recent lateness, up to
 * OPERATOR_WINDOW_CAP_MS.
 *
 * What this process itself is still taking in is not guessed at: a reply waits
 * until every event request begun with or before its own is settled
 * (in-flight-hold.ts). This window is for events late on their way here. Lateness is learned from every event as it is received (the
 * intake), not only when its job runs — under load jobs run late, and by then
 * the reply that needed the longer wait has gone. Two signals:
 * - the event's `ts` (whole seconds): received − ts, compared with the
 *   smallest such value of the portal's recent events, less
 *   EVENT_TS_ROUNDING_MS, is a lower bound of how much later this one came
 *   than the quickest; the offset between the portal's clock and ours cancels out;
 * - the order of Bitrix24 message ids, which grow with time on a portal: an
 *   event whose id is below one received earlier from the same portal (any
 *   chat) was overtaken; it is late by at least the time since the first of
 *   those later-written messages arrived. This sees sub-second lateness the
 *   whole-second `ts` cannot.
 */
import {
  EVENT_TS_ROUNDING_MS, OPERATOR_ARRIVALS_KEPT, OPERATOR_WINDOW_CAP_MS, OPERATOR_WINDOW_HORIZON_MS, OPERATOR_WINDOW_SAFETY_FACTOR,
} from './constants.ts';
import type { HoldReason } from './hold-reason.ts';

export class OperatorReplyWindow {
  private samples: Array<{ atMs: number; lateMs: number }> = [];
  /** Per portal: received − ts of recent events, a sliding minimum (increasing values, oldest first). */
  private readonly quickest = new Map<string, Array<{ atMs: number; offsetMs: number }>>();
  /** Per portal: recent arrivals (first message id, when received), in arrival order. */
  private readonly arrivals = new Map<string, Array<{ id: number; atMs: number }>>();

  /** `baseMs`: `workers.operator_reorder_window_ms`; 0 turns the window off. */
  constructor(readonly baseMs: number) {}

  /**
   * An event received at `receivedAtMs` (stamped `tsSeconds`, carrying these
   * Bitrix24 message ids): learn how late it came. Call once per stored event.
   */
  observe(portalId: string, receivedAtMs: number, tsSeconds: string | null, messageIds: number[]): void {
    if (this.baseMs <= 0) return;
    this.sampleTs(portalId, receivedAtMs, tsSeconds);
    const ids = messageIds.filter((n) => Number.isFinite(n));
    if (ids.length === 0) return;
    const first = Math.min(...ids);
    const list = this.arrivals.get(portalId) ?? [];
    let overtakenSinceMs = Number.POSITIVE_INFINITY;
    for (const a of list) if (a.id > first && a.atMs < overtakenSinceMs) overtakenSinceMs = a.atMs;
    if (Number.isFinite(overtakenSinceMs)) this.sample(receivedAtMs, receivedAtMs - overtakenSinceMs);
    list.push({ id: first, atMs: receivedAtMs });
    while (list.length > 0 && (list.length > OPERATOR_ARRIVALS_KEPT || receivedAtMs - (list[0] as { atMs: number }).atMs > OPERATOR_WINDOW_HORIZON_MS)) list.shift();
    this.arrivals.set(portalId, list);
  }

  /** The wait for a reply now. */
  currentMs(nowMs: number): number {
    if (this.baseMs <= 0) return 0;
    this.samples = this.samples.filter((x) => nowMs - x.atMs <= OPERATOR_WINDOW_HORIZON_MS);
    const largest = Math.max(0, ...this.samples.map((x) => x.lateMs));
    return Math.min(Math.max(this.baseMs, OPERATOR_WINDOW_SAFETY_FACTOR * largest), Math.max(this.baseMs, OPERATOR_WINDOW_CAP_MS));
  }

  /**
   * The wait for a reply whose event was received at `receivedAtMs` stamped
   * `tsSeconds` (its own `ts` lateness counted too: another process may have
   * received it).
   */
  windowMs(portalId: string, receivedAtMs: number, tsSeconds: string | null, nowMs: number): number {
    if (this.baseMs <= 0) return 0;
    this.sampleTs(portalId, receivedAtMs, tsSeconds);
    return this.currentMs(nowMs);
  }

  /**
   * The hold for a reply whose event was received at `receivedAtMs`: `operator-window`
   * until the window after it has passed, else null. Learns from its `ts` (windowMs).
   */
  whyNotYet(portalId: string, receivedAtMs: number, tsSeconds: string | null, nowMs: number): HoldReason | null {
    const dueAtMs = receivedAtMs + this.windowMs(portalId, receivedAtMs, tsSeconds, nowMs);
    return dueAtMs > nowMs ? { hold: 'operator-window', lookAgainAtMs: dueAtMs } : null;
  }

  private sampleTs(portalId: string, receivedAtMs: number, tsSeconds: string | null): void {
    const ts = Number(tsSeconds);
    if (tsSeconds === null || tsSeconds === '' || !Number.isFinite(ts) || ts <= 0) return;
    const offsetMs = receivedAtMs - ts * 1000;
    const list = this.quickest.get(portalId) ?? [];
    while (list.length > 0 && (list.at(-1) as { offsetMs: number }).offsetMs >= offsetMs) list.pop();
    list.push({ atMs: receivedAtMs, offsetMs });
    while (list.length > 1 && receivedAtMs - (list[0] as { atMs: number }).atMs > OPERATOR_WINDOW_HORIZON_MS) list.shift();
    this.quickest.set(portalId, list);
    this.sample(receivedAtMs, offsetMs - (list[0] as { offsetMs: number }).offsetMs - EVENT_TS_ROUNDING_MS);
  }

  private sample(atMs: number, lateMs: number): void {
    if (lateMs > 0) this.samples.push({ atMs, lateMs });
  }
}
