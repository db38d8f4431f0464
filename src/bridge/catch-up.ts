/**
 * Catch-up after a restart. MAX retries a webhook that failed (the bridge was
 * down, or killed mid-request) later — by the spec sheet ≥ 60 s later — so a
 * client's earlier message can arrive after a later one. Two moments read the
 * chat's recent history (`GET /messages`) and queue, in MAX order, every
 * client message of the window that the conversation has not queued for the
 * line yet — including one stored but not yet processed, whose own job then
 * finds it queued:
 * - at start, every conversation with client messages still waiting for the
 *   line gets a catch-up job (`max.catchup`, in the conversation's queue); the
 *   line's flush holds that conversation until the job has run, so a message
 *   the dead process had stored is not sent before an earlier one it lost;
 * - for a while after any bridge process starts (`catchup_window_ms`), the
 *   first message of each other conversation this process handles, and any
 *   late retry (written before the start), before it is queued.
 * Recovered messages are stored under their own dedupe key (MAX's retry later
 * is a duplicate). One read per conversation per restart; never on a quiet,
 * healthy run.
 */
import type { ConversationId } from '../domain/ids.ts';
import type { MaxClient } from '../max/client.ts';
import { MAX_CATCHUP_JOB } from '../queue/job-kinds.ts';
import type { Store } from '../store/open-store.ts';
import { sortKeyOf } from '../store/repos/outbox-repo.ts';

export const LAST_START_KEY = 'last_start_ms';
/** How many recent messages of the chat are read. */
const HISTORY_COUNT = 100;

type Json = Record<string, unknown>;

export interface MissedMessage {
  message: Json;
  sortKey: string;
}

export class CatchUpWindow {
  private cache: { readAtMs: number; startMs: number | null } | null = null;
  private checked = new Set<string>();
  private checkedForStart: number | null = null;

  constructor(
    private readonly store: Store,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  nowMs(): number {
    return this.now();
  }

  /** Called once per process start: every process's restart opens the window for all. */
  async recordStart(): Promise<void> {
    await this.store.meta.set(LAST_START_KEY, String(this.now()));
    this.cache = null;
  }

  /**
   * The start that opened the window, if this conversation still needs its
   * history read (and from now on it counts as read); else null.
   * `messageTsMs`: MAX's time of the message at hand. One written before the
   * start that opened the window is a late retry: the messages that failed
   * with it may still be waiting at MAX, so the history is read again.
   */
  async due(conversationId: string, messageTsMs = Number.POSITIVE_INFINITY): Promise<number | null> {
    const start = await this.wouldBeDue(conversationId, messageTsMs);
    if (start !== null) this.checked.add(conversationId);
    return start;
  }

  /** As `due`, without counting the read as done. */
  async wouldBeDue(conversationId: string, messageTsMs = Number.POSITIVE_INFINITY): Promise<number | null> {
    if (this.windowMs <= 0) return null;
    const now = this.now();
    if (!this.cache || now - this.cache.readAtMs > 1_000) {
      const raw = await this.store.meta.get(LAST_START_KEY);
      this.cache = { readAtMs: now, startMs: raw === null ? null : Number(raw) };
    }
    const start = this.cache.startMs;
    if (start === null || now - start > this.windowMs) return null;
    if (this.checkedForStart !== start) {
      this.checked = new Set();
      this.checkedForStart = start;
    }
    if (this.checked.has(conversationId) && messageTsMs >= start) return null;
    return start;
  }

  /** The catch-up job read this conversation's history: its first message need not again. */
  async markChecked(conversationId: string): Promise<number | null> {
    const start = await this.due(conversationId);
    this.checked.add(conversationId);
    return start;
  }
}

function sortKeyOfMessage(m: Json): string {
  return sortKeyOf(String(m.timestamp ?? 0), String((m.body as Json | undefined)?.seq ?? 0));
}

/**
 * Client messages of the chat written since `windowStartMs`, other than
 * `currentMid`, that this conversation has not queued for the line, oldest
 * first — earlier ones go before the current message, later ones (failed with
 * it and still waiting at MAX) after it, each in MAX order.
 */
export async function findMissed(
  deps: { store: Store; max: MaxClient },
  conversationId: ConversationId, chatId: string, currentMid: string, windowStartMs: number,
): Promise<MissedMessage[]> {
  const { messages } = await deps.max.getMessages(chatId, HISTORY_COUNT);
  const lower = sortKeyOf(windowStartMs);
  const candidates: MissedMessage[] = [];
  for (const m of messages as unknown as Json[]) {
    if ((m.sender as Json | undefined)?.is_bot) continue;
    const key = sortKeyOfMessage(m);
    const mid = String((m.body as Json | undefined)?.mid ?? '');
    if (key <= lower || !mid || mid === currentMid) continue;
    candidates.push({ message: m, sortKey: key });
  }
  const queued = await deps.store.outbox.queuedKeys(conversationId, 'send', candidates.map((c) => String((c.message.body as Json).mid)));
  return candidates.filter((c) => !queued.has(String((c.message.body as Json).mid)))
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
}

/**
 * At a process start: every conversation with client messages still waiting
 * for the line gets a catch-up job (unless one is pending) in its own queue;
 * the line's flush holds the conversation until it has run.
 */
export async function scheduleCatchUps(store: Store): Promise<number> {
  let scheduled = 0;
  for (const conversationId of await store.outbox.conversationsWithPendingSends()) {
    const key = `max:${conversationId}`;
    if (await store.jobs.hasUnfinished(key, MAX_CATCHUP_JOB)) continue;
    const conversation = await store.conversations.get(conversationId);
    if (!conversation) continue;
    await store.jobs.enqueue({ kind: MAX_CATCHUP_JOB, conversationKey: key, resourceKey: null, payload: { botId: conversation.botId, conversationId } });
    scheduled++;
  }
  return scheduled;
}
