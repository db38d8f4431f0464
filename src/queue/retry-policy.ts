/**
 * One retry policy for every job, as a pure function of (error, attempt):
 * capped exponential backoff with jitter; `retryAfterMs` on a BridgeError
 * (Retry-After, QUERY_LIMIT_EXCEEDED drain, OPERATION_TIME_LIMIT reset) is
 * honoured as a floor; non-retryable errors and exhausted attempts go to dead
 * letters. Anchors: grammY withRetries, graphile failJobs, octokit doNotRetry.
 */
import { cappedBackoffMs } from '../domain/backoff.ts';
import { BridgeError } from '../domain/errors.ts';

export interface RetryPolicy {
  /** Delay before the 2nd attempt; doubles each time. */
  baseDelayMs: number;
  /** No delay exceeds this (except a longer retryAfterMs from the remote side). */
  maxDelayMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
}

/** 1 s, 2 s, 4 s … capped at 5 min, 12 attempts: about 40 minutes of trying. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 300_000, maxAttempts: 12 };

export type RetryDecision =
  | { action: 'retry'; delayMs: number }
  | { action: 'dead'; reason: 'not_retryable' | 'attempts_exhausted' };

/**
 * @param attempt the attempt that just failed (1 = first run)
 * @param random  in [0, 1): injected so tests are deterministic
 */
export function decideRetry(error: unknown, attempt: number, policy: RetryPolicy, random: () => number): RetryDecision {
  // Unknown exceptions are treated as transient: they get the same capped attempts.
  const retryable = error instanceof BridgeError ? error.retryable : true;
  if (!retryable) return { action: 'dead', reason: 'not_retryable' };
  if (attempt >= policy.maxAttempts) return { action: 'dead', reason: 'attempts_exhausted' };
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
