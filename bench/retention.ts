/**
 * Retention keeps the database flat: the real pipeline (bridge + both emulators over HTTP)
 * carries `messagesPerDay` client messages into the Open Line and `repliesPerDay` operator
 * replies back to MAX every simulated day — half the clients regulars who write every day,
 * half new each day — for `days` days, with every retention at `retentionDays` days. Two
 * bridges side by side take the same traffic: one purges after each day (the same purge
 * the running bridge schedules, `bridge.purge()`), the other never does. After each day
 * both databases are measured:
 * - SQLite: the file plus its WAL (what the disk holds), and the live data,
 *   (page_count − freelist_count) × page_size (what the rows take; freed pages are reused);
 * - PostgreSQL (`--retention-pg`, slower): pg_database_size after a plain VACUUM (what
 *   autovacuum does between purges in production; without it the freed tuples are reused
 *   only once autovacuum runs).
 * The bridges run in this process on an offset clock (real time + whole days), moved a day
 * at a time while nothing is under way; the emulators keep real time. The bridge that never
 * purges has every retention at ten years (its own schedule runs, and finds nothing old).
 * Every message is counted by its text as it arrives: one lost or delivered twice stops the
 * run. About 60 s per engine on 2 vCPUs.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../src/cli/sandbox.ts';
import { configSchema } from '../src/config/schema.ts';
import { systemClock, type Clock } from '../src/domain/clock.ts';
import { startBridge, type Bridge } from '../src/runtime/start-bridge.ts';
import { freePort } from './child-process.ts';
import { installApp, setPortalLimit, waitFor } from './bench-world.ts';
import { postgresUrl } from './core.ts';

const DAY_MS = 86_400_000;
const SECRET_KEY = 'bench-retention-secret-key-01234';
const WEBHOOK_SECRET = 'bench_retention_webhook_secret';
const REPLIES_PER_S = 20;

/** Real time moved on by whole days: the bridge's clock; sleeps are real. */
class OffsetClock implements Clock {
  offsetMs = 0;
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(delayMs, signal);
  }
}

export interface SizeMb {
  /** SQLite: file + WAL; PostgreSQL: pg_database_size. */
  diskMb: number;
  /** SQLite: pages in use × page size; PostgreSQL: the same as diskMb. */
  liveMb: number;
}

export interface RetentionDay {
  day: number;
  /** Messages both ways carried so far. */
  carried: number;
  purged: SizeMb;
  kept: SizeMb;
  /** Rows the purge deleted after this day. */
  deletedRows: number;
}

export interface RetentionFigures {
  engine: 'sqlite' | 'postgres';
  days: RetentionDay[];
  messagesPerDay: number;
  repliesPerDay: number;
  retentionDays: number;
  durationS: number;
}

interface World {
  name: string;
  sandbox: Sandbox;
  bridge: Bridge;
  clock: OffsetClock;
  size(): Promise<SizeMb>;
  close(): Promise<void>;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

async function startWorld(name: string, databaseUrl: string, retentionDays: number): Promise<World> {
  const sandbox = await startSandbox({ preferredPorts: false });
  const port = await freePort();
  const clock = new OffsetClock();
  const config = configSchema.parse({
    server: { port, public_url: `http://127.0.0.1:${port}` },
    database: { url: databaseUrl },
    security: { secret_key: SECRET_KEY },
    // A size bench: the replies of a day are posted at once, and the reorder windows would
    // learn from that burst and hold them (docs/architecture.md, "The order gate").
    workers: { line_reorder_window_ms: 0, operator_reorder_window_ms: 0 },
    bots: [{ id: 'bench', token: SANDBOX_BOT_TOKEN, webhook_secret: WEBHOOK_SECRET, api_url: sandbox.max.baseUrl }],
    portals: [{ id: 'bench', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret, limits: { drain_per_second: 100, burst: 10_000 } }],
    routes: [{ bot: '*', portal: 'bench' }],
    journal: { retention_days: retentionDays },
    retention: { events_days: retentionDays, messages_days: retentionDays, files_days: retentionDays, dead_letters_days: retentionDays },
    // The catch-ups read no further back than the messages are kept (else they set the floor).
    max: { downtime_catchup_days: 1, catchup_window_ms: 0 },
  });
  const bridge = await startBridge(config, { clock });
  await setPortalLimit(sandbox, 1_000, 10_000);
  await installApp(sandbox, bridge.url);
  const postgres = databaseUrl.startsWith('postgres');
  const size = async (): Promise<SizeMb> => {
    const db = bridge.store.db;
    if (postgres) {
      await sql`vacuum`.execute(db);
      const row = (await sql<{ bytes: string }>`select pg_database_size(current_database())::text as bytes`.execute(db)).rows[0];
      const diskMb = mb(Number(row?.bytes ?? 0));
      return { diskMb, liveMb: diskMb };
    }
    const pragma = async (name: string) => Number(Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as Record<string, unknown>)[0]);
    const fileBytes = ['', '-wal'].reduce((sum, suffix) => {
      try {
        return sum + statSync(`${databaseUrl}${suffix}`).size;
      } catch {
        return sum;
      }
    }, 0);
    return { diskMb: mb(fileBytes), liveMb: mb((await pragma('page_count') - await pragma('freelist_count')) * await pragma('page_size')) };
  };
  return {
    name, sandbox, bridge, clock, size,
    close: async () => {
      await bridge.close();
      await sandbox.close();
    },
  };
}

