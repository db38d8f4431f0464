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
 * bucket is filling, or messages arrive faster than the portal's rate could
 * carry in short batches (a burst meeting a full bucket), the job lingers
 * briefly so the batch fills before a request is spent; and it reads the
 * outbox only after it holds the limiter slot, so everything queued while it
 * waited rides along.
 *
 * A send tried before whose answer never came is looked up in the chat's
 * history first; a chat whose history cannot be read holds its conversation
 * (never read as "not there": that would send it twice). An item whose file
 * the portal cannot fetch goes again as text in its place; an item with files
 * is therefore the last of its conversation in a call.
 *
 * Held: whatever the order gate (order/gate.ts) says may not go yet — a
 * catch-up pending, an earlier update stored but unprocessed, a request still
 * being taken in, another process's barrier, the learned reorder window. The
 * flush asks it per item and comes back when the first held item may go.
 *
 * A paused line (deleted, connector off, app uninstalled) sends nothing: its
 * items stay pending until the line is restored, which queues a flush again.
 * A portal that has blocked the app (OVERLOAD_LIMIT) likewise: the flush steps
 * aside (NotYet, no attempt counted) until the block's next probe.
 */
import type { Bitrix24Client } from '../bitrix24/client.ts';
import type { BatchOutcome } from '../bitrix24/batch.ts';
import { BITRIX24_ERROR_CODES, isPortalBlocked } from '../bitrix24/errors.ts';
import type { Clock } from '../domain/clock.ts';
import { BridgeError } from '../domain/errors.ts';
import { codeOf, type Logger } from '../log/logger.ts';
import { NotYet } from '../queue/not-yet.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';
import type { HookEmitter } from './hook-events.ts';
import type { OnComplete } from '../store/repos/job-repo.ts';
import type { OutboxMethod, PendingOutboxKey, PendingOutboxRow } from '../store/repos/outbox-repo.ts';
import { conversationIdParts, lineIdOfLine, type ConversationId, type LineRef } from '../domain/ids.ts';
import type { Correlation } from '../journal/exchange.ts';
import { LINE_FLUSH_JOB, parseJobPayload } from '../queue/job-kinds.ts';
import { hasFiles, withoutFiles } from './line-file-fallback.ts';
import type { HoldReason } from './order/hold-reason.ts';
import type { OrderGate } from './order/gate.ts';
import { ensureLeaseMargin } from './resource-leases.ts';

export const DEFAULT_MAX_ITEMS_PER_CALL = 50;
/** How long a flush waits for its batch to fill when the bucket is filling. */
export const DEFAULT_LINGER_MS = 150;
/** How soon the history of a conversation is looked at again when it could not be read. */
const HISTORY_RECHECK_MS = 1_000;
/** How many pending items a flush reads at a time to build one batch, and at most how many such pages. */
const SCAN_LIMIT = 500;
const SCAN_PAGES = 10;

const METHOD_NAMES: Record<OutboxMethod, string> = {
  send: 'imconnector.send.messages',
  update: 'imconnector.update.messages',
  delete: 'imconnector.delete.messages',
  chat_name: 'imconnector.chat.name.set',
  status: 'imconnector.send.status.delivery',
};

export interface LineFlushDeps {
  store: Store;
  bitrixFor: (portalId: string) => Bitrix24Client | undefined;
  connectorId: string;
  clock: Clock;
  pauseLine: (portalId: string, lineId: number, reason: string) => Promise<void>;
  maxItemsPerCall?: number;
  lingerMs?: number;
  /** Decides which items may go yet (order/gate.ts); the flush holds nothing back on its own. */
  gate: Pick<OrderGate, 'settleBeforeLinePlan' | 'forLine'>;
  /** The flush calls the portal only with this much of its job lease left (resource-leases.ts). */
  leaseMarginMs: number;
  /** A client's message accepted by the Open Line; `arrivedMs`: when the bridge received it (metrics). */
  onDelivered?: (arrivedMs: number) => void;
  /** A send opened a new Open Lines session of a conversation: its CRM step is queued here, in the flush's "done" (crm/session-job.ts). */
  onNewSession?: (session: { conversationId: ConversationId; chatId: string; sessionId: string }, trx: Parameters<OnComplete>[0]) => Promise<void>;
  /** Hook events (hook-events.ts): `message.delivered` / `delivery.failed` of each client message, in the flush's "done". */
  hookEvents?: HookEmitter;
}

