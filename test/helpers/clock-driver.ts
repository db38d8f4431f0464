/**
 * Hours of a bridge's life in seconds: the bridge runs on a ManualClock, and the
 * test moves it forward — in big steps only while nothing is happening (no job
 * running, no request being taken in, no job due), so no lease lapses and no
 * retry is skipped: the clock jumps to the next job that falls due (or one
 * `stepMs` on, 30 s: below a job's lease, so a claim racing a jump keeps it). While work is under way it moves slowly (`busyTickMs` per few
 * real milliseconds), so waits inside a job (limiters, in-call retries, the
 * order gate's windows) pass too. The emulators keep real time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bridge } from '../../src/runtime/start-bridge.ts';
import type { ManualClock } from './manual-clock.ts';

export interface DriveOptions {
  /** The largest jump while idle (default 1 minute): a probe or maintenance due later is not skipped past. */
  stepMs?: number;
  /** How far the clock moves per turn while work is under way (default 100 ms: an in-call back-off of 0.5–5 s passes in a few dozen turns). */
  busyTickMs?: number;
  /** Real time one call may take before it fails naming what keeps the bridge busy (default 240 s). */
  realLimitMs?: number;
}

/** Moves `clock` to `untilMs`, letting the bridge do everything that falls due on the way. */
export async function driveClockTo(clock: ManualClock, bridge: Bridge, untilMs: number, o: DriveOptions = {}): Promise<void> {
  const stepMs = o.stepMs ?? 30_000;
  const busyTickMs = o.busyTickMs ?? 100;
  const realDeadline = Date.now() + (o.realLimitMs ?? 240_000);
  let busySinceMs: number | null = null;
  while (clock.nowMs() < untilMs) {
    if (Date.now() > realDeadline) {
      // A job that never ends keeps the clock crawling: name it rather than let the test time out blind.
      throw new Error(`driveClockTo: not at +${Math.round((untilMs - clock.nowMs()) / 1000)} s after ${o.realLimitMs ?? 240_000} ms of real time; busy since bridge time ${busySinceMs === null ? '-' : new Date(busySinceMs).toISOString()}; running ${JSON.stringify(bridge.runner.running)}; requests in flight ${bridge.inFlight.size}`);
    }
    // Whatever is due is claimed now; a job waiting behind its conversation's retrying head is not, and does not count.
    bridge.runner.poke();
    await sleep(3);
    const now = clock.nowMs();
    if (bridge.runner.inflightCount > 0 || bridge.inFlight.size > 0) {
      busySinceMs ??= now;
      await clock.advance(Math.min(busyTickMs, untilMs - now));
      continue;
    }
    busySinceMs = null;
    const next = await bridge.store.jobs.nextFutureRunAtMs();
    await clock.advance(Math.max(1, Math.min(untilMs, now + stepMs, next ?? Number.POSITIVE_INFINITY) - now));
  }
}

/**
 * Awaits `work` done by the bridge at the test's call (a notice round, a purge) while moving
 * the clock `tickMs` every few real milliseconds: a wait inside it on the bridge's clock (a
 * rate limiter's slot, a retry's back-off) passes instead of hanging on a clock nobody moves.
 */
export async function settleWhileDriving<T>(clock: ManualClock, work: Promise<T>, o: { tickMs?: number; realLimitMs?: number } = {}): Promise<T> {
  let settled = false;
  const done = work.finally(() => {
    settled = true;
  });
  const realDeadline = Date.now() + (o.realLimitMs ?? 60_000);
  while (!settled) {
    if (Date.now() > realDeadline) throw new Error(`settleWhileDriving: not settled after ${o.realLimitMs ?? 60_000} ms of real time`);
    await sleep(3);
    if (!settled) await clock.advance(o.tickMs ?? 100);
  }
  return done;
}