const CLIENT_TEXT = 'Здравствуйте! Подскажите, пожалуйста, когда придёт мой заказ и можно ли изменить адрес доставки? Спасибо.';
const REPLY_TEXT = 'Добрый день! Заказ передан в доставку, курьер позвонит за час. Адрес можно изменить в личном кабинете.';

/**
 * One day's traffic through one world: client messages into the line, then one reply to each
 * client who wrote. Each message is counted by its text: one that arrives twice, or not at
 * all, stops the bench (the figures would not be of a correct run).
 */
async function carryDay(world: World, day: number, clients: number[], messagesPerClient: number): Promise<void> {
  const portal = world.sandbox.bitrix24.context.portals[0];
  const max = world.sandbox.max.world;
  if (!portal) throw new Error('bench: no emulated portal');
  const clientText = (userId: number, k: number) => `${CLIENT_TEXT} (клиент ${userId}, день ${day}, ${k + 1})`;
  const replyText = (userId: number) => `${REPLY_TEXT} (клиент ${userId}, день ${day})`;
  const expected = (texts: string[], seen: () => string[], what: string) => {
    // By inclusion: the operator's name may stand before a reply's text.
    const all = seen();
    const count = (t: string) => all.filter((s) => s.includes(t)).length;
    const twice = texts.filter((t) => count(t) > 1);
    if (twice.length > 0) throw new Error(`bench (${world.name}, day ${day}): ${what} delivered twice: ${twice.slice(0, 3).join(' | ')}`);
    return texts.every((t) => count(t) === 1);
  };
  const post = (path: string, body: unknown) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    .then(async (res) => {
      if (!res.ok) throw new Error(`bench: ${path}: ${res.status} ${await res.text()}`);
    });
  const sent: string[] = [];
  const lineTexts = () => [...portal.messages.values()].filter((m) => m.direction === 'in').map((m) => m.text);
  // Each client's next message once the line has taken the previous round: a client writing
  // again while the line's flush commits their first message can make PostgreSQL abort that
  // commit (a deadlock between the two transactions) after the send — the retried flush sends
  // it again (reported; not what this bench measures).
  for (let k = 0; k < messagesPerClient; k++) {
    await Promise.all(clients.map((userId) => {
      sent.push(clientText(userId, k));
      return post(`${world.sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: `Клиент ${userId}` }, text: clientText(userId, k) });
    }));
    await waitFor(() => expected(sent, lineTexts, 'a client message'), 120_000, 20);
  }
  // The latest Open Lines chat of each client (a client back after the purge may have a new one).
  const chatOf = new Map<string, number>();
  for (const chat of portal.chats.values()) chatOf.set(chat.externalUserId, Math.max(chatOf.get(chat.externalUserId) ?? 0, chat.chatId));
  // Operators answer at REPLIES_PER_S, under MAX's 30 requests/s per bot (a burst above it is
  // refused with 429 and retried seconds later: a longer run, the same database).
  const replies: Array<Promise<void>> = [];
  for (const userId of clients) {
    replies.push(post(`${world.sandbox.bitrix24.controlUrl}/portals/0/chats/${chatOf.get(String(userId))}/reply`, { text: replyText(userId) }));
    await new Promise((r) => setTimeout(r, 1_000 / REPLIES_PER_S));
  }
  await Promise.all(replies);
  const botTexts = () => [...max.messages.values()].filter((m) => m.fromBot).map((m) => m.message.body.text ?? '');
  await waitFor(() => expected(clients.map(replyText), botTexts, 'an operator reply'), 120_000, 20);
}

/** Waits until no job is left to run in the world's bridge (delivery statuses included). */
async function settle(world: World): Promise<void> {
  await waitFor(async () => {
    const counts = await world.bridge.store.jobs.countByState();
    return (counts.pending ?? 0) === 0 && (counts.running ?? 0) === 0;
  }, 120_000, 20);
}

export interface RetentionOptions {
  dir: string;
  days: number;
  /** Clients a day: half regulars (every day), half new each day. */
  clientsPerDay: number;
  messagesPerClient: number;
  retentionDays: number;
  engine: 'sqlite' | 'postgres';
}

export async function measureRetention(o: RetentionOptions): Promise<RetentionFigures> {
  const started = performance.now();
  const server = o.engine === 'postgres' ? await postgresUrl() : null;
  // The second database on the same server: its admin database is `postgres`.
  const admin = server ? Object.assign(new URL(server.url), { pathname: '/postgres' }).toString() : null;
  const second = admin ? await postgresUrl(admin) : null;
  const urls = o.engine === 'postgres'
    ? [server!.url, second!.url]
    : [join(o.dir, 'retention-purged.sqlite'), join(o.dir, 'retention-kept.sqlite')];
  const purged = await startWorld('purged', urls[0]!, o.retentionDays);
  // Its own scheduled purge runs too (on real time: a minute after its start): with ten years of
  // retention it never finds anything old enough.
  const kept = await startWorld('kept', urls[1]!, 3_650);
  const regulars = Math.ceil(o.clientsPerDay / 2);
  const days: RetentionDay[] = [];
  try {
    let carried = 0;
    for (let day = 1; day <= o.days; day++) {
      const clients = [
        ...Array.from({ length: regulars }, (_, i) => 7_000_000 + i),
        ...Array.from({ length: o.clientsPerDay - regulars }, (_, i) => 8_000_000 + day * 10_000 + i),
      ];
      await Promise.all([purged, kept].map(async (w) => {
        await carryDay(w, day, clients, o.messagesPerClient);
        await settle(w);
      }));
      carried += clients.length * (o.messagesPerClient + 1);
      for (const w of [purged, kept]) w.clock.offsetMs += DAY_MS;
      const run = await purged.bridge.purge();
      const deletedRows = run.ran ? Object.values(run.counts).reduce((a, b) => a + b, 0) : 0;
      days.push({ day, carried, purged: await purged.size(), kept: await kept.size(), deletedRows });
    }
  } finally {
    await purged.close();
    await kept.close();
    server?.stop();
    second?.stop();
  }
  return {
    engine: o.engine, days, messagesPerDay: o.clientsPerDay * o.messagesPerClient, repliesPerDay: o.clientsPerDay, retentionDays: o.retentionDays,
    durationS: (performance.now() - started) / 1000,
  };
}

/** The per-day table the bench prints under its summary. */
export function retentionDayLines(f: RetentionFigures): string[] {
  const m = (v: number) => v.toFixed(2).padStart(6);
  const size = (s: SizeMb) => (f.engine === 'sqlite' ? `${m(s.diskMb)} / ${m(s.liveMb)}` : m(s.diskMb));
  const what = f.engine === 'sqlite' ? 'file+WAL / live, MB' : 'pg_database_size after VACUUM, MB';
  const width = Math.max(what.length, size(f.days[0]?.purged ?? { diskMb: 0, liveMb: 0 }).length);
  return [
    `retention (${f.engine}): ${f.messagesPerDay} client messages + ${f.repliesPerDay} replies a day for ${f.days.length} days, every retention ${f.retentionDays} days; ${f.durationS.toFixed(0)} s`,
    `  day  carried  ${'purged each day'.padEnd(width)}  ${'never purged'.padEnd(width)}  rows purged`,
    `  ${''.padEnd(3)}  ${''.padEnd(7)}  ${what.padEnd(width)}  ${what.padEnd(width)}`,
    ...f.days.map((d) => `  ${String(d.day).padStart(3)}  ${String(d.carried).padStart(7)}  ${size(d.purged).padEnd(width)}  ${size(d.kept).padEnd(width)}  ${String(d.deletedRows).padStart(11)}`),
  ];
}
