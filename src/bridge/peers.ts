/**
 * Bridge processes sharing one PostgreSQL database see each other's deaths.
 *
 * A process killed mid-request loses what it had taken but not stored: MAX
 * retries that webhook much later, Bitrix24 never resends its event. Another
 * process meanwhile receives the client's or operator's NEXT message and would
 * send it first. So, with several processes:
 * - each writes a heartbeat (`peer:<worker id>` in bridge_meta) every
 *   HEARTBEAT_MS, and removes it when it stops cleanly;
 * - an item (a client message for the line, an operator reply) goes out only
 *   once every other live process has written a heartbeat GRACE_MS after the
 *   item arrived — proof that it did not die holding an earlier message
 *   (the barrier; it costs about one heartbeat of latency, and nothing with one
 *   process); the heartbeat also carries up to when every request that process
 *   began taking in has been settled (in-flight.ts), and the item waits for
 *   that too — a process alive but slow may hold an earlier message unstored,
 *   and die before storing it;
 * - a process whose heartbeat is older than DEAD_AFTER_MS is dead: a survivor
 *   runs the recovery a restart runs (the catch-up for conversations with
 *   messages waiting, the reconciliation of operator replies) and only then
 *   removes the dead process's row, which lifts the barrier — so what the dead
 *   process lost is queued before what came after it.
 * Times are each process's clock: hosts sharing a database keep them in step
 * (NTP); skew only lengthens the wait.
 */
import type { Store } from '../store/open-store.ts';
import type { InFlightRequests } from '../domain/in-flight.ts';

export const HEARTBEAT_MS = 200;
export const GRACE_MS = 50;
export const DEAD_AFTER_MS = 2_000;
const PREFIX = 'peer:';

export interface PeerDeps {
  store: Store;
  workerId: string;
  nowMs: () => number;
  /** The restart recovery, run by a survivor for a dead process before its barrier lifts. */
  recover: (deadWorkerId: string) => Promise<void>;
  /** The requests this process is taking in; without it, its heartbeat says all is settled. */
  inFlight?: InFlightRequests;
}

/** A heartbeat row's value: `<beat ms>` or `<beat ms>/<settled ms>`. */
function parseBeat(value: string): { beatMs: number; settledMs: number } {
  const [beat, settled] = value.split('/');
  const beatMs = Number(beat);
  return { beatMs, settledMs: settled === undefined ? beatMs : Math.min(beatMs, Number(settled)) };
}

export class Peers {
  private timer: NodeJS.Timeout | null = null;
  private others: Array<{ id: string; beatMs: number; settledMs: number }> = [];
  private beating: Promise<void> = Promise.resolve();
  /** Recoveries running for dead processes (by heartbeat key); a process is recovered once at a time. */
  private readonly recovering = new Map<string, Promise<void>>();

  constructor(private readonly deps: PeerDeps) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beat()).catch(() => undefined);
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    await Promise.all(this.recovering.values());
    await this.deps.store.meta.delete(`${PREFIX}${this.deps.workerId}`).catch(() => undefined);
  }

  /**
   * Whether an item that arrived at `arrivedMs` may go: every other process
   * known to be running has shown itself alive since, with every request it
   * had begun by then settled. Reads the heartbeats as of the last beat (at
   * most HEARTBEAT_MS old).
   */
  passed(arrivedMs: number): boolean {
    return this.others.every((p) => p.settledMs >= arrivedMs + GRACE_MS);
  }

  /** When to look again at an item the barrier holds. */
  recheckAtMs(): number {
    return this.deps.nowMs() + HEARTBEAT_MS;
  }

  private async beat(): Promise<void> {
    const { store, workerId, nowMs, inFlight } = this.deps;
    // After the poll phase: requests whose bytes had reached this process are registered by now.
    await new Promise((r) => setImmediate(r));
    const now = nowMs();
    const settled = inFlight ? inFlight.settledMs() : now;
    await store.meta.set(`${PREFIX}${workerId}`, settled >= now ? String(now) : `${now}/${settled}`);
    const rows = (await store.meta.list(PREFIX)).filter((r) => r.key !== `${PREFIX}${workerId}`);
    const others: Array<{ id: string; beatMs: number; settledMs: number }> = [];
    for (const row of rows) {
      const id = row.key.slice(PREFIX.length);
      const { beatMs, settledMs } = parseBeat(row.value);
      if (now - beatMs > DEAD_AFTER_MS) {
        // Recovered first, then forgotten: until then its stale heartbeat holds what came after.
        // The recovery runs beside the heartbeat (it may take seconds: history reads, the
        // portal's limits), so this process's own start and beats are not held up by it.
        if (!this.recovering.has(row.key)) {
          const recovery = this.deps.recover(id)
            .then(() => store.meta.deleteIf(row.key, row.value))
            .catch(() => undefined)
            .finally(() => this.recovering.delete(row.key));
          this.recovering.set(row.key, recovery.then(() => undefined));
        }
      }
      others.push({ id, beatMs, settledMs });
    }
    this.others = others;
  }
}