/** `message.delivered` (the line took the client's message) or `delivery.failed` (it refused it for good). */
async function emitLineOutcome(
  events: HookEmitter | undefined, row: PendingOutboxRow, lineRef: string, ok: boolean, errors: unknown, session: { ID?: unknown; CHAT_ID?: unknown } | undefined, trx: Parameters<OnComplete>[0],
): Promise<void> {
  const type = ok ? 'message.delivered' : 'delivery.failed';
  if (!events?.wants(type)) return;
  await events.emit({
    type, conversationId: row.conversationId, key: `${ok ? 'delivered' : 'failed'}:in:${row.conversationId}:${row.messageKey}`,
    data: {
      conversation_id: row.conversationId, direction: 'inbound', mid: row.messageKey, line: lineRef,
      ...(ok
        ? { bitrix_chat_id: session?.CHAT_ID === undefined ? null : String(session.CHAT_ID), session_id: session?.ID === undefined ? null : String(session.ID) }
        : { code: 'BRG_ERR_LINE_REFUSED', reason: Array.isArray(errors) ? errors.map(String).join('; ').slice(0, 500) : 'refused by the line' }),
    },
  }, trx);
}

export interface BatchPlan {
  batch: PendingOutboxRow[];
  /** When the first item the order gate holds back may be looked at again; null if none is held. */
  nextEligibleAtMs: number | null;
}

/**
 * Two lanes per conversation: the client's messages and what changes them
 * (send, update, delete, chat name) in MAX order; and delivery statuses of
 * operator messages, which concern neither — in their own order, neither
 * waiting for nor holding back the other lane (under load they would
 * otherwise cut every batch short).
 */
type Lane = 'client' | 'status';
const laneOf = (method: OutboxMethod): Lane => (method === 'status' ? 'status' : 'client');

/**
 * The conversations among `rows` (the items a flush read) that have a pending
 * item not among them which sorts before one of theirs in the same lane: it
 * was queued after a later message (a late arrival, a catch-up) and lies
 * beyond the rows read. `pending` is every pending item's key for these
 * conversations.
 */
export function conversationsWithUnreadEarlier(rows: PendingOutboxRow[], pending: PendingOutboxKey[]): string[] {
  const laneKey = (conversationId: string, method: OutboxMethod) => `${conversationId}\u0000${laneOf(method)}`;
  const readMax = new Map<string, string>();
  const readIds = new Set<number>();
  for (const r of rows) {
    readIds.add(r.id);
    const k = laneKey(r.conversationId, r.method);
    const m = readMax.get(k);
    if (m === undefined || r.sortKey > m) readMax.set(k, r.sortKey);
  }
  const out = new Set<string>();
  for (const p of pending) {
    if (readIds.has(p.id)) continue;
    const max = readMax.get(laneKey(p.conversationId, p.method));
    if (max !== undefined && p.sortKey < max) out.add(p.conversationId);
  }
  return [...out];
}

/**
 * The next batch: one method; within a conversation items go in MAX order
 * (sort key), and an item the order gate holds (`whyNotYet`) holds its
 * conversation's lane back: an earlier message may still be on its way to us.
 */
export function pickBatch(rows: PendingOutboxRow[], maxItems: number, whyNotYet: (row: PendingOutboxRow) => HoldReason | null = () => null): BatchPlan {
  const byConversation = new Map<string, PendingOutboxRow[]>();
  for (const row of rows) {
    const list = byConversation.get(row.conversationId);
    if (list) list.push(row);
    else byConversation.set(row.conversationId, [row]);
  }
  let method: OutboxMethod | null = null;
  let nextEligibleAtMs: number | null = null;
  const batch: PendingOutboxRow[] = [];
  for (const list of byConversation.values()) {
    list.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : a.id - b.id));
    // A lane stops at its first item that cannot go now; the other lane goes on.
    const stopped = new Set<Lane>();
    for (const row of list) {
      const lane = laneOf(row.method);
      if (stopped.has(lane) || (method !== null && lane !== laneOf(method))) continue;
      const held = whyNotYet(row);
      if (held) {
        nextEligibleAtMs = Math.min(nextEligibleAtMs ?? held.lookAgainAtMs, held.lookAgainAtMs);
        stopped.add(lane);
        continue;
      }
      method ??= row.method;
      if (row.method !== method || batch.length >= maxItems) {
        stopped.add(lane);
        continue;
      }
      batch.push(row);
      if (method === 'chat_name') return { batch, nextEligibleAtMs };
      // An item with files goes last of its conversation in a call: if the portal cannot fetch
      // a file, the item is sent again as text (line-file-fallback.ts) before anything after it.
      if (method === 'send' && hasFiles(row.item)) stopped.add(lane);
    }
    if (batch.length >= maxItems) break;
  }
  return { batch, nextEligibleAtMs };
}

