/**
 * One retry policy for every job, by cause rather than by count: capped
 * exponential backoff with jitter; `retryAfterMs` on a BridgeError
 * (Retry-After, QUERY_LIMIT_EXCEEDED drain, OPERATION_TIME_LIMIT reset) is
 * honoured as a floor.
 *
 * - A refusal (a BridgeError that is not retryable: a permanent 4xx for this
 *   message, a client who blocked the bot) is a dead letter at once.
 * - A transient failure (a retryable BridgeError: network, timeout, 5xx,
 *   limits, a side that is down) is retried for as long as the outage lasts,
 *   up to `transientForMs` after the job was queued (days, not minutes), so
 *   nobody has to replay a night's messages by hand; the conversation's later
 *   messages wait behind it, so order survives the outage.
 * - An unexpected exception (a bug, a shape nobody foresaw) gets `maxAttempts`
 *   and then a dead letter: retrying it for days would hold its conversation
 *   for nothing.
 *
 * Anchors: grammY withRetries, graphile failJobs, octokit doNotRetry.
 */
import { cappedBackoffMs } from '../domain/backoff.ts';
import { BridgeError } from '../domain/errors.ts';

export interface RetryPolicy {
  /** Delay before the 2nd attempt; doubles each time. */
  baseDelayMs: number;
  /** No delay exceeds this (except a longer retryAfterMs from the remote side). */
  maxDelayMs: number;
  /** Attempts in all, the first included, for an unexpected exception (and for every failure when `transientForMs` is not set). */
  maxAttempts: number;
  /** A transient failure is retried until the job is this old (since it was queued); unset: `maxAttempts` bounds it too. */
  transientForMs?: number;
}

/** How long a transient failure is retried by default: a week covers a blocked portal, a weekend outage, an expired plan. */
export const DEFAULT_TRANSIENT_FOR_MS = 7 * 24 * 3_600_000;

/**
 * 1 s, 2 s, 4 s … capped at 5 min; transient failures for a week after the job was queued,
 * an unexpected exception 12 attempts (about 40 minutes).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 300_000, maxAttempts: 12, transientForMs: DEFAULT_TRANSIENT_FOR_MS };

export type RetryDecision =
  | { action: 'retry'; delayMs: number }
  | { action: 'dead'; reason: 'not_retryable' | 'attempts_exhausted' | 'outage_too_long' };

/**
 * @param attempt the attempt that just failed (1 = first run)
 * @param random  in [0, 1): injected so tests are deterministic
 * @param ageMs   how long ago the job was queued (bounds a transient failure's retries)
 */
export function decideRetry(error: unknown, attempt: number, policy: RetryPolicy, random: () => number, ageMs = 0): RetryDecision {
  const known = error instanceof BridgeError;
  if (known && !error.retryable) return { action: 'dead', reason: 'not_retryable' };
  if (known && policy.transientForMs !== undefined) {
    // A transient failure: for as long as the outage lasts, up to the configured bound.
    if (ageMs >= policy.transientForMs) return { action: 'dead', reason: 'outage_too_long' };
  } else if (attempt >= policy.maxAttempts) {
    return { action: 'dead', reason: 'attempts_exhausted' };
  }
  const exponential = cappedBackoffMs(policy.baseDelayMs, policy.maxDelayMs, attempt);
  // "Equal jitter": half fixed, half random, so retries of many jobs spread out
  // without ever collapsing to zero.
  const jittered = exponential / 2 + (exponential / 2) * random();
  const floor = error instanceof BridgeError && error.retryAfterMs !== undefined ? error.retryAfterMs : 0;
  return { action: 'retry', delayMs: Math.round(Math.max(jittered, floor)) };
}

export function errorCodeOf(error: unknown): string {
  if (error instanceof BridgeError) return error.code;
  return 'BRG_ERR_UNEXPECTED';
}
