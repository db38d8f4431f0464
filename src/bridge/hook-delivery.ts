/**
 * The `hook.deliver` job: one hook event POSTed to one webhook (docs/hooks.md, "Webhooks").
 *
 * - Signed and journaled by callHook (src/hooks/hook-call.ts); the body is the same bytes on
 *   every try (the event as stored), so a receiver may compare a retry with what it has.
 * - A 2xx marks the delivery delivered in the job's own "done" transaction.
 * - No answer, 5xx, 429: retried by the one retry policy (backoff with jitter, for as long as
 *   `workers.transient_retry_days`), head of its queue: the webhook's later events of the same
 *   conversation wait behind it, so the receiver sees them in order. The conversation's own
 *   messages never wait: they are in other queues.
 * - While a webhook is failing, its other queues do not each knock on it: their jobs step aside
 *   (unrun, not an attempt) until the next probe is due; the first success lets them all go.
 * - Other 4xx: a dead letter at once (BRG_ERR_HOOK_REFUSED), replayable once the receiver is fixed.
 * - At most half the workers deliver to webhooks at once (the runner's `kindLimits`, wired in
 *   start-bridge.ts), so slow receivers never take every worker from the messages.
 * - A single failed answer does not stop the others (a flaky receiver's 503 among 200s):
 *   only `FAILING_AFTER` failures in a row without a success make the webhook failing.
 */
import { webhookName, type HooksConfig, type WebhookConfig } from '../config/hooks-schema.ts';
import { cappedBackoffMs } from '../domain/backoff.ts';
import type { Clock } from '../domain/clock.ts';
import { BridgeError } from '../domain/errors.ts';
import type { JournalWriter } from '../domain/ports.ts';
import { callHook, HOOK_FAILED, HOOK_UNREACHABLE, statusOfHookError } from '../hooks/hook-call.ts';
import type { Masker } from '../journal/masking.ts';
import { codeOf } from '../log/logger.ts';
import { HOOK_DELIVERY_JOB, parseJobPayload } from '../queue/job-kinds.ts';
import { NotYet } from '../queue/not-yet.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';
import type { HookEvent } from '../store/repos/hook-repo.ts';
import type { OnComplete } from '../store/repos/job-repo.ts';

/** A webhook gone from the configuration: its deliveries wait as dead letters until it is back. */
export const HOOK_NOT_CONFIGURED = 'BRG_ERR_HOOK_NOT_CONFIGURED';
/** While a webhook fails, its other queues wait this long at most between probes. */
const PROBE_MAX_MS = 60_000;
/** Failures in a row (no success between) after which a webhook counts as failing. */
export const FAILING_AFTER = 3;

export interface HookDeliveryDeps {
  store: Store;
  hooks: () => HooksConfig;
  clock: Clock;
  journal?: JournalWriter;
  /** The privacy policy's masker, for webhooks with `masked: true`. */
  masker: Masker;
  /** A webhook answered again after failing: its waiting jobs may run now. */
  onRecovered?: () => void;
}

/** What one process knows about each webhook's health (not stored: a restart probes afresh). */
export class WebhookHealth {
  private readonly state = new Map<string, { failures: number; nextProbeMs: number }>();

  constructor(private readonly random: () => number = Math.random) {}

  private of(name: string) {
    let s = this.state.get(name);
    if (!s) this.state.set(name, (s = { failures: 0, nextProbeMs: 0 }));
    return s;
  }

  /** When this job may call the webhook: now (null), or later (it steps aside until the next probe, spread over a second). */
  waitUntil(name: string, nowMs: number, isProbe: boolean): number | null {
    const s = this.of(name);
    if (this.failing(name) && !isProbe && nowMs < s.nextProbeMs) return s.nextProbeMs + Math.floor(this.random() * 1_000);
    return null;
  }

