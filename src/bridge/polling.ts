/**
 * Long polling, the alternative to webhooks (`MAX_UPDATES=polling`, or
 * `updates: polling` per bot): one loop per bot asks `GET /updates` with the
 * stored marker, stores the batch — each update as an event with its job,
 * exactly as the webhook does — and the new marker IN ONE TRANSACTION, and
 * only then asks again with it (which is what tells MAX the batch is
 * consumed). A crash between the fetch and the commit leaves the marker where
 * it was, so MAX hands the same updates out again and the dedupe keys absorb
 * any that were stored. Markers are int64: kept as text.
 *
 * MAX serves no long polling while a webhook subscription exists: our own
 * stale webhook for this bot is removed; anyone else's is reported on /ready.
 *
 * First start (no stored marker): MAX still holds up to 24 h of updates. Those
 * older than `max.polling_backlog_max_age_ms` are stored as events WITHOUT jobs
 * and recorded in `skipped_updates` (reason polling_backlog) in the same
 * transaction — kept, countable, listable (GET /admin/skipped-updates), but not
 * sent to the Open Lines as a flood of fresh conversations; a line says how many.
 * The filter holds until a page brings something recent or MAX has no more
 * waiting; a restart with a marker resumes normally.
 */
import { maxDedupeKey } from '../domain/dedupe-keys.ts';
import { parseConversationId, type BotId } from '../domain/ids.ts';
import type { JournalWriter } from '../domain/ports.ts';
import { MAX_UPDATE_JOB, maxChatQueue } from '../queue/job-kinds.ts';
import type { MaxClient } from '../max/client.ts';
import type { IntakeTallies, Tally } from '../metrics/bridge-metrics.ts';
import { isOwnMessage, maxChatIdOf, maxMessageIdOf, maxUserIdOf } from '../max/update-routing-key.ts';
import { codeOf, type Logger } from '../log/logger.ts';
import { decideRetry } from '../queue/retry-policy.ts';
import type { Store } from '../store/open-store.ts';

/** Seconds MAX may hold one poll open (below the client's 30 s request timeout). */
export const POLL_TIMEOUT_S = 20;
const POLL_LIMIT = 100;

export interface PollingBot {
  id: BotId;
  name: string;
  token: string;
  client: MaxClient;
  userId: string | null;
}

export interface PollingDeps {
  store: Store;
  updateTypes: string[];
  onStored: () => void;
  /** Waits between failed polls (the shared retry policy's back-off). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  nowMs: () => number;
  /** `max.polling_backlog_max_age_ms`: at a first start, older waiting updates are skipped (recorded). */
  backlogMaxAgeMs: number;
  /** `{ component: 'polling' }`: failed polls, and the count of skipped backlog updates (a warn line). */
  log: Logger;
  /** Counts stored and duplicate updates (metrics), once their batch is committed. */
  intake?: IntakeTallies;
  /** Each update taken is journaled (direction in) like a webhook's, once its batch is committed. */
  journal?: JournalWriter;
}

export class PollingLoop {
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  /** Why polling is not working right now (shown on /ready), or null. */
  problem: string | null = null;
  /** Batches stored so far (for tests and metrics). */
  batches = 0;
  /** Updates of the first start's backlog skipped as too old (recorded in skipped_updates). */
  skippedBacklog = 0;
  /** True from a first start (no stored marker) until a page brings nothing older than the bound. */
  private inBacklog = false;

