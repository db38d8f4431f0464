/**
 * One chaos run on one engine: both emulators and a front proxy in this
 * process, the bridge as 1 (SQLite) or N (PostgreSQL) child processes built
 * from the same bundle `npm start` runs. Clients write to the bots while
 * operators answer; MAX redelivers updates 1–3 times and reorders its retries;
 * the portal answers QUERY_LIMIT_EXCEEDED, 500s and never-answered requests at
 * the given rates; bridge processes are killed with SIGKILL at spread-out
 * moments and restarted. Then everything is counted on the receiving sides.
 *
 * A company's webhook receiver takes `message.inbound` and `message.outbound` events
 * (docs/hooks.md), verifying every signature and answering a share of them 503: its events are
 * counted like the messages — each message's event once (by id), in conversation order.
 */
import { setPriority } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../emulators/bitrix24/index.ts';
import { startMaxEmulator, type MaxEmulator } from '../emulators/max/index.ts';
import { HANDLED_EVENTS } from '../src/bitrix24/connector-setup.ts';
import { freePort, startChild, type BenchChild } from '../bench/child-process.ts';
import { systemClock } from '../src/domain/clock.ts';
import { openStore } from '../src/store/open-store.ts';
import { countDelivery, addCounts, type DeliveryCount } from './count.ts';
import { explainInboundOrder, explainOutboundOrder } from './explain-order.ts';
import { startFrontProxy, type FrontProxy } from './front-proxy.ts';
import { startHookReceiver } from '../emulators/hook-receiver.ts';

/** The chaos run's webhook secret (its receiver verifies every request with it). */
const HOOK_SECRET = 'chaos-webhook-secret-0123456789abcdef';

export const BRIDGE_BUNDLE = 'dist/bench-bridge-server.mjs';



export interface ChaosOptions {
  engine: 'sqlite' | 'postgres';
  databaseUrl: string;
  processes: number;
  messages: number;
  conversations: number;
  bots: number;
  limitErrorRate: number;
  errorRate: number;
  timeoutRate: number;
  redeliveryRate: number;
  kills: number;
  /** Share of webhook requests the receiver answers 503 (default 0.05). */
  hookErrorRate?: number;
  /** Configure the webhook receiver (default true). */
  webhooks?: boolean;
  /** Messages per second in each direction (the load's pace). */
  ratePerS: number;
  seed: number;
  outbound: boolean;
  drainTimeoutMs: number;
  log: (line: string) => void;
  /** Log what explains misordered conversations (also with CHAOS_DEBUG=1). */
  debug?: boolean;
  /** The built bridge (scripts/build.mjs); default dist/. */
  bundle?: string;
  /**
   * The bridge processes' niceness (the emulators run at 0); default 0. The bounded chaos inside
   * `npm test` uses 5: there a starved emulated portal posted one chat's events out of order.
   * The full run keeps 0: at 5, 10,000 messages each way starved the bridge itself (events 15 s
   * in its accept queue after a restart, then taken out of order).
   */
  bridgeNiceness?: number;
}

export interface ChaosResult {
  inbound: DeliveryCount;
  outbound: DeliveryCount;
  /** The webhook receiver's events of the same messages: `message.inbound` and `message.outbound`, by event id. */
  hooks: { inbound: DeliveryCount; outbound: DeliveryCount; badSignatures: number; retries: number };
  total: DeliveryCount;
  kills: number;
  seconds: number;
}

