/**
 * The Bitrix24 client: limiter → retry → journal → transport, composed once.
 * - OAuth app calls: POST <client_endpoint><method> with a JSON body and `auth`.
 *   On 401 expired_token/invalid_token: one single-flight refresh per portal,
 *   then the call again.
 * - Limits: a leaky bucket per portal (2/s, burst 50 by default; per plan);
 *   callers wait. QUERY_LIMIT_EXCEEDED (503) penalises the bucket model and is
 *   retried; OPERATION_TIME_LIMIT (429) goes up with retryAfterMs = the reset.
 * - A portal down for every call — OVERLOAD_LIMIT (the app blocked), its
 *   authorisation gone (401 after a refresh, invalid_grant), the plan expired,
 *   the address unreachable (portal-down.ts): no retry here; the portal is held
 *   (portal-hold.ts) — calls fail at once with a SideHeldError until a probe
 *   finds it back, and the job runner puts their jobs back unrun.
 * - `batch` coalesces up to 50 commands into one request.
 * - A send that timed out is not resent blindly: it surfaces with certain:false.
 *
 * Why not @bitrix24/b24jssdk as the transport: its limiter is per instance (not
 * per portal across our jobs), its retryOnNetworkError can post a send twice,
 * and it refreshes tokens in-process only; we need all three under our control.
 */
import type { Clock } from '../domain/clock.ts';
import { LeakyBucketLimiter, type LeakyBucketConfig } from '../domain/limits/leaky-bucket-limiter.ts';
import { describeNetworkFailure } from '../domain/network-failure.ts';
import type { JournalWriter, PortalTokens, PortalTokenStore } from '../domain/ports.ts';
import { journaledExchange, type Correlation } from '../journal/exchange.ts';
import { decideRetry, type RetryPolicy } from '../queue/retry-policy.ts';
import { asRecord, chunkCommands, encodeCommand, type BatchCommand, type BatchOutcome } from './batch.ts';
import type { Logger } from '../log/logger.ts';
import { BITRIX24_ERROR_CODES, Bitrix24ApiError, Bitrix24NetworkError, classifyBitrix24Error } from './errors.ts';
import { portalDownCause } from './portal-down.ts';
import { PortalHolds, type PortalHoldOptions } from './portal-hold.ts';
import { PortalTokenProvider, type OAuthAppCredentials } from './oauth.ts';

export const DEFAULT_PORTAL_LIMIT: LeakyBucketConfig = { drainPerSecond: 2, burst: 50 };

export interface Bitrix24ClientOptions {
  tokens: PortalTokenStore;
  credentials: OAuthAppCredentials;
  clock: Clock;
  journal?: JournalWriter;
  random?: () => number;
  /** Per-portal plan limits; default 2/s, burst 50 (Enterprise: 5/s, 250). */
  limitFor?: (portalId: string) => LeakyBucketConfig;
  /** Bitrix24 cuts requests at 60 s; we give up a little earlier. Default 55 s. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  fetchFn?: typeof fetch;
  /** Where the client says that a portal's block began and ended; none by default. */
  logger?: Logger;
  /** Probe intervals of a blocked portal (portal-hold.ts defaults: 3 s doubling to 5 min). */
  overloadProbe?: Pick<PortalHoldOptions, 'probeFirstMs' | 'probeMaxMs'>;
}

export interface CallOptions {
  correlation?: Correlation;
  /** Safe to resend after a timeout (reads). Sends are not. Default false. */
  idempotent?: boolean;
  signal?: AbortSignal;
  /** The caller already took this request's limiter slot (limiter.acquire) for the first attempt. */
  preAcquired?: boolean;
}

export class Bitrix24Client {
  readonly limiter: LeakyBucketLimiter;
  /** Portals that have blocked the app (OVERLOAD_LIMIT): their calls wait for the block to lift. */
  readonly holds: PortalHolds;
  private readonly tokenProvider: PortalTokenProvider;
  private readonly retry: RetryPolicy;

  constructor(private readonly o: Bitrix24ClientOptions) {
    this.limiter = new LeakyBucketLimiter(o.clock, (portalId) => o.limitFor?.(portalId) ?? DEFAULT_PORTAL_LIMIT);
    this.tokenProvider = new PortalTokenProvider({ store: o.tokens, credentials: o.credentials, clock: o.clock, journal: o.journal, fetchFn: o.fetchFn });
    this.retry = o.retry ?? { baseDelayMs: 500, maxDelayMs: 5_000, maxAttempts: 3 };
    this.holds = new PortalHolds({ logger: o.logger, ...o.overloadProbe });
  }

  get tokens(): PortalTokenProvider {
    return this.tokenProvider;
  }

  /** One REST call; resolves with `result` (and `total`/`next` for lists via callRaw). */
  async call<T = unknown>(portalId: string, method: string, params: Record<string, unknown> = {}, options: CallOptions = {}): Promise<T> {
    return (await this.callRaw(portalId, method, params, options)).result as T;
  }