/** Arrivals looked at for the rate: the last half second. */
const RATE_WINDOW_MS = 500;
/** The shortest span a rate is measured over: two messages a moment apart are not a burst. */
const RATE_MIN_SPAN_MS = 50;

/**
 * How fast client items are arriving on the line now, per second: the pending rows that
 * arrived in the last RATE_WINDOW_MS over the span they cover (at least RATE_MIN_SPAN_MS),
 * so the first moments of a burst already show its pace.
 */
export function arrivalRatePerS(rows: PendingOutboxRow[], nowMs: number): number {
  let count = 0;
  let earliest = nowMs;
  for (const r of rows) {
    if (r.method === 'status' || nowMs - r.arrivedMs > RATE_WINDOW_MS) continue;
    count++;
    if (r.arrivedMs < earliest) earliest = r.arrivedMs;
  }
  return count === 0 ? 0 : (count * 1000) / Math.max(RATE_MIN_SPAN_MS, nowMs - earliest);
}

type ItemResult = { SUCCESS?: boolean; session?: { ID?: string | number; CHAT_ID?: string | number }; ERRORS?: unknown };

/**
 * The journal's ids of one call: its job and line, and the message it carries (a send's MAX
 * mid, a status's Bitrix24 message id) with its conversation — or, for a batch, each of them.
 */
function correlationOf(rows: PendingOutboxRow[], jobId: string, lineRef: LineRef): Correlation {
  const first = rows[0];
  if (rows.length === 1 && first) {
    return { jobId, lineRef, conversationId: first.conversationId, messageId: first.messageKey, maxChatId: conversationIdParts(first.conversationId).maxChatId };
  }
  return { jobId, lineRef, refs: rows.map((r) => ({ conversationId: r.conversationId, messageId: r.messageKey })) };
}

function itemResults(result: unknown): ItemResult[] {
  const data = (result as { DATA?: { RESULT?: unknown } } | null)?.DATA;
  return Array.isArray(data?.RESULT) ? data.RESULT as ItemResult[] : [];
}

function isLineInactive(err: unknown): boolean {
  return err instanceof BridgeError && err.code === BITRIX24_ERROR_CODES.lineInactive;
}

/** A certain, final "no" to this request (4xx argument errors), as opposed to limits, outages, timeouts. */
function isRefusal(err: unknown): err is BridgeError {
  return err instanceof BridgeError && !err.retryable && err.certain && !isLineInactive(err);
}

const BLOCKED = 'the portal has blocked the app (OVERLOAD_LIMIT)';

/** The flush waits for a blocked portal's next probe (portal-hold.ts) as a NotYet: its job is deferred, not failed. */
function blockedUntilLater(err: BridgeError, nowMs: number): NotYet {
  return new NotYet(nowMs + (err.retryAfterMs ?? HISTORY_RECHECK_MS), BLOCKED);
}

function refusalText(err: BridgeError): string {
  return `${(err as { bitrixCode?: string }).bitrixCode ?? err.code}: ${err.message}`;
}

/**
 * What a look at the Open Lines history found for rows tried before: `found`, the rows whose
 * message is already in its chat (history carries our ids as CONNECTOR_MID); `unread`, the
 * conversations whose history could not be read (the command failed inside the batch, or the
 * batch itself) — their rows are neither sent nor given up: they wait for the next look.
 */
interface LineCheck {
  found: Set<number>;
  unread: Set<string>;
}