  constructor(private readonly deps: PollingDeps, private readonly bot: PollingBot) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch(() => undefined); // run() handles its own errors; only the abort ends it
  }

  private async ensureRow(): Promise<string | null> {
    return this.deps.store.bots.ensurePolling(this.bot);
  }

  private async clearWebhooks(): Promise<void> {
    const { subscriptions } = await this.bot.client.getSubscriptions();
    const others: string[] = [];
    for (const s of subscriptions) {
      if (new URL(s.url).pathname.endsWith(`/max/webhook/${this.bot.id}`)) await this.bot.client.unsubscribe(s.url);
      else others.push(s.url);
    }
    this.problem = others.length > 0 ? `бот ${this.bot.id}: MAX не отдаёт обновления опросом, пока есть подписка ${others.join(', ')} — удалите её` : null;
  }

  /** During a first start's backlog: whether this update waited longer than the bound. */
  private tooOld(update: Record<string, unknown>, nowMs: number): boolean {
    const ts = Number(update.timestamp);
    return this.inBacklog && Number.isFinite(ts) && ts < nowMs - this.deps.backlogMaxAgeMs;
  }

  /** Stores one batch and its marker atomically; returns the marker to ask with next. */
  async storeBatch(updates: Array<Record<string, unknown>>, marker: string | null): Promise<void> {
    const { store } = this.deps;
    const nowMs = this.deps.nowMs();
    const source = `max:${this.bot.id}`;
    let skipped = 0;
    const outcomes: Tally[] = [];
    const duplicates: boolean[] = [];
    await store.transaction(async (trx) => {
      skipped = 0;
      outcomes.length = 0;
      duplicates.length = 0;
      for (const update of updates) {
        const raw = JSON.stringify(update);
        const chatId = maxChatIdOf(update);
        const own = isOwnMessage(update, this.bot.userId);
        const old = this.tooOld(update, nowMs);
        const kind = String(update.update_type);
        const recorded = await store.events.record({
          source, kind, dedupeKey: maxDedupeKey(update, raw), raw,
          jobs: own || old ? [] : [{ kind: MAX_UPDATE_JOB, conversationKey: maxChatQueue(this.bot.id, chatId), payload: { botId: this.bot.id } }],
        }, trx);
        if (this.deps.intake) outcomes.push(recorded.duplicate ? this.deps.intake.duplicate : this.deps.intake.stored);
        duplicates.push(recorded.duplicate);
        if (!old || own || recorded.eventId === null) continue;
        await store.skipped.record({ eventId: recorded.eventId, source, kind, reason: 'polling_backlog' }, trx);
        skipped++;
      }
      await store.bots.setPollMarker(this.bot.id, marker, trx);
    });
    this.batches++;
    for (const tally of outcomes) tally.inc();
    for (const [i, update] of updates.entries()) this.journalUpdate(update, nowMs, duplicates[i] === true);
    this.noteBacklog(skipped, updates.length);
    if (updates.length > skipped) this.deps.onStored();
  }

  /** One update's journal row, as the webhook writes it (max-webhook.ts): its body, message, conversation, chat and client. */
  private journalUpdate(update: Record<string, unknown>, atMs: number, duplicate: boolean): void {
    if (!this.deps.journal) return;
    const chatId = maxChatIdOf(update);
    const conversationId = chatId === null ? null : parseConversationId(`${this.bot.id}:${chatId}`);
    const userId = maxUserIdOf(update);
    void this.deps.journal.write({
      atMs, side: 'max', direction: 'in', method: 'GET', endpoint: 'GET /updates (update)', status: 200, durationMs: 0, botId: this.bot.id,
      messageId: maxMessageIdOf(update) ?? String(update.update_type), ...(conversationId ? { conversationId, maxChatId: chatId as string } : {}),
      ...(userId !== null ? { maxUserId: userId } : {}), requestBody: JSON.stringify(update), ...(duplicate ? { errorCode: 'DUPLICATE' } : {}),
    }).catch(() => undefined); // the runtime's writer logs its own failures (logged-writer.ts)
  }

  /**
   * Counts what the backlog skipped. The backlog is over once a page holds something recent
   * (updates come oldest first) or is not full (MAX had no more waiting); then it is told once.
   */
  private noteBacklog(skipped: number, pageSize: number): void {
    if (!this.inBacklog) return;
    this.skippedBacklog += skipped;
    if (skipped === pageSize && pageSize >= POLL_LIMIT) return;
    this.inBacklog = false;
    if (this.skippedBacklog === 0) return;
    const minutes = Math.round(this.deps.backlogMaxAgeMs / 60_000);
    this.deps.log.warn({ botId: this.bot.id, skipped: this.skippedBacklog }, `бот ${this.bot.id}: первый запуск в режиме опроса — ${this.skippedBacklog} обновл. MAX старше ${minutes} мин не отправлены в Открытые линии (max.polling_backlog_max_age_ms); они сохранены: GET /admin/skipped-updates?reason=polling_backlog`);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let marker: string | null = null;
    let failures = 0;
    let ready = false;
    while (!signal.aborted) {
      try {
        if (!ready) {
          marker = await this.ensureRow();
          // No stored marker: a first start, and MAX may hand out up to 24 h of waiting updates.
          this.inBacklog = marker === null;
          await this.clearWebhooks();
          ready = true;
        }
        const page = await this.bot.client.getUpdates({ marker, limit: POLL_LIMIT, timeoutSeconds: POLL_TIMEOUT_S, types: this.deps.updateTypes }, signal);
        const next: string | null = page.marker === null || page.marker === undefined ? marker : String(page.marker);
        if (page.updates.length > 0 || next !== marker) await this.storeBatch(page.updates, next);
        marker = next;
        failures = 0;
        if (this.problem?.startsWith('опрос')) this.problem = null;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        this.problem ??= `опрос MAX для бота ${this.bot.id} не удаётся: ${(err as Error).message}`;
        const decision = decideRetry(err, Math.min(failures, 10), { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: Number.MAX_SAFE_INTEGER }, Math.random);
        const delayMs = decision.action === 'retry' ? decision.delayMs : 60_000;
        this.deps.log.warn({ err, code: codeOf(err), botId: this.bot.id, failures, retryInMs: delayMs }, 'polling MAX failed; asking again');
        // Rejected only by the abort of stop(): the loop ends at its condition.
        await this.deps.sleep(delayMs, signal).catch(() => undefined);
      }
    }
  }
}
