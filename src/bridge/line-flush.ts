/**
 * The line flush job (`line.flush`, one queue per Open Line): sends what the
 * inbound pipeline queued in the line outbox, several items per
 * imconnector.*.messages call — the portal's limit counts requests, not
 * messages, so under load one request carries up to `maxItemsPerCall` items.
 *
 * Order: items of one conversation go out in queue order. A batch takes the
 * method of the oldest pending item and every later item of that method whose
 * conversation has no earlier item of another method still pending, so an
 * edit never overtakes the message it edits.
 *
 * Coalescing without costing latency: when the portal's bucket is nearly empty
 * the batch goes at once (one client writing → one call, no delay); when the
 * bucket is filling, the job lingers briefly so the batch fills before a
 * request is spent; and it reads the outbox only after it holds the limiter
 * slot, so everything queued while it waited rides along.
 *
 * A paused line (deleted, connector off, app uninstalled) sends nothing: its
 * items stay pending until the line is restored, which queues a flush again.
 */
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { BITRIX24_ERROR_CODES } from '../bitrix24/errors.ts';
import type { Clock } from '../domain/clock.ts';
import { BridgeError } from '../domain/errors.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';
import type { OutboxMethod, PendingOutboxRow } from '../store/repos/outbox-repo.ts';

export const DEFAULT_MAX_ITEMS_PER_CALL = 50;
/** How long a flush waits for its batch to fill when the bucket is filling. */
export const DEFAULT_LINGER_MS = 150;
/** How many pending items a flush looks at to build one batch. */
const SCAN_LIMIT = 500;

const METHOD_NAMES: Record<OutboxMethod, string> = {
  send: 'imconnector.send.messages',
  update: 'imconnector.update.messages',
  delete: 'imconnector.delete.messages',
  chat_name: 'imconnector.chat.name.set',
};

export interface LineFlushDeps {
  store: Store;
  bitrixFor: (portalId: string) => Bitrix24Client | undefined;
  connectorId: string;
  clock: Clock;
  pauseLine: (portalId: string, lineId: number, reason: string) => Promise<void>;
  maxItemsPerCall?: number;
  lingerMs?: number;
}

/** The next batch: one method, queue order kept per conversation. */
export function pickBatch(rows: PendingOutboxRow[], maxItems: number): PendingOutboxRow[] {
  const first = rows[0];
  if (!first) return [];
  if (first.method === 'chat_name') return [first];
  const batch: PendingOutboxRow[] = [];
  const held = new Set<string>();
  for (const row of rows) {
    if (batch.length >= maxItems) break;
    if (held.has(row.conversationId)) continue;
    if (row.method === first.method) batch.push(row);
    else held.add(row.conversationId);
  }
  return batch;
}

type ItemResult = { SUCCESS?: boolean; session?: { ID?: string | number; CHAT_ID?: string | number }; ERRORS?: unknown };

function itemResults(result: unknown): ItemResult[] {
  const data = (result as { DATA?: { RESULT?: unknown } } | null)?.DATA;
  return Array.isArray(data?.RESULT) ? data.RESULT as ItemResult[] : [];
}

export function lineFlushHandler(deps: LineFlushDeps): JobHandler {
  const maxItems = deps.maxItemsPerCall ?? DEFAULT_MAX_ITEMS_PER_CALL;
  const lingerMs = deps.lingerMs ?? DEFAULT_LINGER_MS;
  return async (job, ctx) => {
    const { lineRef, portalId } = job.payload as { lineRef: string; portalId: string };
    const lineId = Number(lineRef.slice(portalId.length + 1));
    const line = await deps.store.db.selectFrom('lines').select('state').where('id', '=', lineRef).executeTakeFirst();
    if (line?.state !== 'active') return;
    const bitrix = deps.bitrixFor(portalId);
    if (!bitrix) throw new BridgeError('BRG_ERR_NO_ROUTE', `portal ${portalId} is not configured`, { retryable: false });
    if ((await deps.store.outbox.pending(lineRef, 1)).length === 0) return;

    const { burst } = bitrix.limiter.effective(portalId);
    if (bitrix.limiter.level(portalId) >= Math.max(2, burst / 5) && (await deps.store.outbox.countPending(lineRef)) < maxItems) {
      await deps.clock.sleep(lingerMs, ctx.signal);
    }
    await bitrix.limiter.acquire(portalId, ctx.signal);
    const batch = pickBatch(await deps.store.outbox.pending(lineRef, SCAN_LIMIT), maxItems);
    const first = batch[0];
    if (!first) return;

    const params: Record<string, unknown> = first.method === 'chat_name'
      ? { CONNECTOR: deps.connectorId, LINE: lineId, ...first.item }
      : { CONNECTOR: deps.connectorId, LINE: lineId, MESSAGES: batch.map((r) => r.item) };
    let result: unknown;
    try {
      result = await bitrix.call(portalId, METHOD_NAMES[first.method], params, {
        preAcquired: true, signal: ctx.signal,
        correlation: { jobId: String(job.id), conversationId: batch.length === 1 ? first.conversationId : undefined },
      });
    } catch (err) {
      // NOT_ACTIVE_LINE / unknown connector: pause the line instead of burning retries;
      // its items wait in the outbox until the line is restored.
      if (err instanceof BridgeError && err.code === BITRIX24_ERROR_CODES.lineInactive) {
        await deps.pauseLine(portalId, lineId, `Bitrix24 answered ${(err as { bitrixCode?: string }).bitrixCode ?? err.code}`);
        return;
      }
      throw err;
    }
    const results = itemResults(result);
    return async (trx) => {
      for (const [i, row] of batch.entries()) {
        const r = first.method === 'chat_name' ? { SUCCESS: true } : results[i];
        const ok = r?.SUCCESS !== false;
        await deps.store.outbox.finish(row.id, ok ? 'sent' : 'rejected', r ?? null, trx);
        if (row.method !== 'send') continue;
        const session = r?.session;
        if (session?.CHAT_ID !== undefined) {
          await deps.store.conversations.setBitrixIds(row.conversationId, String(session.CHAT_ID), session.ID === undefined ? null : String(session.ID), trx);
        }
        await deps.store.conversations.recordInbound(row.conversationId, row.messageKey, ok ? 'delivered' : 'rejected', trx);
      }
      if ((await deps.store.outbox.countPending(lineRef, trx)) > 0) await deps.store.outbox.ensureFlushJob(lineRef, portalId, trx);
    };
  };
}