/** A small seeded generator (mulberry32): the same seed, the same run plan. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const APP = { clientId: 'local.chaos.bridge', clientSecret: 'chaos-client-secret' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json<T>(res: Promise<Response>): Promise<T> {
  const r = await res;
  if (!r.ok) throw new Error(`${r.url}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`chaos: ${what} did not happen within ${timeoutMs} ms`);
    await sleep(100);
  }
}

interface Conversation {
  index: number;
  botKey: string;
  botUserId: number;
  userId: number;
  chatId: number;
}

class BridgeProcesses {
  private readonly procs: Array<BenchChild | null> = [];

  constructor(private readonly configFor: (i: number) => Promise<string>, private readonly proxy: FrontProxy, private readonly ports: number[], private readonly bundle: string, private readonly niceness = 0) {}

  async start(i: number): Promise<void> {
    const child = await startChild(this.bundle, { BENCH_BRIDGE_CONFIG: await this.configFor(i) }, 120_000);
    // The portal and MAX are other machines in a deployment; here they share the cores with the
    // bridge. Below the emulators' priority (bridgeNiceness), the bridge cannot starve them.
    try {
      if (this.niceness !== 0) setPriority(child.pid, this.niceness);
    } catch {
      // Not permitted here: the run goes on at equal priority.
    }
    this.procs[i] = child;
    if (process.env.CHAOS_DEBUG) console.log(`chaos: ${Date.now()} process ${i} up`);
    this.proxy.setBackends(this.ports.map((p) => `http://127.0.0.1:${p}`));
  }

  kill(i: number): void {
    const child = this.procs[i];
    if (child) process.kill(child.pid, 'SIGKILL');
    this.procs[i] = null;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((p) => p?.stop()));
  }
}

/** When something was lost: what the jobs say (states, last errors), to see where it stuck. */
async function logJobStates(o: ChaosOptions): Promise<void> {
  const store = await openStore({ databaseUrl: o.databaseUrl, secretKey: 'chaos-only-secret-key-0123456789', clock: systemClock });
  try {
    const rows = await store.db.selectFrom('jobs').select(['kind', 'state', 'last_error_code', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy(['kind', 'state', 'last_error_code']).execute();
    for (const r of rows) o.log(`chaos[${o.engine}]: jobs ${r.kind} ${r.state} ${r.last_error_code ?? '-'}: ${Number(r.n)}`);
    const outbox = await store.outbox.countByState();
    o.log(`chaos[${o.engine}]: outbox ${JSON.stringify(outbox)}`);
  } finally {
    await store.close();
  }
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const random = seededRandom(o.seed);
  const max: MaxEmulator = await startMaxEmulator({
    bots: Array.from({ length: o.bots }, (_, i) => ({ token: `chaos-bot-token-${i}`, name: `Бот ${i}` })),
    // Retries ×2.5 from 1.2 s; a delivery not answered within 5 s counts as failed.
    timeFactor: 0.02, webhookTimeoutMs: 250_000,
    duplicateDeliveryRate: o.redeliveryRate, duplicateDeliveryMaxCopies: 3, reorderRetries: true, random,
  });
  const b24: Bitrix24Emulator = await startBitrix24Emulator({ apps: [APP], portals: [{ limits: { drainPerSecond: 50, burst: 500 } }], random });
  const proxy = await startFrontProxy();
  const receiver = await startHookReceiver(HOOK_SECRET, { random });
  receiver.errorRate = o.hookErrorRate ?? 0.05;
  const ports = await Promise.all(Array.from({ length: o.processes }, () => freePort()));
  const botKeys = Array.from({ length: o.bots }, (_, i) => `bot${i}`);
  const configFor = async (i: number) => JSON.stringify({
    config: {
      server: { port: ports[i], public_url: proxy.url },
      database: { url: o.databaseUrl },
      security: { secret_key: 'chaos-only-secret-key-0123456789' },
      log_level: 'error',
      // The bridge's defaults (workers, reorder windows), as a deployment would run it.
      bots: botKeys.map((id, b) => ({ id, token: `chaos-bot-token-${b}`, webhook_secret: `chaos_secret_${b}`, api_url: max.baseUrl })),
      portals: [{ id: 'main', client_id: APP.clientId, client_secret: APP.clientSecret, limits: { drain_per_second: 50, burst: 500 }, request_timeout_ms: 3_000 }],
      routes: [{ bot: '*', portal: 'main' }],
      hooks: { webhooks: o.webhooks === false ? [] : [{ name: 'erp', url: receiver.url, secret: HOOK_SECRET, events: ['message.inbound', 'message.outbound'], timeout_ms: 3_000 }] },
    },
  });
  const procs = new BridgeProcesses(configFor, proxy, ports, o.bundle ?? BRIDGE_BUNDLE, o.bridgeNiceness ?? 0);
  let kills = 0;
  const killTimes: number[] = [];
  try {
    await procs.start(0);
    await json(fetch(`${b24.controlUrl}/portals/0/install`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: APP.clientId, handlerUrl: `${proxy.url}/bitrix24/install/main` }),
    }));
    await waitUntil(async () => (await json<{ bindings: Array<{ event: string }> }>(fetch(`${b24.controlUrl}/portals/0/bindings`)))
      .bindings.some((b) => b.event === HANDLED_EVENTS.at(-1)), 60_000, 'the app setup');
    for (let i = 1; i < o.processes; i++) await procs.start(i);
    o.log(`chaos[${o.engine}]: ${o.processes} bridge process(es) up, setup done`);

    const botUserIds = await Promise.all(botKeys.map(async (_, b) =>
      (await json<{ user_id: number }>(fetch(`${max.baseUrl}/me`, { headers: { authorization: `chaos-bot-token-${b}` } }))).user_id));
    await json(fetch(`${b24.controlUrl}/portals/0/faults`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rules: [
          { kind: 'status', status: 503, code: 'QUERY_LIMIT_EXCEEDED', rate: o.limitErrorRate },
          { kind: 'status', status: 500, code: 'INTERNAL_SERVER_ERROR', rate: o.errorRate },
          { kind: 'timeout', rate: o.timeoutRate },
        ],
      }),
    }));

    const perConversation = Math.ceil(o.messages / o.conversations);
    const sentIn = new Map<string, number>();
    const sentOut = new Map<string, number>();
    const conversations: Conversation[] = [];
    const writeClient = async (conv: Omit<Conversation, 'chatId'>, k: number) => {
      const r = await json<{ message: { recipient: { chat_id: number } } }>(fetch(`${max.controlUrl}/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bot_id: conv.botUserId, user: { user_id: conv.userId, first_name: `Клиент ${conv.index}` }, text: `c${conv.index}-${k}` }),
      }));
      sentIn.set(String(conv.index), k + 1);
      return r.message.recipient.chat_id;
    };
    // Every conversation opens with a client message (the Open Lines chat exists after it).
    for (let c = 0; c < o.conversations; c++) {
      const conv = { index: c, botKey: botKeys[c % o.bots] as string, botUserId: botUserIds[c % o.bots] as number, userId: 800_000 + c };
      conversations.push({ ...conv, chatId: await writeClient(conv, 0) });
    }
    const portal = b24.context.portals[0]!;
    const lineChatOf = (conv: Conversation) => [...portal.chats.values()].find((ch) => ch.externalChatId === `${conv.botKey}:${conv.chatId}`);
    if (o.outbound) await waitUntil(() => conversations.every((c) => lineChatOf(c) !== undefined), o.drainTimeoutMs, 'every conversation reaching the line');

    // The load: the rest of the client messages and the operators' replies, with kills spread over it.
    const plan: Array<{ kind: 'in' | 'out'; conv: Conversation; k: number }> = [];
    for (let k = 1; k < perConversation; k++) for (const conv of conversations) if (k * o.conversations + conv.index < o.messages) plan.push({ kind: 'in', conv, k });
    if (o.outbound) {
      const outbound: typeof plan = [];
      for (let k = 0; k < perConversation; k++) for (const conv of conversations) if (k * o.conversations + conv.index < o.messages) outbound.push({ kind: 'out', conv, k });
      // Interleave the two directions.
      const merged: typeof plan = [];
      for (let i = 0; i < Math.max(plan.length, outbound.length); i++) {
        if (plan[i]) merged.push(plan[i]!);
        if (outbound[i]) merged.push(outbound[i]!);
      }
      plan.splice(0, plan.length, ...merged);
    }
    // Kills at spread-out points of the load, each after the previous restart has run for 1–3 s. Each worker owns a share of the conversations
    // and writes each one's messages strictly one after another (a client does not send
    // message k+1 before k is sent), so MAX's order of a conversation is the order of k.
    const WORKERS = 8;
    const killAt = new Set(Array.from({ length: o.kills }, (_, i) => Math.floor(((i + 1) * plan.length) / (o.kills + 1))));
    let done = 0;
    let killing: Promise<void> = Promise.resolve();
    const maybeKill = () => {
      const step = done++;
      if (!killAt.has(step)) return;
      // One kill-and-restart at a time: a process is never started twice on its port.
      killing = killing.then(async () => {
        const victim = Math.floor(random() * o.processes);
        procs.kill(victim);
        killTimes.push(Date.now());
        kills++;
        o.log(`chaos[${o.engine}]: ${Date.now()} SIGKILL process ${victim} at step ${step}/${plan.length}`);
        await sleep(300 + Math.floor(random() * 1_200));
        await procs.start(victim);
        // The next kill comes after the bridge has worked a while, at a random moment.
        await sleep(1_000 + Math.floor(random() * 2_000));
      });
    };
    // Paced: step i goes at loadStart + i / (rate × directions); a worker behind schedule goes at once.
    const loadStart = Date.now();
    const perStepMs = 1000 / (o.ratePerS * (o.outbound ? 2 : 1));
    const indexed = plan.map((step, i) => ({ ...step, atMs: loadStart + i * perStepMs }));
    const worker = async (w: number) => {
      for (const step of indexed.filter((p) => p.conv.index % WORKERS === w)) {
        const waitMs = step.atMs - Date.now();
        if (waitMs > 0) await sleep(waitMs);
        maybeKill();
        if (step.kind === 'in') {
          await writeClient(step.conv, step.k);
        } else {
          const chat = lineChatOf(step.conv)!;
          await json(fetch(`${b24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, {
            method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `o${step.conv.index}-${step.k}` }),
          }));
          sentOut.set(String(step.conv.index), step.k + 1);
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await killing;
    o.log(`chaos[${o.engine}]: load sent in ${((Date.now() - started) / 1000).toFixed(0)} s; draining`);

    const observe = () => {
      const inbound = new Map<string, number[]>();
      const outbound = new Map<string, number[]>();
      for (const conv of conversations) {
        const chat = lineChatOf(conv);
        const ins = (chat?.messageIds ?? []).map((id) => portal.messages.get(id)).filter((m) => m && m.direction === 'in')
          .map((m) => /^c(\d+)-(\d+)$/.exec(m!.text)).filter((m) => m && Number(m[1]) === conv.index).map((m) => Number(m![2]));
        inbound.set(String(conv.index), ins);
        const maxChat = max.world.chats.get(conv.chatId);
        const outs = (maxChat?.mids ?? []).map((mid) => max.world.messages.get(mid)).filter((m) => m?.fromBot && !m.deleted)
          .map((m) => /o(\d+)-(\d+)/.exec(m!.message.body.text ?? '')).filter((m) => m && Number(m[1]) === conv.index).map((m) => Number(m![2]));
        outbound.set(String(conv.index), outs);
      }
      // The receiver's events, each id once in the order first received.
      const hookIn = new Map<string, number[]>();
      const hookOut = new Map<string, number[]>();
      for (const e of receiver.events) {
        const m = /^([co])(\d+)-(\d+)$/.exec(String(e.data.text ?? ''));
        if (!m || (m[1] === 'c') !== (e.type === 'message.inbound')) continue;
        const into = m[1] === 'c' ? hookIn : hookOut;
        into.set(m[2]!, [...(into.get(m[2]!) ?? []), Number(m[3])]);
      }
      return {
        inbound: countDelivery(sentIn, inbound), outbound: countDelivery(sentOut, outbound),
        hooks: { inbound: countDelivery(sentIn, hookIn), outbound: countDelivery(sentOut, hookOut), badSignatures: receiver.badSignatures, retries: receiver.receipts.length - receiver.events.length },
      };
    };
    let last = -1;
    let lastProgressAt = Date.now();
    const deadline = Date.now() + o.drainTimeoutMs;
    for (;;) {
      const now = observe();
      const delivered = now.inbound.delivered + now.outbound.delivered + now.hooks.inbound.delivered + now.hooks.outbound.delivered;
      if (now.inbound.lost === 0 && now.outbound.lost === 0 && (o.webhooks === false || (now.hooks.inbound.lost === 0 && now.hooks.outbound.lost === 0))) break;
      if (delivered !== last) {
        last = delivered;
        lastProgressAt = Date.now();
      }
      if (Date.now() > deadline || Date.now() - lastProgressAt > 120_000) break;
      await sleep(1_000);
    }
    // Late duplicates (a redelivery still in flight) would show up now.
    await sleep(2_000);
    const result = observe();
    if (result.inbound.lost + result.outbound.lost > 0) await logJobStates(o);
    if (process.env.CHAOS_DEBUG || o.debug) {
      const misorderedOut: string[] = [];
      const misorderedIn: string[] = [];
      o.log(`debug chaos event loop delay: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(0)} ms p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms max ${(loopDelay.max / 1e6).toFixed(0)} ms`);
      const byOutcome = new Map<string, number>();
      const { attempts } = await json<{ attempts: Array<{ status: number | null; error?: string; atMs: number }> }>(fetch(`${max.controlUrl}/deliveries`));
      for (const a of attempts) {
        const k = `${a.status ?? a.error ?? '?'}@${Math.floor((a.atMs - started) / 1000)}s`;
        byOutcome.set(k, (byOutcome.get(k) ?? 0) + 1);
      }
      o.log(`debug deliveries: ${[...byOutcome].filter(([k]) => !k.startsWith('200@')).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      // The portal's event posts that did not end in 200 (Bitrix24 never posts an event again).
      const eventOutcomes = new Map<string, number>();
      for (const d of b24.context.deliveries) {
        if (d.status === 200) continue;
        const k = `${d.event}:${d.status ?? d.error ?? (d.dropped ? 'dropped' : 'pending')}@${((d.atMs - started) / 1000).toFixed(1)}s`;
        eventOutcomes.set(k, (eventOutcomes.get(k) ?? 0) + 1);
      }
      o.log(`debug portal events not taken: ${[...eventOutcomes].map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}`);
      for (const conv of conversations) {
        const texts = (lineChatOf(conv)?.messageIds ?? []).map((id) => portal.messages.get(id)).filter((m) => m?.direction === 'in').map((m) => m!.text);
        const ks = texts.map((t) => Number(/-(\d+)$/.exec(t)?.[1] ?? -1));
        if (ks.some((k, i) => i > 0 && k < Math.max(...ks.slice(0, i)))) {
          o.log(`debug c${conv.index} ${conv.botKey}:${conv.chatId}: ${texts.join(' ')}`);
          misorderedIn.push(`${conv.botKey}:${conv.chatId}`);
        }
        const outs = (max.world.chats.get(conv.chatId)?.mids ?? []).map((mid) => max.world.messages.get(mid)).filter((m) => m?.fromBot && !m.deleted).map((m) => m!.message.body.text ?? '');
        const oks = outs.map((t) => Number(/-(\d+)$/.exec(t)?.[1] ?? -1));
        if (oks.some((k, i) => i > 0 && k < Math.max(...oks.slice(0, i)))) {
          o.log(`debug out c${conv.index} ${conv.botKey}:${conv.chatId}: ${oks.join(' ')}`);
          misorderedOut.push(`${conv.botKey}:${conv.chatId}`);
        }
      }
      if (misorderedOut.length + misorderedIn.length > 0) {
        o.log(`debug run started at ${started}; kills at ${killTimes.map((t) => `${((t - started) / 1000).toFixed(3)}s`).join(' ')}`);
        await explainOutboundOrder(o.databaseUrl, misorderedOut, started, o.log).catch((err: unknown) => o.log(`debug order: ${String(err)}`));
        await explainInboundOrder(o.databaseUrl, misorderedIn, started, o.log).catch((err: unknown) => o.log(`debug order: ${String(err)}`));
      }
    }
    return { ...result, total: addCounts(result.inbound, result.outbound), kills, seconds: (Date.now() - started) / 1000 };
  } finally {
    await procs.stopAll();
    await proxy.close();
    await receiver.close();
    await max.close();
    await b24.close();
  }
}
