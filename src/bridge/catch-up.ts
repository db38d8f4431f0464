/**
 * Catch-up after a restart. MAX retries a webhook that failed (the bridge was
 * down, or killed mid-request) later — by the spec sheet ≥ 60 s later — so a
 * client's earlier message can arrive after a later one was already sent to
 * the line. For a while after any bridge process starts (`catchup_window_ms`),
 * the first message of each conversation this process handles makes it read
 * the chat's recent history (`GET /messages`) and take, before the message,
 * every client message newer than the last one the conversation queued that
 * the bridge has not stored: it is stored under its own dedupe key (so MAX's
 * retry later is a duplicate) and queued in MAX order. One read per
 * conversation per restart; never on a quiet, healthy run.
 */
import type { MaxClient } from '../max/client.ts';
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
    private readonly nowMs: () => number,
  ) {}

  /** Called once per process start: every process's restart opens the window for all. */
  async recordStart(): Promise<void> {
    await this.store.meta.set(LAST_START_KEY, String(this.nowMs()));
    this.cache = null;
  }

  /** The start that opened the window, if this conversation still needs its history read; else null. */
  /**
   * `messageTsMs`: MAX's time of the message at hand. One written before the
   * start that opened the window is a late retry: the messages that failed
   * with it may still be waiting at MAX, so the history is read again.
   */
  async due(conversationId: string, messageTsMs = Number.POSITIVE_INFINITY): Promise<number | null> {
    if (this.windowMs <= 0) return null;
    const now = this.nowMs();
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
    this.checked.add(conversationId);
    return start;
  }
}

function sortKeyOfMessage(m: Json): string {
  return sortKeyOf(String(m.timestamp ?? 0), String((m.body as Json | undefined)?.seq ?? 0));
}

/**
 * Client messages of the chat after `afterKey` (exclusive; null = the start of
 * the window), other than `currentMid`, that are not stored yet, oldest first —
 * earlier ones go before the current message, later ones (failed with it and
 * still waiting at MAX) after it, each in MAX order.
 */
export async function findMissed(
  deps: { store: Store; max: MaxClient; botId: string },
  chatId: string, afterKey: string | null, currentMid: string, windowStartMs: number,
): Promise<MissedMessage[]> {
  const { messages } = await deps.max.getMessages(chatId, HISTORY_COUNT);
  const lower = afterKey ?? sortKeyOf(windowStartMs);
  const missed: MissedMessage[] = [];
  for (const m of messages as unknown as Json[]) {
    if ((m.sender as Json | undefined)?.is_bot) continue;
    const key = sortKeyOfMessage(m);
    if (key <= lower) continue;
    const mid = String((m.body as Json | undefined)?.mid ?? '');
    if (!mid || mid === currentMid || (await deps.store.events.findByKey(`max:${deps.botId}`, `message:${mid}`))) continue;
    missed.push({ message: m, sortKey: key });
  }
  return missed.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
}