  /** Records an answer (or none); true when it is the first success after the webhook was failing. */
  end(name: string, ok: boolean, nowMs: number): boolean {
    const s = this.of(name);
    const recovered = ok && this.failing(name);
    if (ok) s.failures = 0;
    else {
      s.failures++;
      if (s.failures >= FAILING_AFTER) s.nextProbeMs = nowMs + cappedBackoffMs(1_000, PROBE_MAX_MS, s.failures - FAILING_AFTER + 1);
    }
    return recovered;
  }

  failing(name: string): boolean {
    return this.of(name).failures >= FAILING_AFTER;
  }
}

/** The JSON a receiver gets: the event as stored (masked for a `masked: true` webhook). */
export function hookEventBody(event: HookEvent, webhook: Pick<WebhookConfig, 'masked'>, masker: Masker): string {
  const data = webhook.masked ? masker.value(event.data) : event.data;
  return JSON.stringify({ id: event.id, type: event.type, at: new Date(event.atMs).toISOString(), conversation_id: event.conversationId, data });
}

export function hookDeliveryHandler(deps: HookDeliveryDeps, health: WebhookHealth): JobHandler {
  return async (job, ctx) => {
    const { deliveryId, webhook: name } = parseJobPayload(HOOK_DELIVERY_JOB, job.payload);
    const delivery = await deps.store.hooks.delivery(deliveryId);
    // Erased with its client, or delivered by an earlier run whose "done" was lost: nothing to send.
    if (!delivery || delivery.state === 'delivered') return;
    const event = await deps.store.hooks.event(delivery.eventId);
    if (!event) return;
    const webhook = deps.hooks().webhooks.find((w) => webhookName(w) === name);
    if (!webhook) throw new BridgeError(HOOK_NOT_CONFIGURED, `webhook ${name} is no longer in hooks.webhooks; add it back and replay, or leave the dead letter`, { retryable: false });
    // A job retried after its own failure is the probe; the others wait for its outcome.
    const waitMs = health.waitUntil(name, deps.clock.nowMs(), job.lastErrorCode !== null && job.attempt > 1);
    if (waitMs !== null) throw new NotYet(waitMs, `webhook ${name} is failing`);
    let ok = false;
    try {
      const answer = await callHook({
        name, url: webhook.url, secret: webhook.secret, eventId: event.id, body: hookEventBody(event, webhook, deps.masker),
        timeoutMs: webhook.timeout_ms, signal: ctx.signal, correlation: { conversationId: event.conversationId ?? undefined, jobId: String(job.id) },
      }, { clock: deps.clock, journal: deps.journal });
      ok = true;
      return async (trx) => deps.store.hooks.recordAttempt(deliveryId, { state: 'delivered', status: answer.status, error: null, durationMs: answer.durationMs }, trx);
    } catch (err) {
      const code = codeOf(err);
      await deps.store.hooks.recordAttempt(deliveryId, {
        state: 'pending', status: statusOfHookError(err), error: err instanceof Error ? `${code ?? 'ERROR'}: ${err.message}` : String(err), durationMs: 0,
      }).catch((recordErr: unknown) => ctx.log.warn({ err: recordErr, code: codeOf(recordErr) }, 'recording a failed webhook attempt failed'));
      if (code === HOOK_UNREACHABLE || code === HOOK_FAILED) ctx.log.info({ webhook: name, code, eventId: event.id }, 'webhook did not take the event; retried later');
      throw err;
    } finally {
      if (health.end(name, ok, deps.clock.nowMs())) deps.onRecovered?.();
    }
  };
}

/** A delivery that became a dead letter: the log says failed (in the dead letter's transaction). */
export function hookDeliveryDead(store: Store, payload: unknown): OnComplete | undefined {
  let deliveryId: number;
  try {
    deliveryId = parseJobPayload(HOOK_DELIVERY_JOB, payload).deliveryId;
  } catch {
    return undefined;
  }
  return async (trx) => store.hooks.markFailed(deliveryId, trx);
}
