/**
 * Export: `GET /admin/export/messages` streamed over HTTP from a bridge process holding
 * 100,000 messages (docs/exports.md, "Memory"; figures in docs/performance.md, "Export").
 *
 * One SQLite file is filled with 1,000 conversations and `max(sizes)` messages, one a
 * millisecond apart: four in five are clients' messages with their line outbox items (a text
 * of ~120 characters, some with a phone for the masking to find), one in five an operator's
 * message part with the Bitrix24 event that carried it. For each size a fresh bridge process
 * (the bundle `npm start` runs, its flags, the default privacy policy) is started on that
 * file, and the first `size` messages are exported as NDJSON by a client in this process on
 * 127.0.0.1, three times in a row: the first export of a process just started and the third
 * (as a bridge that has been running meets one) are reported. Meanwhile the bridge process's memory is sampled: RSS from /proc every 20 ms
 * (its peak also per quarter of the rows), the V8 heap in use from its own /metrics
 * (`nodejs_heap_size_used_bytes`) every 100 ms.
 * Sizes side by side (10,000 and 100,000 by default): memory that stays flat does not grow
 * with the rows.
 */
import { existsSync } from 'node:fs';
import { stringify } from 'qs';
import { systemClock } from '../src/domain/clock.ts';
import { openStore } from '../src/store/open-store.ts';
import { freePort, startChild, type BenchChild } from './child-process.ts';

const SECRET_KEY = 'bench-only-secret-key-0123456789';
const ADMIN_TOKEN = 'bench-only-admin-token-0123456789';
const BUNDLE = 'dist/bench-bridge-server.mjs';
const CONVERSATIONS = 1_000;
/** 2026-12-01 00:00 UTC: message i is at START_MS + i. */
const START_MS = Date.UTC(2026, 11, 1);
const BATCH = 1_000;

export interface MemoryFigures {
  startMb: number;
  peakMb: number;
  endMb: number;
}

export interface ExportRun {
  rows: number;
  bytes: number;
  durationMs: number;
  rowsPerS: number;
  rss: MemoryFigures;
  heap: MemoryFigures;
  /** The RSS peak within each quarter of the rows, MB: memory that grew with the rows would climb from quarter to quarter. */
  rssPeakByQuarterMb: number[];
}

const MB = 1024 * 1024;
const text = (i: number) => `Здравствуйте! Заказ №${100_000 + i} пришёл не тот, ${i % 7 === 0 ? 'перезвоните на +7 916 123-45-67, ' : ''}хочу вернуть и получить другой размер. Спасибо.`;

/** The stored world: conversations, messages of both directions, their outbox items and events. */
export async function fillExportWorld(databaseUrl: string, count: number): Promise<void> {
  const store = await openStore({ databaseUrl, secretKey: SECRET_KEY, clock: systemClock });
  try {
    const conversations = Array.from({ length: CONVERSATIONS }, (_, c) => ({
      id: `bench:${10_000 + c}`, bot_id: 'bench', max_chat_id: String(10_000 + c), max_user_id: String(90_000 + c), line_ref: 'bench:1', state: 'active' as const,
      source_json: null, bitrix_chat_id: String(1700 + c), bitrix_session_id: String(300 + c), profile_json: null, last_inbound_key: null,
      route_name: 'default', route_json: null, client_phone: c % 3 === 0 ? `+7916${String(1_000_000 + c)}` : null, tags_json: null, created_at_ms: START_MS, updated_at_ms: START_MS,
    }));
    for (let at = 0; at < conversations.length; at += 200) await store.db.insertInto('conversations').values(conversations.slice(at, at + 200)).execute();
    for (let start = 0; start < count; start += BATCH) {
      await store.db.transaction().execute(async (trx) => {
        const messages = [];
        const outbox = [];
        const parts = [];
        const events = [];
        for (let i = start; i < Math.min(count, start + BATCH); i++) {
          const conversationId = `bench:${10_000 + (i % CONVERSATIONS)}`;
          const atMs = START_MS + i;
          if (i % 5 === 4) {
            parts.push({ conversation_id: conversationId, bitrix_message_id: String(500_000 + i), part: 0, max_mid: `mid.out.${i}`, sent_at_ms: atMs });
            const data = { CONNECTOR: 'max_bridge', LINE: '1', MESSAGES: [{ im: { chat_id: '1701', message_id: String(500_000 + i) }, message: { user_id: '7', text: `[b]Мария:[/b] [br]${text(i)}` }, chat: { id: conversationId } }] };
            events.push({ source: 'bitrix24:bench', kind: 'ONIMCONNECTORMESSAGEADD', dedupe_key: `ONIMCONNECTORMESSAGEADD:${500_000 + i}`, raw: stringify({ event: 'ONIMCONNECTORMESSAGEADD', data }), received_at_ms: atMs });
            continue;
          }
          messages.push({ conversation_id: conversationId, direction: 'in' as const, max_mid: `mid.${i}`, bitrix_message_id: null, state: 'delivered', created_at_ms: atMs, updated_at_ms: atMs });
          const item = { user: { id: String(90_000 + (i % CONVERSATIONS)), name: 'Клиент', last_name: '' }, message: { id: `mid.${i}`, date: Math.floor(atMs / 1000), text: text(i) }, chat: { id: conversationId } };
          outbox.push({
            line_ref: 'bench:1', conversation_id: conversationId, method: 'send', message_key: `mid.${i}`, sort_key: String(atMs), ts_ms: atMs, arrived_ms: atMs,
            item_json: JSON.stringify(item), state: 'sent' as const, result_json: null, tried_at_ms: null, created_at_ms: atMs, updated_at_ms: atMs,
          });
        }
        if (messages.length > 0) await trx.insertInto('messages').values(messages).execute();
        if (outbox.length > 0) await trx.insertInto('line_outbox').values(outbox).execute();
        if (parts.length > 0) await trx.insertInto('outbound_parts').values(parts).execute();
        if (events.length > 0) await trx.insertInto('events').values(events).execute();
      });
    }
  } finally {
    await store.close();
  }
}

