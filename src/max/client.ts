/**
 * The MAX client: limiter → retry → journal → transport, composed once.
 * - Auth: `Authorization: <token>` header only, never in a URL.
 * - Limits: 30 requests/s per bot, 2 messages/s per chat (sends, edits, deletes);
 *   callers wait for a slot instead of failing.
 * - Retry: 429, 5xx, network errors and attachment.not.ready, a few times
 *   in-call; never other 4xx. What is still failing goes up as a BridgeError
 *   for the job's retry policy. A send that may have reached MAX (timeout after
 *   sending) is NOT resent: it surfaces with `certain: false`, and the job can
 *   look for the message first (findRecentBotMessage).
 * - Bodies are parsed keeping integers above 2^53 exact (`seq`).
 * - A bot down for everyone (401: the token was revoked or replaced; the API
 *   unreachable: DNS, refused, TLS) is held as a whole (domain/side-hold.ts):
 *   calls fail at once with a SideHeldError until the next probe, and the job
 *   runner puts their jobs back unrun — no attempt spent, no dead letter.
 */
import type { Clock } from '../domain/clock.ts';
import { parseJsonKeepingBigIntegers } from '../domain/big-json.ts';
import { SlidingWindowLimiter } from '../domain/limits/sliding-window-limiter.ts';
import { describeNetworkFailure } from '../domain/network-failure.ts';
import { SideHolds, type SideDownCause } from '../domain/side-hold.ts';
import { isSideUnreachable } from '../domain/unreachable.ts';
import type { Logger } from '../log/logger.ts';
import type { JournalWriter } from '../domain/ports.ts';
import { journaledExchange, type Correlation } from '../journal/exchange.ts';
import { decideRetry, type RetryPolicy } from '../queue/retry-policy.ts';
import { classifyMaxError, MAX_ERROR_CODES, MaxApiError, MaxNetworkError, retryAfterMsOf } from './errors.ts';
import type { components } from './types.ts';

/** NewMessageBody; `notify` defaults to true on the server, so it is optional here. */
export type MaxNewMessageBody = Omit<components['schemas']['NewMessageBody'], 'notify'> & { notify?: boolean };
export type MaxUploadType = 'image' | 'video' | 'audio' | 'file';

export interface MaxClientOptions {
  /** e.g. https://platform-api2.max.ru (MAX_API_URL). */
  baseUrl: string;
  token: string;
  botId: string;
  clock: Clock;
  journal?: JournalWriter;
  random?: () => number;
  /** Per request; MAX answers within seconds, uploads may take longer. Default 30 s. */
  timeoutMs?: number;
  /** Default 30 (MAX docs). */
  botRps?: number;
  /** Default 2 (MAX docs: sends, edits and deletes per chat). */
  chatMessagesPerSecond?: number;
  /** In-call retries; default 3 attempts, 0.5 s → 5 s. */
  retry?: RetryPolicy;
  fetchFn?: typeof fetch;
  logger?: Logger;
  /** Probe intervals of a bot that is down (side-hold.ts defaults: 3 s doubling to 5 min). */
  downProbe?: { probeFirstMs?: number; probeMaxMs?: number };
}

interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Limit key of the chat for message operations. */
  chatKey?: string;
  /** Safe to resend after an uncertain failure (reads, deletes, edits). */
  idempotent: boolean;
  correlation?: Correlation;
  signal?: AbortSignal;
}

/** Extra width of the 2-messages-per-second chat window, ms. */
const CHAT_WINDOW_MARGIN_MS = 150;

/** Why the bot is down for every call, if this failure says so (else null: one call's failure). */
export function botDownCause(error: MaxApiError | MaxNetworkError, botId: string, baseUrl: string): SideDownCause | null {
  if (error instanceof MaxApiError && error.status === 401) {
    return {
      code: MAX_ERROR_CODES.unauthorized,
      problem: `MAX не принимает токен бота ${botId} (401 ${error.maxCode || 'verify.token'}): токен отозван или заменён. `
        + `Выпустите токен на платформе MAX для партнёров, задайте его в bots[].token (или MAX_BOT_TOKEN) и перезапустите мост; `
        + `всё, что ждёт отправки, уйдёт по порядку / MAX refuses the bot's token: set a valid one and restart`,
    };
  }
  if (error instanceof MaxNetworkError && isSideUnreachable(error.failure)) {
    return {
      code: MAX_ERROR_CODES.unreachable,
      problem: `API MAX (${new URL(baseUrl).host}) недоступен (${error.failure.code}): проверьте DNS, сеть, прокси, сертификаты и max.api_url / `
        + 'the MAX API is unreachable: check DNS, network, proxy, certificates and max.api_url',
    };
  }
  return null;
}