  async callRaw(portalId: string, method: string, params: Record<string, unknown>, options: CallOptions = {}): Promise<Record<string, unknown>> {
    let refreshed = false;
    let slotTaken = options.preAcquired ?? false;
    for (let attempt = 1; ; attempt++) {
      if (slotTaken) slotTaken = false;
      else await this.limiter.acquire(portalId, options.signal);
      const heldUntilMs = this.holds.admit(portalId, this.o.clock.nowMs());
      if (heldUntilMs !== null) throw this.holds.heldError(portalId, this.o.clock.nowMs(), heldUntilMs);
      let error: Bitrix24ApiError | Bitrix24NetworkError;
      let tokens: PortalTokens | null = null;
      try {
        // A refresh that fails for good (invalid_grant) takes the portal down like a 401 would.
        tokens = await this.tokenProvider.valid(portalId);
        const res = await journaledExchange({
          side: 'bitrix24', method: 'POST', url: `${tokens.clientEndpoint.replace(/\/?$/, '/')}${method}`, endpoint: method,
          headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...params, auth: tokens.accessToken }),
          timeoutMs: this.o.timeoutMs ?? 55_000, signal: options.signal, correlation: { portalId, ...options.correlation },
        }, { clock: this.o.clock, journal: this.o.journal, fetchFn: this.o.fetchFn });
        if (res.status === 200) {
          this.holds.answered(portalId, this.o.clock.nowMs());
          return JSON.parse(res.text) as Record<string, unknown>;
        }
        error = classifyBitrix24Error(res.status, res.text, this.o.clock.nowMs());
      } catch (err) {
        const fromTokens = tokens === null;
        if (options.signal?.aborted || (fromTokens && !(err instanceof Bitrix24ApiError || err instanceof Bitrix24NetworkError))) {
          // Aborted, or the token store failed (not the portal): nothing to learn about the portal.
          this.holds.noAnswer(portalId, this.o.clock.nowMs());
          throw err;
        }
        if (fromTokens) {
          // The portal itself was not called: only a failure that takes it down (a refresh refused
          // for good) says anything about it; any other goes up as it is.
          this.holdIfDown(portalId, err);
          this.holds.noAnswer(portalId, this.o.clock.nowMs());
          throw err;
        }
        error = new Bitrix24NetworkError(describeNetworkFailure(err), options.idempotent ?? false);
      }
      // Down for every call (blocked, authorisation gone, plan expired, unreachable): hold the
      // portal — no retry here; the caller steps aside until the next probe (portal-hold.ts).
      this.holdIfDown(portalId, error);
      // A 5xx, a limit, a timeout or a reset: failing in passing; a minute of nothing else is degraded (side-hold.ts).
      if (error instanceof Bitrix24ApiError) this.holds.answered(portalId, this.o.clock.nowMs(), error.status >= 500 || error.status === 429 ? error.code : undefined);
      else {
        this.holds.noAnswer(portalId, this.o.clock.nowMs());
        this.holds.troubled(portalId, this.o.clock.nowMs(), error.code);
      }
      if (!error.certain) throw error;
      if (error.code === BITRIX24_ERROR_CODES.tokenExpired && !refreshed) {
        refreshed = true;
        await this.tokenProvider.refresh(portalId, tokens!.accessToken).catch((err: unknown) => this.holdIfDown(portalId, err, err));
        attempt--;
        continue;
      }
      if (error.code === BITRIX24_ERROR_CODES.queryLimit) this.limiter.penalize(portalId);
      if (error.code === BITRIX24_ERROR_CODES.operationTimeLimit) throw error;
      const decision = decideRetry(error, attempt, this.retry, this.o.random ?? Math.random);
      if (decision.action === 'dead') throw error;
      // The limiter already spaces requests after a penalty; only wait for the backoff otherwise.
      if (error.code !== BITRIX24_ERROR_CODES.queryLimit) await this.o.clock.sleep(decision.delayMs, options.signal);
    }
  }

  /**
   * A failure that takes the whole portal down (portal-down.ts) begins or extends its hold and
   * fails the call as held (SideHeldError: the job steps aside, no attempt spent). Otherwise
   * returns, or throws `rethrow` when given.
   */
  private holdIfDown(portalId: string, error: unknown, rethrow?: unknown): void {
    const down = portalDownCause(error, portalId);
    if (down) {
      const nowMs = this.o.clock.nowMs();
      this.holds.blocked(portalId, nowMs, down);
      throw this.holds.heldError(portalId, nowMs, this.holds.heldUntilMs(portalId, nowMs) ?? nowMs + 1_000);
    }
    if (rethrow !== undefined) throw rethrow;
  }

  /**
   * Runs commands through `batch`, 50 per request. Per-command failures come
   * back in `errors` (the HTTP call itself succeeded).
   */
  async batch(portalId: string, commands: Record<string, BatchCommand>, options: CallOptions & { halt?: boolean } = {}): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { results: {}, errors: {} };
    for (const chunk of chunkCommands(Object.entries(commands))) {
      const cmd = Object.fromEntries(chunk.map(([key, c]) => [key, encodeCommand(c)]));
      const result = await this.call<Record<string, unknown>>(portalId, 'batch', { halt: options.halt ? 1 : 0, cmd }, options);
      Object.assign(outcome.results, asRecord(result.result));
      Object.assign(outcome.errors, asRecord(result.result_error));
      if (options.halt && Object.keys(outcome.errors).length > 0) break;
    }
    return outcome;
  }
}
