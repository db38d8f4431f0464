/**
 * Update delivery like the real service (spec §2.1):
 * - with subscriptions: each update is one POST of one Update object to each
 *   subscription URL, with `X-Max-Bot-Api-Secret`; only HTTP 200 within 30 s
 *   counts; failures are retried after 60 s, 150 s, 375 s… (×2.5, ≤10 retries);
 *   when no delivery succeeded for 8 h the subscription is deleted. Retries do
 *   not hold back later updates, so a retried update arrives after newer ones.
 * - without subscriptions: updates queue for long polling (`GET /updates`).
 * All durations are scaled by the time factor.
 */
import { setMaxListeners } from 'node:events';
import { abortOnTimeoutOrSignal } from '../../src/domain/abort-after.ts';
import type { MaxContext } from './context.ts';
import { stringifyMax } from './json.ts';
import { postWebhookStrict } from './webhook-tls.ts';
import type { DeliveryAttempt, LoggedUpdate, SubscriptionState } from './model.ts';

/** Updates on their way to the bots, for tests that wait until nothing more is coming (also in `GET /_control/deliveries`). */
export interface PendingDeliveries {
  /**
   * Webhook deliveries scheduled (the first POST and redelivered copies) or being posted, and
   * updates queued for long polling that their bot has not committed yet while it has no
   * subscription (with one, MAX serves no long polling: what is queued stays there). Retries
   * waiting out the back-off (60 s and more, scaled) are not counted: they are MAX's later, not its now.
   */
  pending: number;
  /** How many ever became pending: seen unchanged between two looks, none started meanwhile. */
  scheduled: number;
}

