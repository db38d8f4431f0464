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

export async function measureBurst(sandbox: Sandbox, databaseUrl: string, clients: BenchClient[], messages: number): Promise<BurstFigures> {
  const conversations = clients.length;
  // The measured run: a fresh bridge process (its limiter starts empty) and an empty bucket at the portal.
  await setPortalLimit(sandbox, RATE, BURST);
  const bridge = await startBridgeChild(sandbox, { databaseUrl, drainPerSecond: RATE, burst: BURST });
  try {
    const requestsBefore = await requestCount(sandbox);
    const seen = () => inboundMessages(sandbox).filter((m) => m.text.startsWith('burst ')).length;
    const bodies = Array.from({ length: messages }, (_, i) => {
      const client = clients[i % conversations]!;
      return messageUpdate(client, `mid.burst.${i}`, i, `burst ${i}`);
    });
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
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

type LoggedRequest = { method: string; outcome: string; items?: number };

async function requests_(sandbox: Sandbox): Promise<LoggedRequest[]> {
  return ((await (await fetch(`${sandbox.bitrix24.controlUrl}/requests`)).json()) as { requests: LoggedRequest[] }).requests;
}

async function requestCount(sandbox: Sandbox): Promise<number> {
  return (await requests_(sandbox)).length;
}
