/**
 * Bitrix24 errors, classified once with their decisions: Bitrix24ApiError
 * (the portal answered no) vs Bitrix24NetworkError (no answer).
 */
import { BridgeError } from '../domain/errors.ts';
import type { NetworkFailure } from '../domain/network-failure.ts';
import { SideHeldError } from '../domain/side-hold.ts';
import { PROBE_FIRST_MS } from '../domain/side-hold.ts';

export const BITRIX24_ERROR_CODES = {
  queryLimit: 'BRG_ERR_BITRIX24_QUERY_LIMIT',
  operationTimeLimit: 'BRG_ERR_BITRIX24_OPERATION_TIME_LIMIT',
  unavailable: 'BRG_ERR_BITRIX24_UNAVAILABLE',
  overload: 'BRG_ERR_BITRIX24_OVERLOAD',
  tokenExpired: 'BRG_ERR_BITRIX24_TOKEN_EXPIRED',
  reauthRequired: 'BRG_ERR_BITRIX24_REAUTH_REQUIRED',
  lineInactive: 'BRG_ERR_BITRIX24_LINE_INACTIVE',
  accessDenied: 'BRG_ERR_BITRIX24_ACCESS_DENIED',
  badRequest: 'BRG_ERR_BITRIX24_BAD_REQUEST',
  network: 'BRG_ERR_BITRIX24_NETWORK',
  notInstalled: 'BRG_ERR_BITRIX24_NOT_INSTALLED',
  paymentRequired: 'BRG_ERR_BITRIX24_PAYMENT_REQUIRED',
  unreachable: 'BRG_ERR_BITRIX24_UNREACHABLE',
} as const;

/** After QUERY_LIMIT_EXCEEDED: about two requests drain per second; wait for a few. */
const QUERY_LIMIT_RETRY_MS = 2_000;

export class Bitrix24ApiError extends BridgeError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly bitrixCode: string,
    readonly response: string,
    flags: { retryable: boolean; retryAfterMs?: number; notifyOperator?: boolean },
  ) {
    super(code, message, { ...flags, certain: true });
    this.name = 'Bitrix24ApiError';
  }
}

export class Bitrix24NetworkError extends BridgeError {
  constructor(
    readonly failure: NetworkFailure,
    idempotent: boolean,
  ) {
    super(BITRIX24_ERROR_CODES.network, `Bitrix24 did not answer (${failure.code})`, {
      retryable: true,
      certain: idempotent || !failure.mayHaveReached,
    });
    this.name = 'Bitrix24NetworkError';
  }
}

export function classifyBitrix24Error(status: number, text: string, nowMs: number): Bitrix24ApiError {
  let body: { error?: string; error_description?: string; time?: { operating_reset_at?: number } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON
  }
  const code = body.error ?? `HTTP_${status}`;
  const message = `Bitrix24 ${status} ${code}: ${body.error_description ?? text.slice(0, 200)}`;
  const make = (ours: string, flags: ConstructorParameters<typeof Bitrix24ApiError>[5]) =>
    new Bitrix24ApiError(ours, message, status, code, text, flags);
  // The portal has blocked the app (a manual block, lifted by support): a pause, not a "no"
  // (portal-hold.ts). 503 in the spec sheet's doc revision, 401 in a later one: read the code.
  if (code === 'OVERLOAD_LIMIT') return make(BITRIX24_ERROR_CODES.overload, { retryable: true, retryAfterMs: PROBE_FIRST_MS });
  if (code === 'QUERY_LIMIT_EXCEEDED') return make(BITRIX24_ERROR_CODES.queryLimit, { retryable: true, retryAfterMs: QUERY_LIMIT_RETRY_MS });
  if (code === 'OPERATION_TIME_LIMIT') {
    const resetAtMs = (body.time?.operating_reset_at ?? 0) * 1000;
    return make(BITRIX24_ERROR_CODES.operationTimeLimit, { retryable: true, retryAfterMs: Math.max(10_000, resetAtMs - nowMs) });
  }
  if (code === 'expired_token' || code === 'invalid_token') return make(BITRIX24_ERROR_CODES.tokenExpired, { retryable: true });
  if (code === 'NOT_ACTIVE_LINE' || code === 'IMCONNECTOR_NO_CORRECT_PROVIDER') {
    return make(BITRIX24_ERROR_CODES.lineInactive, { retryable: false });
  }
  // The plan ran out (REST only on commercial plans): the portal is held until it is paid (portal-down.ts).
  if (code === 'PAYMENT_REQUIRED' || (code === 'ACCESS_DENIED' && /commercial|тариф|plan/i.test(body.error_description ?? ''))) {
    return make(BITRIX24_ERROR_CODES.paymentRequired, { retryable: true });
  }
  if (status >= 500) return make(BITRIX24_ERROR_CODES.unavailable, { retryable: true });
  if (status === 401 || code === 'NO_AUTH_FOUND') return make(BITRIX24_ERROR_CODES.reauthRequired, { retryable: false });
  if (status === 403) return make(BITRIX24_ERROR_CODES.accessDenied, { retryable: false });
  return make(BITRIX24_ERROR_CODES.badRequest, { retryable: false });
}

/** The portal is down for every call (portal-hold.ts): held or just found so — wait, never give up the work. */
export function isPortalBlocked(err: unknown): err is BridgeError {
  return err instanceof SideHeldError || (err instanceof BridgeError && err.code === BITRIX24_ERROR_CODES.overload);
}