async function heapUsedMb(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  return Number(/^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text)?.[1] ?? 0) / MB;
}

async function startBridgeProcess(databaseUrl: string): Promise<BenchChild> {
  const port = await freePort();
  const config = {
    server: { port, public_url: `http://127.0.0.1:${port}` }, database: { url: databaseUrl },
    security: { secret_key: SECRET_KEY, admin_token: ADMIN_TOKEN }, log_level: 'warn',
  };
  return startChild(existsSync(BUNDLE) ? BUNDLE : 'bench/processes/bridge-server.ts', { BENCH_BRIDGE_CONFIG: JSON.stringify({ config }) });
}

/** One export of `rows` messages from a running bridge process, its memory sampled throughout. */
async function exportOnce(bridge: BenchChild, rows: number): Promise<ExportRun> {
  await new Promise((r) => setTimeout(r, 1_000));
  const rss = { startMb: bridge.rssMb(), peakMb: 0, endMb: 0 };
  const heap = { startMb: await heapUsedMb(bridge.url), peakMb: 0, endMb: 0 };
  rss.peakMb = rss.startMb;
  heap.peakMb = heap.startMb;
  const quarters = [0, 0, 0, 0];
  let lines = 0;
  const rssTimer = setInterval(() => {
    const mb = bridge.rssMb();
    rss.peakMb = Math.max(rss.peakMb, mb);
    const q = Math.min(3, Math.floor((lines / rows) * 4));
    quarters[q] = Math.max(quarters[q] ?? 0, mb);
  }, 20);
  let heapBusy = false;
  const heapTimer = setInterval(() => {
    if (heapBusy) return;
    heapBusy = true;
    void heapUsedMb(bridge.url).then((mb) => {
      heap.peakMb = Math.max(heap.peakMb, mb);
    }).finally(() => {
      heapBusy = false;
    });
  }, 100);
  const from = new Date(START_MS).toISOString();
  const to = new Date(START_MS + rows).toISOString();
  const startedMs = performance.now();
  let bytes = 0;
  try {
    const res = await fetch(`${bridge.url}/admin/export/messages?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (res.status !== 200 || !res.body) throw new Error(`bench: export answered ${res.status}: ${await res.text()}`);
    const reader = res.body.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      bytes += next.value.byteLength;
      for (const b of next.value) if (b === 0x0a) lines++;
    }
  } finally {
    clearInterval(rssTimer);
    clearInterval(heapTimer);
  }
  const durationMs = performance.now() - startedMs;
  if (lines !== rows) throw new Error(`bench: the export gave ${lines} rows, ${rows} expected`);
  await new Promise((r) => setTimeout(r, 500));
  rss.endMb = bridge.rssMb();
  heap.endMb = await heapUsedMb(bridge.url);
  return { rows, bytes, durationMs, rowsPerS: rows / (durationMs / 1000), rss, heap, rssPeakByQuarterMb: quarters };
}

/** How many times each size is exported in a row by one process: the first (cold) and the last are reported. */
export const EXPORT_REPEATS = 3;

export interface ExportSizeFigures {
  /** The first export of a process just started (its JIT and heap still settling). */
  first: ExportRun;
  /** The last of EXPORT_REPEATS exports in a row, as a bridge that has been running meets one. */
  last: ExportRun;
}

/** The sizes side by side, each in a fresh bridge process on one database filled with the largest. */
export async function measureExport(databaseUrl: string, sizes: number[]): Promise<ExportSizeFigures[]> {
  await fillExportWorld(databaseUrl, Math.max(...sizes));
  const out: ExportSizeFigures[] = [];
  for (const size of sizes) {
    const bridge = await startBridgeProcess(databaseUrl);
    try {
      const runs: ExportRun[] = [];
      for (let k = 0; k < EXPORT_REPEATS; k++) runs.push(await exportOnce(bridge, size));
      out.push({ first: runs[0] as ExportRun, last: runs[runs.length - 1] as ExportRun });
    } finally {
      await bridge.stop();
    }
  }
  return out;
}