export class MaxClient {
  /** The bot when it is down for every call (revoked token, API unreachable): its calls wait for a probe. */
  readonly holds: SideHolds;
  private readonly botLimiter: SlidingWindowLimiter;
  private readonly chatLimiter: SlidingWindowLimiter;
  private readonly retry: RetryPolicy;

  constructor(private readonly o: MaxClientOptions) {
    this.botLimiter = new SlidingWindowLimiter(o.clock, o.botRps ?? 30, 1_000);
    // MAX counts a chat's messages when they arrive: a wider margin absorbs a request that
    // spent longer on the way than the next one (a loaded machine, a slow network).
    this.chatLimiter = new SlidingWindowLimiter(o.clock, o.chatMessagesPerSecond ?? 2, 1_000, CHAT_WINDOW_MARGIN_MS);
    this.retry = o.retry ?? { baseDelayMs: 500, maxDelayMs: 5_000, maxAttempts: 3 };
    this.holds = new SideHolds({ logger: o.logger, component: 'max-client', sideKind: 'bot', ...o.downProbe });
  }

  private url(path: string, query?: Operation['query']): string {
    const url = new URL(path, this.o.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async request<T>(op: Operation): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.botLimiter.acquire(this.o.botId, op.signal);
      if (op.chatKey) await this.chatLimiter.acquire(op.chatKey, op.signal);
      const heldUntilMs = this.holds.admit(this.o.botId, this.o.clock.nowMs());
      if (heldUntilMs !== null) throw this.holds.heldError(this.o.botId, this.o.clock.nowMs(), heldUntilMs);
      let error: MaxApiError | MaxNetworkError;
      try {
        const res = await journaledExchange({
          side: 'max', method: op.method, url: this.url(op.path, op.query), endpoint: `${op.method} ${op.path}`,
          headers: { authorization: this.o.token, ...(op.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: op.body !== undefined ? JSON.stringify(op.body) : undefined, timeoutMs: this.o.timeoutMs ?? 30_000,
          signal: op.signal, correlation: { botId: this.o.botId, ...op.correlation },
        }, { clock: this.o.clock, journal: this.o.journal, fetchFn: this.o.fetchFn });
        if (res.status === 200) {
          this.holds.answered(this.o.botId, this.o.clock.nowMs());
          return parseJsonKeepingBigIntegers(res.text) as T;
        }
        error = classifyMaxError(res.status, res.text, retryAfterMsOf(res.headers.get('retry-after'), this.o.clock.nowMs()));
        if (res.status === 429) {
          this.botLimiter.penalize(this.o.botId);
          if (op.chatKey) this.chatLimiter.penalize(op.chatKey);
        }
      } catch (err) {
        if (op.signal?.aborted) {
          this.holds.noAnswer(this.o.botId, this.o.clock.nowMs());
          throw err;
        }
        error = new MaxNetworkError(describeNetworkFailure(err), op.idempotent);
      }
      // Down for every call: hold the bot (one probe at a growing interval) and step aside.
      const down = botDownCause(error, this.o.botId, this.o.baseUrl);
      if (down) {
        const nowMs = this.o.clock.nowMs();
        this.holds.blocked(this.o.botId, nowMs, down);
        throw this.holds.heldError(this.o.botId, nowMs, this.holds.heldUntilMs(this.o.botId, nowMs) ?? nowMs + 1_000);
      }
      // A 5xx, a 429, a timeout or a reset: failing in passing; a minute of nothing else is degraded (side-hold.ts).
      if (error instanceof MaxApiError) this.holds.answered(this.o.botId, this.o.clock.nowMs(), error.status >= 500 || error.status === 429 ? error.code : undefined);
      else {
        this.holds.noAnswer(this.o.botId, this.o.clock.nowMs());
        this.holds.troubled(this.o.botId, this.o.clock.nowMs(), error.code);
      }
      if (!error.certain) throw error;
      const decision = decideRetry(error, attempt, this.retry, this.o.random ?? Math.random);
      if (decision.action === 'dead') throw error;
      await this.o.clock.sleep(decision.delayMs, op.signal);
    }
  }

  private async checkSuccess(result: Promise<{ success: boolean; message?: string }>): Promise<void> {
    const r = await result;
    if (!r.success) {
      throw new MaxApiError(MAX_ERROR_CODES.notSuccessful, `MAX answered success:false: ${r.message ?? ''}`, 200, 'success.false', JSON.stringify(r), { retryable: false });
    }
  }

  getMe() {
    return this.request<components['schemas']['BotInfo']>({ method: 'GET', path: '/me', idempotent: true });
  }

  /** Sends to a dialog (`userId`) or a chat (`chatId`). */
  sendMessage(to: { userId?: string; chatId?: string }, body: MaxNewMessageBody, correlation?: Correlation, signal?: AbortSignal) {
    return this.request<{ message: components['schemas']['Message'] }>({
      method: 'POST', path: '/messages', query: { user_id: to.userId, chat_id: to.chatId }, body,
      chatKey: to.chatId ?? `user:${to.userId}`, idempotent: false, correlation, signal,
    });
  }

  editMessage(mid: string, chatKey: string, body: MaxNewMessageBody, correlation?: Correlation) {
    return this.checkSuccess(this.request({ method: 'PUT', path: '/messages', query: { message_id: mid }, body, chatKey, idempotent: true, correlation }));
  }

  deleteMessage(mid: string, chatKey: string, correlation?: Correlation) {
    return this.checkSuccess(this.request({ method: 'DELETE', path: '/messages', query: { message_id: mid }, chatKey, idempotent: true, correlation }));
  }

  /** How long a call made now would wait for the bot's rate limit, ms. */
  queueMs(): number {
    return this.botLimiter.waitMs(this.o.botId);
  }

  getMessages(chatId: string, count = 50) {
    return this.request<{ messages: components['schemas']['Message'][] }>({ method: 'GET', path: '/messages', query: { chat_id: chatId, count }, idempotent: true });
  }

  /**
   * After an uncertain send: looks for a recent message of ours that matches,
   * so the job can record it instead of sending a duplicate.
   */
  async findRecentBotMessage(chatId: string, predicate: (m: components['schemas']['Message']) => boolean) {
    const { messages } = await this.getMessages(chatId, 50);
    return messages.find(predicate) ?? null;
  }

  answerCallback(callbackId: string, answer: { message?: MaxNewMessageBody; notification?: string }) {
    return this.checkSuccess(this.request({ method: 'POST', path: '/answers', query: { callback_id: callbackId }, body: answer, idempotent: false }));
  }

  subscribe(url: string, updateTypes: string[], secret: string) {
    return this.checkSuccess(this.request({ method: 'POST', path: '/subscriptions', body: { url, update_types: updateTypes, secret }, idempotent: true }));
  }

  getSubscriptions() {
    return this.request<{ subscriptions: components['schemas']['Subscription'][] }>({ method: 'GET', path: '/subscriptions', idempotent: true });
  }

  unsubscribe(url: string) {
    return this.request<{ success: boolean }>({ method: 'DELETE', path: '/subscriptions', query: { url }, idempotent: true });
  }

  /** Long polling. `marker` stays a string: it is an int64. */
  getUpdates(query: { marker?: string | null; limit?: number; timeoutSeconds?: number; types?: string[] }, signal?: AbortSignal) {
    return this.request<{ updates: Array<Record<string, unknown>>; marker: string | number | null }>({
      method: 'GET', path: '/updates', idempotent: true, signal,
      query: { marker: query.marker ?? undefined, limit: query.limit, timeout: query.timeoutSeconds, types: query.types?.join(',') },
    });
  }

  getChat(chatId: string) {
    return this.request<components['schemas']['Chat']>({ method: 'GET', path: `/chats/${encodeURIComponent(chatId)}`, idempotent: true });
  }

  sendAction(chatId: string, action: components['schemas']['SenderAction']) {
    return this.checkSuccess(this.request({ method: 'POST', path: `/chats/${encodeURIComponent(chatId)}/actions`, body: { action }, idempotent: true }));
  }

  getVideo(token: string) {
    return this.request<components['schemas']['VideoAttachmentDetails']>({ method: 'GET', path: `/videos/${encodeURIComponent(token)}`, idempotent: true });
  }

  /**
   * The upload flow (spec §4.3): POST /uploads → send the file to the returned
   * URL as multipart field `data` → the payload to attach.
   */
  async upload(type: MaxUploadType, data: Uint8Array, filename: string, contentType = 'application/octet-stream'): Promise<Record<string, unknown>> {
    const endpoint = await this.request<{ url: string; token?: string | null }>({ method: 'POST', path: '/uploads', query: { type }, idempotent: false });
    const form = new FormData();
    form.append('data', new Blob([data], { type: contentType }), filename);
    const res = await journaledExchange(
      { side: 'max', method: 'POST', url: endpoint.url, endpoint: `upload ${type}`, body: form, timeoutMs: this.o.timeoutMs ?? 30_000, correlation: { botId: this.o.botId } },
      { clock: this.o.clock, journal: this.o.journal, fetchFn: this.o.fetchFn },
    ).catch((err: unknown) => {
      throw new MaxNetworkError(describeNetworkFailure(err), true);
    });
    if (res.status !== 200) throw classifyMaxError(res.status, res.text);
    if (type === 'video' || type === 'audio') return { token: endpoint.token };
    const parsed = JSON.parse(res.text) as { token?: string; photos?: Record<string, { token: string }> };
    return type === 'image' ? { photos: parsed.photos } : { token: parsed.token };
  }
}