async function alreadyInLine(deps: LineFlushDeps, bitrix: Bitrix24Client, portalId: string, rows: PendingOutboxRow[], log: Logger): Promise<LineCheck> {
  const check: LineCheck = { found: new Set(), unread: new Set() };
  if (rows.length === 0) return check;
  const chats = await deps.store.conversations.bitrixChatsOf([...new Set(rows.map((r) => r.conversationId))]);
  if (chats.length === 0) return check;
  let outcome: BatchOutcome;
  try {
    outcome = await bitrix.batch(portalId, Object.fromEntries(chats.map((c, i) => [`c${i}`, { method: 'imopenlines.session.history.get', params: { CHAT_ID: c.bitrixChatId } }])), { idempotent: true });
  } catch (err) {
    // The portal has blocked the app: the whole flush waits (below). Any other failure: not read.
    if (isPortalBlocked(err)) throw err;
    log.warn({ err, code: codeOf(err), conversationIds: chats.map((c) => c.id) }, 'reading the line history failed; these conversations wait for the next look');
    for (const c of chats) check.unread.add(c.id);
    return check;
  }
  const idsByConversation = new Map<string, Set<string>>();
  for (const [i, c] of chats.entries()) {
    const history = outcome.results[`c${i}`] as { message?: unknown } | undefined;
    if (outcome.errors[`c${i}`] !== undefined || history === undefined || history === null) {
      check.unread.add(c.id);
      continue;
    }
    const messages = Array.isArray(history.message) ? history.message : Object.values((history.message ?? {}) as Record<string, unknown>);
    const ids = new Set<string>();
    for (const m of messages as Array<{ params?: { CONNECTOR_MID?: unknown } }>) {
      const mids = m.params?.CONNECTOR_MID;
      for (const id of Array.isArray(mids) ? mids : mids === undefined || mids === null ? [] : [mids]) ids.add(String(id));
    }
    idsByConversation.set(c.id, ids);
  }
  for (const r of rows) if (idsByConversation.get(r.conversationId)?.has(r.messageKey)) check.found.add(r.id);
  return check;
}

