/**
 * The stage for the end-to-end benchmarks: both emulators in this process, the
 * bridge in a child process of its own (so the load tool and the emulators do
 * not share its event loop), the app installed on the emulated portal over
 * HTTP exactly as in the sandbox.
 */
import { existsSync } from 'node:fs';
import { HANDLED_EVENTS } from '../src/bitrix24/connector-setup.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../src/cli/sandbox.ts';
import { startChild, freePort, type BenchChild } from './child-process.ts';

const BUNDLE = 'dist/bench-bridge-server.mjs';
export const BENCH_WEBHOOK_SECRET = 'bench_webhook_secret';
const SECRET_KEY = 'bench-only-secret-key-0123456789';

export interface BridgeOptions {
  databaseUrl: string;
  drainPerSecond: number;
  burst: number;
  noRunner?: boolean;
  concurrency?: number;
  reorderWindowMs?: number;
  operatorReorderWindowMs?: number;
  /** The bridge's routes; default one route, every bot to the portal's line. */
  routes?: unknown[];
  /** `max.catchup_window_ms` (default the bridge's): 0 for chats MAX has no history of. */
  catchupWindowMs?: number;
  /** Node flags of the bridge process; default those of `npm start`. */
  nodeFlags?: string[];
}

export async function startEmulators(): Promise<Sandbox> {
  return startSandbox({ preferredPorts: false });
}

/**
 * One port (so one public URL) per sandbox for every bridge process started on it, as in
 * production: the portal's event bindings made at install and the bot's webhook subscription
 * keep pointing at the bridge across its restarts. A fresh port per process left the
 * portal posting operator replies to a closed port: the bridge saw them only through its
 * reconciliation passes (at start and 5 s later), and the later ones not at all.
 */
const bridgePorts = new WeakMap<Sandbox, number>();

export async function startBridgeChild(sandbox: Sandbox, o: BridgeOptions): Promise<BenchChild> {
  const port = bridgePorts.get(sandbox) ?? await freePort();
  bridgePorts.set(sandbox, port);
  const config = {
    server: { port, public_url: `http://127.0.0.1:${port}` },
    database: { url: o.databaseUrl },
    security: { secret_key: SECRET_KEY },
    log_level: 'warn',
    workers: {
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
      ...(o.reorderWindowMs === undefined ? {} : { line_reorder_window_ms: o.reorderWindowMs }),
      ...(o.operatorReorderWindowMs === undefined ? {} : { operator_reorder_window_ms: o.operatorReorderWindowMs }),
    },
    bots: [{ id: 'bench', token: SANDBOX_BOT_TOKEN, webhook_secret: BENCH_WEBHOOK_SECRET, api_url: sandbox.max.baseUrl }],
    portals: [{ id: 'bench', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret, limits: { drain_per_second: o.drainPerSecond, burst: o.burst } }],
    routes: o.routes ?? [{ bot: '*', portal: 'bench' }],
    ...(o.catchupWindowMs === undefined ? {} : { max: { catchup_window_ms: o.catchupWindowMs } }),
  };
  // Built by bench/run.ts (`npm run build`): the bridge runs as plain JS, as `npm start` runs it.
  return startChild(existsSync(BUNDLE) ? BUNDLE : 'bench/processes/bridge-server.ts', { BENCH_BRIDGE_CONFIG: JSON.stringify({ config, noRunner: o.noRunner ?? false }) }, 60_000, o.nodeFlags);
}

/** Installs the app on the emulated portal (ONAPPINSTALL → the bridge) and waits until its events are bound. */
export async function installApp(sandbox: Sandbox, bridgeUrl: string): Promise<void> {
  const res = await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/install`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: SANDBOX_APP.clientId, handlerUrl: `${bridgeUrl}/bitrix24/install/bench` }),
  });
  if (((await res.json()) as { status?: number }).status !== 200) throw new Error('bench: install failed');
  await waitFor(async () => {
    const list = ((await (await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/bindings`)).json()) as { bindings: Array<{ event: string }> }).bindings;
    return list.some((b) => b.event === HANDLED_EVENTS.at(-1));
  }, 60_000);
}

/** Sets the emulated portal's request limit and empties its bucket. */
export async function setPortalLimit(sandbox: Sandbox, drainPerSecond: number, burst: number): Promise<void> {
  await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/limits`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ drainPerSecond, burst }),
  });
}

export async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Clients who started the bot: their dialogs exist in the MAX emulator, so updates about them are real. */
export async function startClients(sandbox: Sandbox, count: number, firstUserId: number): Promise<Array<{ userId: number; chatId: number }>> {
  const clients: Array<{ userId: number; chatId: number }> = [];
  for (let i = 0; i < count; i++) {
    const userId = firstUserId + i;
    const res = await fetch(`${sandbox.max.controlUrl}/bot-started`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { user_id: userId, first_name: `Клиент${i}` } }),
    });
    clients.push({ userId, chatId: Number(((await res.json()) as { chat_id: number }).chat_id) });
  }
  return clients;
}

/** A message_created update as MAX sends it, for a client's dialog. */
export function messageUpdate(client: { userId: number; chatId: number }, mid: string, seq: number, text: string): string {
  const nowMs = Date.now();
  return JSON.stringify({
    update_type: 'message_created', timestamp: nowMs, user_locale: 'ru',
    message: {
      sender: { user_id: client.userId, first_name: 'Клиент', last_name: null, username: null, is_bot: false, last_activity_time: nowMs },
      recipient: { chat_id: client.chatId, chat_type: 'dialog', user_id: null },
      timestamp: nowMs, link: null, stat: null, url: null,
      body: { mid, seq, text, attachments: null, markup: null },
    },
  });
}

/** Messages the emulated portal holds from clients (in this process: the emulator's own state). */
export function inboundMessages(sandbox: Sandbox): Array<{ text: string; externalIds: string[] }> {
  const portal = sandbox.bitrix24.context.portals[0];
  if (!portal) return [];
  return [...portal.messages.values()].filter((m) => m.direction === 'in');
}

/**
 * Calls `onAdded` when a key is first stored in `map` (an emulator's in-memory
 * store), at that moment; returns the undo. Benchmarks time arrivals with it
 * instead of rescanning a store of thousands of messages every few ms, which
 * took the CPU the emulators serving the bridge needed.
 */
export function watchAdded<K, V>(map: Map<K, V>, onAdded: (value: V) => void): () => void {
  const original = map.set;
  map.set = function set(this: Map<K, V>, key: K, value: V) {
    const fresh = !this.has(key);
    const result = original.call(this, key, value);
    if (fresh) onAdded(value);
    return result;
  };
  return () => {
    map.set = original;
  };
}

/**
 * Posts `total` MAX updates to the bridge's webhook at `ratePerS`, evenly paced from now
 * (never in bursts to catch up), noting in `sentAt` when each mid was posted; resolves when
 * every post has been answered. `update(i)` gives the i-th update's mid and body.
 */
export async function postPaced(bridgeUrl: string, total: number, ratePerS: number, sentAt: Map<string, number>, update: (i: number) => { mid: string; body: string }): Promise<void> {
  const intervalMs = 1000 / ratePerS;
  const started = performance.now();
  const posts: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const wait = started + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { mid, body } = update(i);
    sentAt.set(mid, performance.now());
    posts.push(fetch(`${bridgeUrl}/max/webhook/bench`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': BENCH_WEBHOOK_SECRET }, body,
    }).then((res) => res.arrayBuffer()).then(() => undefined));
  }
  await Promise.all(posts);
}
