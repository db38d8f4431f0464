/**
 * What routing costs a new conversation: client messages that each open a new
 * conversation, posted to the bridge's webhook at a steady rate; for each, the time
 * from the POST until the emulated Open Line stores it (watchAdded). Side by side
 * in one run, each on a fresh database: the single route of a plain setup, and ten
 * routes whose conditions are all read and fail (payload, text, language, working
 * hours) before a default pool of two lines picked by weight from the store's counts.
 */
import { join } from 'node:path';
import type { Sandbox } from '../src/cli/sandbox.ts';
import { installApp, messageUpdate, postPaced, setPortalLimit, startBridgeChild, waitFor, watchAdded } from './bench-world.ts';
import type { LatencyFigures } from './latency.ts';

/** Ten routes that never match a bench message, then a weighted pool of lines 1 and 2. */
const MANY_ROUTES = [
  ...Array.from({ length: 4 }, (_, i) => ({ name: `payload-${i}`, when: { start_payload: `^campaign_${i}_` }, to: { portal: 'bench', line_id: 2 } })),
  ...Array.from({ length: 3 }, (_, i) => ({ name: `text-${i}`, when: { text: `(жалоб|претензи|возврат${i})` }, to: { portal: 'bench', line_id: 2 } })),
  { name: 'english', when: { language: ['en', 'de'] }, to: { portal: 'bench', line_id: 2 } },
  { name: 'night', when: { text_contains: 'ночь', outside_hours: { days: 'mon-fri', from: '09:00', to: '18:00', holidays: ['2027-01-01'] } }, to: { portal: 'bench', line_id: 2 } },
  { name: 'weekend', when: { hours: { days: 'sat-sun', from: '00:00', to: '24:00' }, text_contains: 'выходн' }, to: { portal: 'bench', line_id: 2 } },
  { name: 'default', to: [{ portal: 'bench', line_id: 1, weight: 3 }, { portal: 'bench', line_id: 2, weight: 1 }] },
];

let runs = 0;

async function newConversationsLatency(sandbox: Sandbox, databaseUrl: string, routes: unknown[] | undefined, options: { ratePerS: number; durationS: number }): Promise<LatencyFigures> {
  await setPortalLimit(sandbox, 1_000, 10_000);
  // The chats are made up (MAX has no history of them): no catch-up read after the start.
  const bridge = await startBridgeChild(sandbox, { databaseUrl, drainPerSecond: 100, burst: 10_000, routes, catchupWindowMs: 0 });
  const run = ++runs;
  const total = options.ratePerS * options.durationS;
  const sentAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  const prefix = `route ${run} `;
  try {
    await installApp(sandbox, bridge.url);
    // The line of the pool's second target is set up by the same install (routes name it).
    await waitFor(() => (routes ? sandbox.bitrix24.context.portals[0]?.lines.get(2)?.connectors.has('max_bridge') === true : true), 60_000, 20);
    const unwatch = watchAdded(sandbox.bitrix24.context.portals[0]!.messages, (m) => {
      const id = m.externalIds[0];
      if (m.direction === 'in' && m.text.startsWith(prefix) && id && !seenAt.has(id)) seenAt.set(id, performance.now());
    });
    try {
      // Every message its own client and chat: each opens a conversation, so each is routed.
      await postPaced(bridge.url, total, options.ratePerS, sentAt, (i) => {
        const client = { userId: 5_000_000 + run * 100_000 + i, chatId: 50_000_000 + run * 100_000 + i };
        const mid = `mid.route.${run}.${i}`;
        return { mid, body: messageUpdate(client, mid, i, `${prefix}${i}`) };
      });
      await waitFor(() => seenAt.size >= total, 120_000, 20).catch(() => undefined);
    } finally {
      unwatch();
    }
  } finally {
    await bridge.stop();
  }
  const latencies = [...sentAt.entries()].filter(([mid]) => seenAt.has(mid)).map(([mid, t]) => (seenAt.get(mid) as number) - t).sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { messages: total, p50Ms: at(50), p99Ms: at(99), missing: total - latencies.length };
}

export interface RoutingFigures {
  oneRoute: LatencyFigures;
  elevenRoutes: LatencyFigures;
}

/** New conversations at `ratePerS` (below MAX's 30 profile reads/s per bot) under one route, then under eleven. */
export async function measureRoutingCost(sandbox: Sandbox, dir: string, options: { ratePerS: number; durationS: number }): Promise<RoutingFigures> {
  // The pool's second line, for the eleven-route run (the plain run never names it).
  if (!sandbox.bitrix24.context.portals[0]?.lines.has(2)) {
    await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/lines`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Вторая' }) });
  }
  const oneRoute = await newConversationsLatency(sandbox, join(dir, 'routing-one.sqlite'), undefined, options);
  const elevenRoutes = await newConversationsLatency(sandbox, join(dir, 'routing-eleven.sqlite'), MANY_ROUTES, options);
  return { oneRoute, elevenRoutes };
}