export class UpdateDelivery {
  readonly attempts: DeliveryAttempt[] = [];
  /** Per bot: updates waiting for long polling (emitted while no subscription existed). */
  readonly pollQueue = new Map<number, LoggedUpdate[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The timers of first deliveries and redelivered copies (not back-off retries). */
  private readonly firstRound = new Set<NodeJS.Timeout>();
  private posting = 0;
  private scheduledTotal = 0;
  /** Ends every delivery in flight at close; each holds one listener on it until it ends, so there is no fixed cap. */
  private readonly aborter = new AbortController();
  private readonly pollWaiters = new Map<number, Set<() => void>>();
  private closed = false;

  constructor(private readonly ctx: MaxContext) {
    setMaxListeners(0, this.aborter.signal);
    ctx.world.onUpdate((logged) => this.dispatch(logged));
  }

  private dispatch(logged: LoggedUpdate): void {
    const subs = this.ctx.world.subscriptions.get(logged.botId) ?? [];
    if (subs.length === 0) {
      const queue = this.pollQueue.get(logged.botId) ?? [];
      queue.push(logged);
      this.pollQueue.set(logged.botId, queue);
      this.scheduledTotal++;
      for (const wake of this.pollWaiters.get(logged.botId) ?? []) wake();
      return;
    }
    for (const sub of subs) {
      if (sub.updateTypes && !sub.updateTypes.includes(logged.update.update_type)) continue;
      this.schedule(sub, logged, 0, 0);
      // A redelivered update: MAX sends it again when it did not see our 200 in time.
      if (this.ctx.random() < this.ctx.settings.duplicateDeliveryRate) {
        const copies = 1 + Math.floor(this.ctx.random() * Math.max(1, this.ctx.settings.duplicateDeliveryMaxCopies));
        for (let i = 0; i < copies; i++) this.schedule(sub, logged, 0, 5 + Math.floor(this.ctx.random() * this.ctx.scaled(2_000)));
      }
    }
  }

  /** Resolves when an update for `botId` is queued for polling, or after `timeoutMs`. */
  waitForPollable(botId: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.pollWaiters.get(botId) ?? new Set();
      this.pollWaiters.set(botId, waiters);
      const done = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.timers.add(timer);
      waiters.add(done);
    });
  }

  private schedule(sub: SubscriptionState, logged: LoggedUpdate, attempt: number, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.firstRound.delete(timer);
      void this.attempt(sub, logged, attempt);
    }, delayMs);
    this.timers.add(timer);
    if (attempt === 0) {
      this.firstRound.add(timer);
      this.scheduledTotal++;
    }
  }

  pendingDeliveries(): PendingDeliveries {
    let unpolled = 0;
    for (const [botId, queue] of this.pollQueue) {
      if ((this.ctx.world.subscriptions.get(botId) ?? []).length > 0) continue;
      const committed = this.ctx.world.committed.get(botId) ?? 0;
      unpolled += queue.filter((u) => u.position > committed).length;
    }
    return { pending: this.firstRound.size + this.posting + unpolled, scheduled: this.scheduledTotal };
  }

  private isLive(sub: SubscriptionState, botId: number): boolean {
    return (this.ctx.world.subscriptions.get(botId) ?? []).includes(sub);
  }

  private async attempt(sub: SubscriptionState, logged: LoggedUpdate, attempt: number): Promise<void> {
    if (this.closed || !this.isLive(sub, logged.botId)) return;
    const status = await this.post(sub, logged, attempt);
    if (status === 200) {
      sub.failingSinceMs = null;
      return;
    }
    const now = Date.now();
    sub.failingSinceMs ??= now;
    const { settings } = this.ctx;
    if (now - sub.failingSinceMs >= this.ctx.scaled(settings.webhookFailureWindowMs)) {
      const subs = this.ctx.world.subscriptions.get(logged.botId) ?? [];
      this.ctx.world.subscriptions.set(logged.botId, subs.filter((s) => s !== sub));
      return;
    }
    if (attempt >= settings.webhookMaxRetries) return;
    let delayMs = this.ctx.scaled(settings.webhookRetryFirstDelayMs * settings.webhookRetryMultiplier ** attempt);
    if (settings.reorderRetries) delayMs *= 0.5 + this.ctx.random();
    this.schedule(sub, logged, attempt + 1, delayMs);
  }

  private async post(sub: SubscriptionState, logged: LoggedUpdate, attempt: number): Promise<number | null> {
    const record: DeliveryAttempt = {
      botId: logged.botId,
      url: sub.url,
      position: logged.position,
      updateType: logged.update.update_type,
      attempt,
      atMs: Date.now(),
      status: null,
    };
    this.attempts.push(record);
    this.posting++;
    if (attempt > 0) this.scheduledTotal++;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (sub.secret) headers['x-max-bot-api-secret'] = sub.secret;
    // Not AbortSignal.any([AbortSignal.timeout(…), …]): a garbage collection may drop it on Node 20 (abort-after.ts).
    const abort = abortOnTimeoutOrSignal(Math.max(1, this.ctx.scaled(this.ctx.settings.webhookTimeoutMs)), this.aborter.signal);
    try {
      // Strict: as the real MAX posts, https to 443 with the certificate checked against MAX's trust (webhook-tls.ts).
      if (this.ctx.settings.strictWebhookUrls) {
        const { status } = await postWebhookStrict(sub.url, { headers, body: stringifyMax(logged.update), signal: abort.signal }, this.ctx.webhookTrust ?? { caCerts: [], addresses: {} });
        record.status = status;
        return status;
      }
      const res = await fetch(sub.url, {
        method: 'POST',
        headers,
        body: stringifyMax(logged.update),
        signal: abort.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      record.status = res.status;
      return res.status;
    } catch (err) {
      // A TLS refusal keeps its code (UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID…).
      const code = (err as NodeJS.ErrnoException | null)?.code;
      record.error = typeof code === 'string' && this.ctx.settings.strictWebhookUrls ? code : err instanceof Error ? err.name : 'error';
      return null;
    } finally {
      abort.release();
      this.posting--;
    }
  }

  close(): void {
    this.closed = true;
    this.aborter.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.firstRound.clear();
    for (const waiters of this.pollWaiters.values()) for (const wake of waiters) wake();
  }
}
