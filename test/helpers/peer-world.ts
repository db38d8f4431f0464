/**
 * Bridge processes' heartbeats (src/bridge/peers.ts) on one database and one
 * injected clock that a test moves a heartbeat at a time: each round waits
 * until every beating peer is asleep, advances HEARTBEAT_MS, and waits until
 * each has beaten and is asleep again — the beats are awaited, never slept for.
 */
import { HEARTBEAT_MS } from '../../src/bridge/order/constants.ts';
import { Peers, type PeerDeps } from '../../src/bridge/peers.ts';
import type { Store } from '../../src/store/open-store.ts';
import { until } from './e2e.ts';
import { ManualClock } from './manual-clock.ts';

/** The clock and its peers: `round()` moves one heartbeat and returns once every beating peer has beaten. */
export function peerWorld(store: Store, clock = new ManualClock()) {
  const beating = new Set<Peers>();
  const asleep = () => until(() => (clock.pendingSleepers >= beating.size ? true : undefined), 10_000);
  return {
    clock,
    async start(workerId: string, more: Partial<PeerDeps> = {}): Promise<Peers> {
      const peer = new Peers({ store, workerId, clock, recover: async () => undefined, ...more });
      await peer.start();
      beating.add(peer);
      return peer;
    },
    /** A clean stop (SIGTERM): the heartbeat row goes with it. */
    async stop(peer: Peers): Promise<void> {
      beating.delete(peer);
      await peer.stop();
    },
    /** A SIGKILL: it beats no more, and its last heartbeat row stays behind. */
    async kill(peer: Peers, workerId: string): Promise<void> {
      const last = await store.meta.get(`peer:${workerId}`);
      await this.stop(peer);
      if (last !== null) await store.meta.set(`peer:${workerId}`, last);
    },
    async round(): Promise<void> {
      await asleep();
      await clock.advance(HEARTBEAT_MS);
      await asleep();
    },
    /** Rounds until `done()` (at most `max`); returns how many were needed. */
    async roundsUntil(done: () => boolean, max: number): Promise<number> {
      let n = 0;
      while (!done() && n < max) {
        await this.round();
        n++;
      }
      return n;
    },
  };
}
