/**
 * Footprint: the bridge process's resident memory with 100,000 messages stored
 * (events with their raw updates, finished jobs and the id map), after it has
 * taken a little live traffic.
 */
import type { Sandbox } from '../src/cli/sandbox.ts';
import { systemClock } from '../src/domain/clock.ts';
import { openStore } from '../src/store/open-store.ts';
import { BENCH_WEBHOOK_SECRET, inboundMessages, messageUpdate, startBridgeChild, setPortalLimit, waitFor } from './bench-world.ts';

export interface FootprintFigures {
  storedMessages: number;
  rssMb: number;
  idleRssMb: number;
  /** The same with Node's default flags (no --max-semi-space-size). */
  defaultFlagsRssMb: number;
}

async function fill(databaseUrl: string, count: number, clients: Array<{ userId: number; chatId: number }>): Promise<void> {
  const store = await openStore({ databaseUrl, secretKey: 'bench-only-secret-key-0123456789', clock: systemClock });
  try {
    const now = Date.now();
    for (let start = 0; start < count; start += 1_000) {
      await store.db.transaction().execute(async (trx) => {
        const events = [];
        const messages = [];
        const jobs = [];
        for (let i = start; i < Math.min(count, start + 1_000); i++) {
          const client = clients[i % clients.length]!;
          events.push({ source: 'max:bench', kind: 'message_created', dedupe_key: `mid.fill.${i}`, raw: messageUpdate(client, `mid.fill.${i}`, i, `stored ${i}`), received_at_ms: now });
          messages.push({ conversation_id: `bench:${client.chatId}`, direction: 'in' as const, max_mid: `mid.fill.${i}`, bitrix_message_id: null, state: 'delivered', created_at_ms: now, updated_at_ms: now });
          jobs.push({
            kind: 'max.update', conversation_key: `max:bench:${client.chatId}`, resource_key: null, payload: '{"botId":"bench"}', state: 'done' as const,
            attempts: 1, run_at_ms: now, locked_by: null, lease_until_ms: null, last_error_code: null, last_error: null, last_response: null,
            event_id: null, created_at_ms: now, updated_at_ms: now,
          });
        }
        await trx.insertInto('events').values(events).execute();
        await trx.insertInto('messages').values(messages).onConflict((oc) => oc.doNothing()).execute();
        await trx.insertInto('jobs').values(jobs).execute();
      });
    }
  } finally {
    await store.close();
  }
}

/** One bridge process on the filled database: RSS idle, then after `live` messages through the pipeline. */
async function measureOnce(sandbox: Sandbox, databaseUrl: string, clients: Array<{ userId: number; chatId: number }>, tag: string, nodeFlags?: string[]): Promise<{ idleRssMb: number; rssMb: number }> {
  const bridge = await startBridgeChild(sandbox, { databaseUrl, drainPerSecond: 100, burst: 10_000, nodeFlags });
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    const idleRssMb = bridge.rssMb();
    const before = inboundMessages(sandbox).length;
    const live = 1_000;
    for (let i = 0; i < live; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, k) => fetch(`${bridge.url}/max/webhook/bench`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': BENCH_WEBHOOK_SECRET },
        body: messageUpdate(clients[(i + k) % clients.length]!, `mid.live.${tag}.${i + k}`, i + k, `live ${tag} ${i + k}`),
      }).then((r) => r.arrayBuffer())));
    }
    await waitFor(() => inboundMessages(sandbox).length >= before + live, 120_000, 50);
    return { idleRssMb, rssMb: bridge.rssMb() };
  } finally {
    await bridge.stop();
  }
}

/** The figure with the flags `npm start` uses; side by side, the same with Node's defaults. */
export async function measureFootprint(sandbox: Sandbox, databaseUrl: string, clients: Array<{ userId: number; chatId: number }>, stored: number): Promise<FootprintFigures> {
  await fill(databaseUrl, stored, clients);
  await setPortalLimit(sandbox, 1_000, 10_000);
  const start = await measureOnce(sandbox, databaseUrl, clients, 'start');
  const plain = await measureOnce(sandbox, databaseUrl, clients, 'plain', []);
  return { storedMessages: stored, rssMb: start.rssMb, idleRssMb: start.idleRssMb, defaultFlagsRssMb: plain.rssMb };
}
