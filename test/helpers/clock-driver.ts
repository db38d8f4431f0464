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
}

/** Moves `clock` to `untilMs`, letting the bridge do everything that falls due on the way. */
export async function driveClockTo(clock: ManualClock, bridge: Bridge, untilMs: number, o: DriveOptions = {}): Promise<void> {
  const stepMs = o.stepMs ?? 30_000;
  const busyTickMs = o.busyTickMs ?? 100;
  while (clock.nowMs() < untilMs) {
    // Whatever is due is claimed now; a job waiting behind its conversation's retrying head is not, and does not count.
    bridge.runner.poke();
    await sleep(3);
    const now = clock.nowMs();
    if (bridge.runner.inflightCount > 0 || bridge.inFlight.size > 0) {
      await clock.advance(Math.min(busyTickMs, untilMs - now));
      continue;
    }
    const next = await bridge.store.jobs.nextFutureRunAtMs();
    await clock.advance(Math.max(1, Math.min(untilMs, now + stepMs, next ?? Number.POSITIVE_INFINITY) - now));
  }
}