export function lineFlushHandler(deps: LineFlushDeps): JobHandler {
  const maxItems = deps.maxItemsPerCall ?? DEFAULT_MAX_ITEMS_PER_CALL;
  const lingerMs = deps.lingerMs ?? DEFAULT_LINGER_MS;
  return async (job, ctx) => {
    const { lineRef, portalId } = parseJobPayload(LINE_FLUSH_JOB, job.payload);
    const lineId = lineIdOfLine(lineRef);
    if ((await deps.store.lines.stateOf(lineRef)) !== 'active') return;
    const bitrix = deps.bitrixFor(portalId);
    if (!bitrix) throw new BridgeError('BRG_ERR_NO_ROUTE', `portal ${portalId} is not configured`, { retryable: false });
    // The portal has blocked the app (OVERLOAD_LIMIT): step aside until its next probe. The
    // plan is still made first when webhooks want the client messages: their place is settled
    // here, and the receivers learn of them while the portal is away.
    const heldUntilMs = bitrix.holds.heldUntilMs(portalId, deps.clock.nowMs());
    const tellsInbound = deps.hookEvents?.wants('message.inbound') === true;
    if (heldUntilMs !== null && !tellsInbound) throw new NotYet(heldUntilMs, BLOCKED);
    // Requests still being taken in may hold an earlier message: the gate waits for them here.
    await deps.gate.settleBeforeLinePlan(ctx.signal);
    /**
     * The rows read are the oldest in queue order, but a conversation may have an earlier
     * message queued later (a late arrival, a catch-up) beyond them: such conversations'
     * pending rows are read whole, so the plan sees their messages in order.
     */
    const withUnreadEarlier = async (rows: PendingOutboxRow[]): Promise<PendingOutboxRow[]> => {
      const conversations = [...new Set(rows.map((r) => r.conversationId))];
      const incomplete = conversationsWithUnreadEarlier(rows, await deps.store.outbox.pendingKeys(lineRef, conversations));
      if (incomplete.length === 0) return rows;
      const seen = new Set(rows.map((r) => r.id));
      return rows.concat((await deps.store.outbox.pendingOf(lineRef, incomplete)).filter((r) => !seen.has(r.id)));
    };
    /** Plans over the oldest pending rows; while the batch is short and more are pending, looks further (held conversations must not stall the rest). */
    const planNow = async () => {
      let rows: PendingOutboxRow[] = [];
      for (let page = 0; page < SCAN_PAGES; page++) {
        const more = await deps.store.outbox.pending(lineRef, SCAN_LIMIT, rows.at(-1)?.id ?? 0);
        rows = rows.concat(more);
        const plan = await planOver(rows);
        if (plan.batch.length >= maxItems || more.length < SCAN_LIMIT) return plan;
      }
      return planOver(rows);
    };
    const planOver = async (scanned: PendingOutboxRow[]) => {
      const rows = await withUnreadEarlier(scanned);
      const arrivalsPerS = arrivalRatePerS(rows, deps.clock.nowMs());
      const holds = await deps.gate.forLine(lineRef, rows);
      return { ...pickBatch(rows, maxItems, (row) => holds.whyNotYet(row)), arrivalsPerS };
    };
    // Everything pending is held by the order gate (or nothing is pending): come back when the first item may go.
    const later = (at: number | null): OnComplete => async (trx) => {
      if (at !== null) await deps.store.outbox.ensureFlushJob(lineRef, portalId, trx, at);
    };
    /** `message.inbound` of the client messages the gate let go, in their order (hook-events.ts `release`). */
    const tellPlanned = async (batch: PendingOutboxRow[]) => {
      const sends = batch.filter((r) => r.method === 'send');
      const events = deps.hookEvents;
      if (!tellsInbound || !events || sends.length === 0) return;
      await deps.store.transaction(async (trx) => {
        for (const row of sends) await events.release('message.inbound', `in:${row.conversationId}:${row.messageKey}`, trx);
      });
    };
    let plan = await planNow();
    await tellPlanned(plan.batch);
    if (heldUntilMs !== null) throw new NotYet(heldUntilMs, BLOCKED);
    if (plan.batch.length === 0) return later(plan.nextEligibleAtMs);

    const { burst, drainPerSecond } = bitrix.limiter.effective(portalId);
    // Linger for a fuller batch when requests are what is scarce: the bucket is filling, or
    // messages are coming faster than the portal's rate could carry in short batches (a burst
    // meeting a full bucket: small calls now would cost full ones later). A lone message goes at once.
    const callsNeededPerS = plan.arrivalsPerS / maxItems;
    if (plan.batch.length < maxItems && (bitrix.limiter.level(portalId) >= Math.max(2, burst / 20) || callsNeededPerS > drainPerSecond)) {
      await deps.clock.sleep(lingerMs, ctx.signal);
    }
    await bitrix.limiter.acquire(portalId, ctx.signal);
    // A stall past the lease (the wait above included) may have handed the portal to another process.
    ensureLeaseMargin(ctx, deps.clock.nowMs(), deps.leaseMarginMs);
    // Read again with the slot in hand: what was queued while we waited rides along.
    plan = await planNow();
    await tellPlanned(plan.batch);
    const first = plan.batch[0];
    if (!first) return later(plan.nextEligibleAtMs);
    const outcomes: Array<{ row: PendingOutboxRow; result: ItemResult | undefined }> = [];
    // A send tried before (its process died, or the answer never came) may already be in the
    // line: Bitrix24 documents no dedupe by message id, so look before sending it again.
    const check = first.method === 'send'
      ? await alreadyInLine(deps, bitrix, portalId, plan.batch.filter((r) => r.tried), ctx.log).catch((err: unknown) => {
        throw isPortalBlocked(err) ? blockedUntilLater(err, deps.clock.nowMs()) : err;
      })
      : { found: new Set<number>(), unread: new Set<string>() };
    for (const row of plan.batch) if (check.found.has(row.id)) outcomes.push({ row, result: { SUCCESS: true } });
    // A conversation whose history could not be read is not sent at all (not "not there": its
    // tried item may be in the line): all its rows stay pending, in order, for the next look.
    const batch = plan.batch.filter((r) => !check.found.has(r.id) && !check.unread.has(r.conversationId));
    let retryAfterMs: number | null = check.unread.size > 0 ? HISTORY_RECHECK_MS : null;
    await deps.store.outbox.markTried(batch.map((r) => r.id));

    const call = (rows: PendingOutboxRow[], preAcquired: boolean) => bitrix.call(portalId, METHOD_NAMES[first.method], first.method === 'chat_name'
      ? { CONNECTOR: deps.connectorId, LINE: lineId, ...first.item }
      : { CONNECTOR: deps.connectorId, LINE: lineId, MESSAGES: rows.map((r) => r.item) }, {
      preAcquired, signal: ctx.signal,
      correlation: correlationOf(rows, String(job.id), lineRef),
    });
    try {
      const results = batch.length > 0 ? itemResults(await call(batch, true)) : [];
      for (const [i, row] of batch.entries()) outcomes.push({ row, result: first.method === 'chat_name' ? { SUCCESS: true } : results[i] });
    } catch (err) {
      // NOT_ACTIVE_LINE / unknown connector: pause the line instead of burning retries;
      // its items wait in the outbox until the line is restored.
      if (isLineInactive(err)) {
        await deps.pauseLine(portalId, lineId, `Bitrix24 answered ${(err as { bitrixCode?: string }).bitrixCode ?? (err as BridgeError).code}`);
        return;
      }
      // The portal has blocked the app: nothing was taken; every item stays pending, in order,
      // and the flush comes back at the next probe — no attempt counted, nothing given up.
      if (isPortalBlocked(err)) {
        await deps.store.outbox.clearTried(batch.map((r) => r.id));
        throw blockedUntilLater(err, deps.clock.nowMs());
      }
      if (!isRefusal(err)) {
        // Bitrix24 answered (a limit, a 5xx): it did not take the items, so the next try need not look.
        if (err instanceof BridgeError && err.certain) await deps.store.outbox.clearTried(batch.map((r) => r.id));
        throw err;
      }
      // Refused as a whole (a malformed item, CHAT_RENAMING_FAILED): one bad item must not
      // hold the line. A single item is recorded as rejected; a batch is retried item by item.
      if (batch.length === 1) {
        outcomes.push({ row: batch[0] as PendingOutboxRow, result: { SUCCESS: false, ERRORS: [refusalText(err)] } });
      } else {
        for (const row of batch) {
          try {
            await bitrix.limiter.acquire(portalId, ctx.signal);
            const results = itemResults(await call([row], true));
            outcomes.push({ row, result: first.method === 'chat_name' ? { SUCCESS: true } : results[0] });
          } catch (one) {
            if (isRefusal(one)) {
              outcomes.push({ row, result: { SUCCESS: false, ERRORS: [refusalText(one)] } });
              continue;
            }
            // Keep what went out; the rest waits for the next flush, a little later.
            ctx.log.warn({ err: one, code: codeOf(one), conversationId: row.conversationId, messageKey: row.messageKey }, 'sending an item alone failed; the rest waits for the next flush');
            retryAfterMs = 1_000;
            break;
          }
        }
      }
    }
    return async (trx) => {
      for (const { row, result: r } of outcomes) {
        const ok = r?.SUCCESS !== false;
        const outcome = { conversationId: row.conversationId, messageKey: row.messageKey, method: row.method };
        if (ok) ctx.log.debug(outcome, 'item taken by the line');
        else ctx.log.warn({ ...outcome, errors: r?.ERRORS }, row.method === 'send' && hasFiles(row.item) ? 'item refused by the line; sent again as text' : 'item refused by the line');
        // Refused with its files (the portal could not fetch one): the same item again as text,
        // in its place — the next flush sends it first of its conversation (see pickBatch).
        const asText = !ok && row.method === 'send' ? withoutFiles(row.item) : null;
        if (asText) {
          await deps.store.outbox.replaceItem(row.id, asText, trx);
          continue;
        }
        await deps.store.outbox.finish(row.id, ok ? 'sent' : 'rejected', r ?? null, trx);
        if (row.method !== 'send') continue;
        const session = r?.session;
        if (session?.CHAT_ID !== undefined) {
          const sessionId = session.ID === undefined ? null : String(session.ID);
          const isNew = await deps.store.conversations.setBitrixIds(row.conversationId, String(session.CHAT_ID), sessionId, trx);
          if (isNew && sessionId !== null) await deps.onNewSession?.({ conversationId: row.conversationId, chatId: String(session.CHAT_ID), sessionId }, trx);
        }
        await deps.store.conversations.recordInbound(row.conversationId, row.messageKey, ok ? 'delivered' : 'rejected', trx);
        if (ok) deps.onDelivered?.(row.arrivedMs);
        await emitLineOutcome(deps.hookEvents, row, lineRef, ok, r?.ERRORS, r?.session, trx);
      }
      if ((await deps.store.outbox.countPending(lineRef, trx)) > 0) {
        const runAtMs = retryAfterMs !== null ? deps.clock.nowMs() + retryAfterMs : undefined;
        await deps.store.outbox.ensureFlushJob(lineRef, portalId, trx, runAtMs);
      }
    };
  };
}
