/**
 * Latency with no limit pressure (the portal allows 1,000 requests/s, the bridge plans for 100/s with a burst of 10,000): client
 * messages posted to the bridge's webhook at a steady 200 per second; for each,
 * the time from the POST until the emulated Open Line stores it (watchAdded). Reported at the default reorder window and with the
 * window off, side by side.
 */
import type { Sandbox } from '../src/cli/sandbox.ts';
import { BENCH_WEBHOOK_SECRET, messageUpdate, postPaced, setPortalLimit, startBridgeChild, waitFor, watchAdded } from './bench-world.ts';

export interface LatencyFigures {
  messages: number;
  p50Ms: number;
  p99Ms: number;
  /** Messages not seen within the deadline (excluded from the percentiles). */
  missing?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function measureInboundLatency(
  sandbox: Sandbox, databaseUrl: string, clients: Array<{ userId: number; chatId: number }>, options: { ratePerS: number; durationS: number; label: string; reorderWindowMs?: number },
): Promise<LatencyFigures> {
  await setPortalLimit(sandbox, 1_000, 10_000);
  const bridge = await startBridgeChild(sandbox, { databaseUrl, drainPerSecond: 100, burst: 10_000, reorderWindowMs: options.reorderWindowMs });
  const total = options.ratePerS * options.durationS;
  const sentAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  const prefix = `lat ${options.label} `;
  // Steady state, not the minute after a start: a fresh process reads each conversation's
  // history on its first message (the catch-up, 30 reads/s per bot), so every client writes
  // once first and that is waited for. The after-start cost shows in the burst.
  const warmPrefix = `warm ${options.label} `;
  let warmed = 0;
  const unwatchWarm = watchAdded(sandbox.bitrix24.context.portals[0]!.messages, (m) => {
    if (m.direction === 'in' && m.text.startsWith(warmPrefix)) warmed++;
  });
  try {
    await Promise.all(clients.map((client, i) => fetch(`${bridge.url}/max/webhook/bench`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': BENCH_WEBHOOK_SECRET },
      body: messageUpdate(client, `mid.warm.${options.label}.${i}`, i, `${warmPrefix}${i}`),
    }).then((r) => r.arrayBuffer())));
    await waitFor(() => warmed >= clients.length, 120_000, 20);
  } finally {
    unwatchWarm();
  }
  const unwatch = watchAdded(sandbox.bitrix24.context.portals[0]!.messages, (m) => {
    const id = m.externalIds[0];
    if (m.direction === 'in' && m.text.startsWith(prefix) && id && !seenAt.has(id)) seenAt.set(id, performance.now());
  });
  try {
    await postPaced(bridge.url, total, options.ratePerS, sentAt, (i) => {
      const mid = `mid.lat.${options.label}.${i}`;
      return { mid, body: messageUpdate(clients[i % clients.length]!, mid, i, `${prefix}${i}`) };
    });
    await waitFor(() => seenAt.size >= total, 120_000, 20);
  } finally {
    unwatch();
    await bridge.stop();
  }
  const latencies = [...sentAt.entries()].map(([mid, t]) => (seenAt.get(mid) ?? Number.NaN) - t).sort((a, b) => a - b);
  return { messages: total, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

let outboundRuns = 0;

/**
 * Operator reply → MAX: replies posted on the emulated portal (its control API,
 * as the operator page does) at a steady rate; for each, the time until the
 * MAX emulator stores the bot's message (watchAdded).
 */
export async function measureOutboundLatency(
  sandbox: Sandbox, databaseUrl: string, clients: Array<{ userId: number; chatId: number }>, options: { ratePerS: number; durationS: number; operatorReorderWindowMs?: number },
): Promise<LatencyFigures> {
  await setPortalLimit(sandbox, 1_000, 10_000);
  const bridge = await startBridgeChild(sandbox, { databaseUrl, drainPerSecond: 100, burst: 10_000, operatorReorderWindowMs: options.operatorReorderWindowMs });
  const portal = sandbox.bitrix24.context.portals[0]!;
  const chats = clients.map((c) => [...portal.chats.values()].find((ch) => ch.externalChatId === `bench:${c.chatId}`)).filter((c) => c !== undefined);
  const total = options.ratePerS * options.durationS;
  const sentAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  // A tag of this run's own: replies of an earlier run (same chats, same MAX emulator) must not count.
  const run = ++outboundRuns;
  const tagged = new RegExp(`olat ${run}\\.(\\d+)`);
  const unwatch = watchAdded(sandbox.max.world.messages, (m) => {
    if (!m.fromBot) return;
    const tag = tagged.exec(m.message.body.text ?? '')?.[1];
    if (tag && !seenAt.has(tag)) seenAt.set(tag, performance.now());
  });
  try {
    const intervalMs = 1000 / options.ratePerS;
    const started = performance.now();
    const posts: Array<Promise<unknown>> = [];
    for (let i = 0; i < total; i++) {
      const wait = started + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const chat = chats[i % chats.length]!;
      sentAt.set(String(i), performance.now());
      posts.push(fetch(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `olat ${run}.${i}` }),
      }).then((r) => r.arrayBuffer()));
    }
    await Promise.all(posts);
    // Replies not seen within the deadline are reported as missing rather than failing the run.
    await waitFor(() => seenAt.size >= total, 60_000, 20).catch(() => undefined);
  } finally {
    unwatch();
    await bridge.stop();
  }
  const latencies = [...sentAt.entries()].filter(([i]) => seenAt.has(i)).map(([i, t]) => (seenAt.get(i) as number) - t).sort((a, b) => a - b);
  return { messages: total, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), missing: total - latencies.length };
}
