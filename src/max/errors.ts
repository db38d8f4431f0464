/**
 * MAX errors, classified once with their decisions (STYLE habit 6):
 * MaxApiError — the API answered and said no; MaxNetworkError — no answer.
 * Retry on 429, 5xx, network errors and attachment.not.ready; never on other 4xx.
 */
import { BridgeError } from '../domain/errors.ts';
import type { NetworkFailure } from '../domain/network-failure.ts';

export const MAX_ERROR_CODES = {
  rateLimited: 'BRG_ERR_MAX_RATE_LIMITED',
  unavailable: 'BRG_ERR_MAX_UNAVAILABLE',
  attachmentNotReady: 'BRG_ERR_MAX_ATTACHMENT_NOT_READY',
  userBlockedBot: 'BRG_ERR_MAX_USER_BLOCKED_BOT',
  chatDenied: 'BRG_ERR_MAX_CHAT_DENIED',
  notFound: 'BRG_ERR_MAX_NOT_FOUND',
  unauthorized: 'BRG_ERR_MAX_UNAUTHORIZED',
  badRequest: 'BRG_ERR_MAX_BAD_REQUEST',
  formatRejected: 'BRG_ERR_MAX_FORMAT_REJECTED',
  network: 'BRG_ERR_MAX_NETWORK',
  unreachable: 'BRG_ERR_MAX_UNREACHABLE',
  notSuccessful: 'BRG_ERR_MAX_NOT_SUCCESSFUL',
} as const;

/**
 * MAX refusing a text's markup: 400 "Some Markdown syntax is not supported. Use basic
 * formatting." (observed by third parties; the code is not documented, so only the words
 * are matched). The same words sent without `format` go through.
 */
const FORMAT_REFUSED = /markdown syntax is not supported|use basic formatting|(markup|format(ting)?) is not supported/i;

/** attachment.not.ready: the file is still processing; retry after this (official client: 1 s, 2 s, 4 s). */
const ATTACHMENT_RETRY_MS = 1_000;

export class MaxApiError extends BridgeError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly maxCode: string,
    readonly response: string,
    flags: { retryable: boolean; notifyOperator?: boolean; retryAfterMs?: number },
  ) {
    super(code, message, { ...flags, certain: true });
    this.name = 'MaxApiError';
  }
}

export class MaxNetworkError extends BridgeError {
  constructor(
    readonly failure: NetworkFailure,
    readonly idempotent: boolean,
  ) {
    super(MAX_ERROR_CODES.network, `MAX did not answer (${failure.code})`, {
      retryable: true,
      // A send that may have reached MAX is uncertain: it may exist already.
      certain: idempotent || !failure.mayHaveReached,
    });
    this.name = 'MaxNetworkError';
  }
}

/** Retry-After in seconds or as an HTTP date; MAX sends none today, but a proxy in front may. */
export function retryAfterMsOf(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export function classifyMaxError(status: number, text: string, retryAfterMs?: number): MaxApiError {
  let body: { code?: string; message?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON
  }
  const maxCode = body.code ?? '';
  const message = `MAX ${status} ${maxCode}: ${body.message ?? text.slice(0, 200)}`;
  const make = (code: string, flags: ConstructorParameters<typeof MaxApiError>[5]) =>
    new MaxApiError(code, message, status, maxCode, text, flags);
  if (status === 429) return make(MAX_ERROR_CODES.rateLimited, { retryable: true, retryAfterMs: retryAfterMs ?? 1_000 });
  if (status >= 500) return make(MAX_ERROR_CODES.unavailable, { retryable: true, retryAfterMs });
  if (maxCode === 'attachment.not.ready') return make(MAX_ERROR_CODES.attachmentNotReady, { retryable: true, retryAfterMs: ATTACHMENT_RETRY_MS });
  if (status === 403 && /dialog\.suspended|blocked|stopped/i.test(body.message ?? '')) {
    return make(MAX_ERROR_CODES.userBlockedBot, { retryable: false, notifyOperator: true });
  }
  if (status === 403) return make(MAX_ERROR_CODES.chatDenied, { retryable: false, notifyOperator: true });
  if (status === 404) return make(MAX_ERROR_CODES.notFound, { retryable: false, notifyOperator: true });
  if (status === 401) return make(MAX_ERROR_CODES.unauthorized, { retryable: false });
  if (status === 400 && FORMAT_REFUSED.test(body.message ?? '')) return make(MAX_ERROR_CODES.formatRejected, { retryable: false });
  return make(MAX_ERROR_CODES.badRequest, { retryable: false });
}
