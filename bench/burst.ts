/**
 * Burst: 5,000 client messages over 500 conversations into a portal limited to
 * 2 requests/s with a burst of 50 (the standard plan). Measures the time until
 * the emulated Open Line holds them all, the messages per REST call, and the
 * minimum the limit allows: with at most `line_batch_max` (50) messages per
 * call, ceil(N / 50) calls, of which `burst` go at once and the rest at the
 * drain rate → min_burst_s = (ceil(N / 50) − burst) / rate.
 * The 500 clients started the bot beforehand (prepareConversations: their conversations exist).
 */
import type { Sandbox } from '../src/cli/sandbox.ts';
import { BENCH_WEBHOOK_SECRET, inboundMessages, installApp, messageUpdate, setPortalLimit, startBridgeChild, startClients, waitFor } from './bench-world.ts';

export interface BurstFigures {
  messages: number;
  burstS: number;
  minBurstS: number;
  calls: number;
  msgsPerCall: number;
  limitErrors: number;
}

const RATE = 2;
const BURST = 50;
const PER_CALL = 50;

export type BenchClient = { userId: number; chatId: number };

/**
 * The stage every end-to-end section needs: the app installed and `conversations` clients who
 * started the bot, each conversation bound to the line (the welcome message reached it).
 */
export async function prepareConversations(sandbox: Sandbox, databaseUrl: string, conversations: number): Promise<BenchClient[]> {
  // Setup at a generous limit: install, and the clients start the bot.
  await setPortalLimit(sandbox, 1_000, 10_000);
  const setup = await startBridgeChild(sandbox, { databaseUrl, drainPerSecond: 100, burst: 10_000 });
  try {
    await installApp(sandbox, setup.url);
    const before = inboundMessages(sandbox).length;
    const clients = await startClients(sandbox, conversations, 300_000);
    await waitFor(() => inboundMessages(sandbox).length >= before + conversations, 120_000, 100);
    return clients;
  } finally {
    await setup.stop();
  }
}

/**
 * `running`: the burst reaches a bridge that has been up a while — each client wrote once through
 * this process first (so its catch-up after the start, one history read per conversation, is
 * behind it) and both the portal's bucket and the bridge's limiter have refilled since.
 * Otherwise the burst goes to a process just started: it includes the catch-up reads.
 */
export async function measureBurst(sandbox: Sandbox, databaseUrl: string, clients: BenchClient[], messages: number, running: boolean): Promise<BurstFigures> {
  const conversations = clients.length;
  await setPortalLimit(sandbox, RATE, BURST);
  const bridge = await startBridgeChild(sandbox, { databaseUrl, drainPerSecond: RATE, burst: BURST });
  try {
    if (running) {
      const label = `warm burst ${Date.now()} `;
      const warmed = () => inboundMessages(sandbox).filter((m) => m.text.startsWith(label)).length;
      for (const [i, client] of clients.entries()) {
        const res = await fetch(`${bridge.url}/max/webhook/bench`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': BENCH_WEBHOOK_SECRET },
          body: messageUpdate(client, `mid.warm.burst.${Date.now()}.${i}`, i, `${label}${i}`),
        });
        if (res.status !== 200) throw new Error(`burst warm-up: webhook answered ${res.status}`);
        await res.arrayBuffer();
      }
      await waitFor(() => warmed() >= conversations, 300_000, 50);
      // Both token buckets (the portal's and the bridge's own) full again.
      await new Promise((r) => setTimeout(r, (BURST / RATE + 2) * 1000));
    }
    const requestsBefore = await requestCount(sandbox);
    const before = inboundMessages(sandbox).filter((m) => m.text.startsWith('burst ')).length;
    const seen = () => inboundMessages(sandbox).filter((m) => m.text.startsWith('burst ')).length - before;
    // Each update is stamped as it is sent, as MAX stamps a message when the client writes it
    // (stamped all at once beforehand, the last ones would look 3 s late to the reorder window).
    const bodyOf = (i: number) => messageUpdate(clients[i % conversations]!, `mid.burst.${running ? 'running' : 'restart'}.${i}`, i, `burst ${i}`);
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < messages) {
        const body = bodyOf(next++);
        const res = await fetch(`${bridge.url}/max/webhook/bench`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': BENCH_WEBHOOK_SECRET }, body,
        });
        if (res.status !== 200) throw new Error(`burst: webhook answered ${res.status}`);
        await res.arrayBuffer();
      }
    }));
    await waitFor(() => seen() >= messages, 600_000, 50);
    const burstS = (performance.now() - started) / 1000;
    const requests = (await requests_(sandbox)).slice(requestsBefore);
    const sends = requests.filter((r) => r.method === 'imconnector.send.messages' && r.outcome === 'accepted');
    // BENCH_DEBUG=1: every REST call of the burst with its time from the start and its size.
    if (process.env.BENCH_DEBUG) {
      const t0 = Date.now() - (performance.now() - started);
      console.error(`burst ${running ? 'running' : 'restarted'}: ${requests.map((r) => `${((r.atMs - t0) / 1000).toFixed(2)}s ${r.method.replace('imconnector.', '')}${r.items ? `×${r.items}` : ''}${r.outcome === 'accepted' ? '' : ` ${r.outcome}`}`).join(', ')}`);
    }
    const calls = sends.length;
    const items = sends.reduce((n, r) => n + (r.items ?? 0), 0);
    return {
      messages, burstS, calls, msgsPerCall: items / Math.max(1, calls),
      minBurstS: Math.max(0, (Math.ceil(messages / PER_CALL) - BURST) / RATE),
      limitErrors: requests.filter((r) => r.outcome === 'QUERY_LIMIT_EXCEEDED').length,
    };
  } finally {
    await bridge.stop();
  }
}

type LoggedRequest = { method: string; outcome: string; items?: number; atMs: number };

async function requests_(sandbox: Sandbox): Promise<LoggedRequest[]> {
  return ((await (await fetch(`${sandbox.bitrix24.controlUrl}/requests`)).json()) as { requests: LoggedRequest[] }).requests;
}

async function requestCount(sandbox: Sandbox): Promise<number> {
  return (await requests_(sandbox)).length;
}
