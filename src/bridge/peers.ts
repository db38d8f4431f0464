/**
 * Bridge processes sharing one PostgreSQL database see each other's deaths.
 *
 * A process killed mid-request loses what it had taken but not stored: MAX
 * retries that webhook much later, Bitrix24 never resends its event. Another
 * process meanwhile receives the client's or operator's NEXT message and would
 * send it first. So, with several processes:
 * - each writes a heartbeat (`peer:<worker id>` in bridge_meta) every
 *   HEARTBEAT_MS on the injected clock, and removes it when it stops cleanly;
 *   the heartbeat also carries up to when every request that process began
 *   taking in has been settled (domain/in-flight.ts) — a process alive but slow
 *   may hold an earlier message unstored, and die before storing it;
 * - the order gate holds an item until every other live process has shown
 *   itself alive and settled since it arrived (the barrier:
 *   order/peers-barrier.ts decides, from `others()`);
 * - a process whose heartbeat is older than DEAD_AFTER_MS is dead: a survivor
 *   runs the recovery a restart runs (the catch-up for conversations with
 *   messages waiting, the reconciliation of operator replies) and only then
 *   removes the dead process's row, which lifts the barrier — so what the dead
 *   process lost is queued before what came after it.
 * Times are each process's clock: hosts sharing a database keep them in step
 * (NTP); skew only lengthens the wait. Timings: order/constants.ts.
 */
import type { Clock } from '../domain/clock.ts';
import type { InFlightRequests } from '../domain/in-flight.ts';
import { codeOf, silentLogger, type Logger } from '../log/logger.ts';
import type { Store } from '../store/open-store.ts';
import { DEAD_AFTER_MS, HEARTBEAT_MS } from './order/constants.ts';
import type { PeerBeat, PeerHeartbeats } from './order/peers-barrier.ts';

const PREFIX = 'peer:';

export interface PeerDeps {
  store: Store;
  workerId: string;
  clock: Clock;
  /** The restart recovery, run by a survivor for a dead process before its barrier lifts. */
  recover: (deadWorkerId: string) => Promise<void>;
  /** The requests this process is taking in; without it, its heartbeat says all is settled. */
  inFlight?: InFlightRequests;
  /** `{ component: 'peers' }`; default silent. */
  log?: Logger;
}

/** A heartbeat row's value: `<beat ms>` or `<beat ms>/<settled ms>`. */
function parseBeat(value: string): { beatMs: number; settledMs: number } {
  const [beat, settled] = value.split('/');
  const beatMs = Number(beat);
  return { beatMs, settledMs: settled === undefined ? beatMs : Math.min(beatMs, Number(settled)) };
}

export class Peers implements PeerHeartbeats {
  private readonly stopping = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private seen: PeerBeat[] = [];
  /** Recoveries running for dead processes (by heartbeat key); a process is recovered once at a time. */
  private readonly recovering = new Map<string, Promise<void>>();

  private readonly log: Logger;

  constructor(private readonly deps: PeerDeps) {
    this.log = deps.log ?? silentLogger();
  }

  /** Writes the first heartbeat (and reads the others'), then beats every HEARTBEAT_MS until `stop`. */
  async start(): Promise<void> {
    await this.beat();
    this.loop = this.beatOn();
  }

  /** Stops beating and removes this process's heartbeat: it holds nothing back any more. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await Promise.all(this.recovering.values());
    await this.deps.store.meta.delete(`${PREFIX}${this.deps.workerId}`).catch((err: unknown) => {
      // Left behind, the row ages out: a survivor runs the recovery for this process (harmless, only slower).
      this.log.warn({ err, code: codeOf(err) }, 'removing this process\'s heartbeat at stop failed');
    });
  }

  /** The other processes' heartbeats as of the last beat (at most HEARTBEAT_MS old): what the barrier reads. */
  others(): readonly PeerBeat[] {
    return this.seen;
  }

  /** One beat every HEARTBEAT_MS from the last one's start (a slow beat is not followed by a longer pause). */
  private async beatOn(): Promise<void> {
    const { clock } = this.deps;
    let nextMs = clock.nowMs() + HEARTBEAT_MS;
    while (!this.stopping.signal.aborted) {
      try {
        await clock.sleep(Math.max(0, nextMs - clock.nowMs()), this.stopping.signal);
      } catch {
        return; // stopped
      }
      nextMs = Math.max(nextMs + HEARTBEAT_MS, clock.nowMs());
      await this.beat().catch((err: unknown) => {
        // The next beat tries again; meanwhile the others see this heartbeat age (and wait, or recover us).
        this.log.warn({ err, code: codeOf(err) }, 'heartbeat failed');
      });
    }
  }

  private async beat(): Promise<void> {
    const { store, workerId, clock, inFlight } = this.deps;
    // After the poll phase: requests whose bytes had reached this process are registered by now.
    await new Promise((r) => setImmediate(r));
    const now = clock.nowMs();
    const settled = inFlight ? inFlight.settledMs() : now;
    await store.meta.set(`${PREFIX}${workerId}`, settled >= now ? String(now) : `${now}/${settled}`);
    const rows = (await store.meta.list(PREFIX)).filter((r) => r.key !== `${PREFIX}${workerId}`);
    const others: PeerBeat[] = [];
    for (const row of rows) {
      const id = row.key.slice(PREFIX.length);
      const { beatMs, settledMs } = parseBeat(row.value);
      if (now - beatMs > DEAD_AFTER_MS) {
        // Recovered first, then forgotten: until then its stale heartbeat holds what came after.
        // The recovery runs beside the heartbeat (it may take seconds: history reads, the
        // portal's limits), so this process's own start and beats are not held up by it.
        if (!this.recovering.has(row.key)) {
          this.log.warn({ deadWorkerId: id, silentForMs: now - beatMs }, 'a bridge process stopped beating; running its recovery');
          const recovery = this.deps.recover(id)
            .then(() => store.meta.deleteIf(row.key, row.value))
            .catch((err: unknown) => {
              // The dead process's row stays, so the next beat runs the recovery again.
              this.log.warn({ err, code: codeOf(err), deadWorkerId: id }, 'recovery for a dead bridge process failed; tried again at the next heartbeat');
            })
            .finally(() => this.recovering.delete(row.key));
          this.recovering.set(row.key, recovery.then(() => undefined));
        }
      }
      others.push({ id, beatMs, settledMs });
    }
    this.seen = others;
  }
}
