/**
 * Catch-up after a long downtime of the bridge itself. MAX retries a failed
 * webhook at 60 s, 150 s, 375 s … (×2.5) and gives up — deleting the
 * subscription — after 8 hours, so after a downtime a client who wrote once
 * and then waited may not be heard for hours, or ever. The restart catch-up
 * (catch-up.ts) reads only conversations that have something waiting or write
 * again; this one reads every chat active within the window:
 *
 * - when the bridge was away longer than `max.downtime_catchup_after_ms`
 *   (`last_alive_ms`, written every ALIVE_EVERY_MS while it runs), or for how
 *   long is unknown (no mark, but conversations exist), and
 * - for a bot whose webhook subscription MAX dropped (maintenance found it gone).
 *
 * Each such conversation gets a `max.catchup` job in its own queue with the
 * lower bound of what to look for (`sinceMs`): it reads the chat's history at
 * MAX's rate limit and queues every client message the conversation has not
 * queued, in MAX order, before the chat's newer updates (they wait behind it in
 * the queue). What was recovered, and from which chats, is summed up in one log
 * line when the last of them has run (DowntimeReport).
 */
import type { Logger } from '../log/logger.ts';
import type { Store } from '../store/open-store.ts';
import { conversationQueue, MAX_CATCHUP_JOB, type DowntimeReason } from '../queue/job-kinds.ts';

export const LAST_ALIVE_KEY = 'last_alive_ms';
/** How often a running bridge marks itself alive (the downtime is measured from the last mark). */
export const ALIVE_EVERY_MS = 60_000;
/** Messages written up to this long before the last mark may not have been taken in yet. */
const ALIVE_MARGIN_MS = ALIVE_EVERY_MS;

export interface DowntimeCatchUpPlan {
  /** How long the bridge was away, or null when unknown. */
  downtimeMs: number | null;
  /** Client messages written since then are looked for. */
  sinceMs: number;
  reason: DowntimeReason;
}

/** What the last downtime catch-up has found so far. */
export class DowntimeReport {
  plan: DowntimeCatchUpPlan | null = null;
  scheduled = 0;
  read = 0;
  /** Recovered messages per conversation. */
  readonly recovered = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  begin(plan: DowntimeCatchUpPlan, scheduled: number): void {
    this.plan = plan;
    this.scheduled += scheduled;
  }

  /** One conversation's history was read; `found` of its messages were queued. */
  readOne(conversationId: string, found: number): void {
    this.read++;
    if (found > 0) this.recovered.set(conversationId, (this.recovered.get(conversationId) ?? 0) + found);
    if (this.read === this.scheduled) {
      const total = [...this.recovered.values()].reduce((a, b) => a + b, 0);
      this.log.info({ reason: this.plan?.reason, downtimeMs: this.plan?.downtimeMs, chatsRead: this.read, recovered: total, fromChats: [...this.recovered.keys()] },
        `downtime catch-up done: ${total} client message(s) recovered from ${this.recovered.size} chat(s) of ${this.read} read`);
    }
  }

  get recoveredTotal(): number {
    return [...this.recovered.values()].reduce((a, b) => a + b, 0);
  }
}

/** At a start: whether the bridge was away long enough (or unknown) for a downtime catch-up. */
export async function planAfterDowntime(store: Store, nowMs: number, afterMs: number, windowMs: number): Promise<DowntimeCatchUpPlan | null> {
  const raw = await store.meta.get(LAST_ALIVE_KEY);
  const windowStartMs = nowMs - windowMs;
  if (raw === null) {
    // A first start ever has nothing to catch up; an old database without the mark might.
    if ((await store.conversations.activeSince(windowStartMs)).length === 0) return null;
    return { downtimeMs: null, sinceMs: windowStartMs, reason: 'downtime_unknown' };
  }
  const lastAliveMs = Number(raw);
  const downtimeMs = nowMs - lastAliveMs;
  if (downtimeMs <= afterMs) return null;
  return { downtimeMs, sinceMs: Math.max(windowStartMs, lastAliveMs - ALIVE_MARGIN_MS), reason: 'downtime' };
}

/**
 * Queues a history read for every conversation active since the window's start (of `botIds`
 * only, when given), unless one is pending already; returns how many were queued.
 */
export async function scheduleDowntimeCatchUps(store: Store, plan: DowntimeCatchUpPlan, windowStartMs: number, botIds?: ReadonlySet<string>): Promise<number> {
  let scheduled = 0;
  for (const c of await store.conversations.activeSince(windowStartMs)) {
    if (botIds && !botIds.has(c.botId)) continue;
    const key = conversationQueue(c.id);
    if ((await store.outbox.busyConversations([c.id], MAX_CATCHUP_JOB, () => key)).size > 0) continue;
    await store.jobs.enqueue({ kind: MAX_CATCHUP_JOB, conversationKey: key, resourceKey: null, payload: { botId: c.botId, conversationId: c.id, sinceMs: plan.sinceMs, reason: plan.reason } });
    scheduled++;
  }
  return scheduled;
}

/** Marks the bridge alive now and every ALIVE_EVERY_MS; returns the stop. */
export function markAlive(store: Store, nowMs: () => number, log: Logger): () => Promise<void> {
  const mark = () => store.meta.set(LAST_ALIVE_KEY, String(nowMs())).catch((err: unknown) => {
    log.warn({ err }, 'marking the bridge alive failed; a restart may read more chat history than needed');
  });
  void mark();
  const timer = setInterval(() => void mark(), ALIVE_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await mark();
  };
}
