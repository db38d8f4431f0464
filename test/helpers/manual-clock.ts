import type { Clock } from '../../src/domain/clock.ts';

interface Sleeper {
  wakeAtMs: number;
  resolve: () => void;
}

/**
 * A clock that moves only when the test says so. `advance(ms)` wakes every
 * sleeper whose time has come, in wake-up order, yielding to the event loop
 * between wake-ups so that awaiting code can run and schedule its next sleep.
 */
export class ManualClock implements Clock {
  private now: number;
  private sleepers: Sleeper[] = [];

  constructor(startMs = Date.UTC(2026, 10, 23, 12, 0, 0)) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      // Woken: the abort listener goes too (a loop sleeping on one signal would pile them up).
      const sleeper: Sleeper = { wakeAtMs: this.now + Math.max(0, delayMs), resolve: () => { signal?.removeEventListener('abort', onAbort); resolve(); } };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Number of pending sleepers (lets a test wait until code under test is asleep). */
  get pendingSleepers(): number {
    return this.sleepers.length;
  }

  async advance(deltaMs: number): Promise<void> {
    const target = this.now + deltaMs;
    for (;;) {
      this.sleepers.sort((a, b) => a.wakeAtMs - b.wakeAtMs);
      const next = this.sleepers[0];
      if (!next || next.wakeAtMs > target) break;
      this.sleepers.shift();
      this.now = next.wakeAtMs;
      next.resolve();
      await new Promise((r) => setImmediate(r));
    }
    this.now = target;
    await new Promise((r) => setImmediate(r));
  }
}
