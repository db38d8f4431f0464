/**
 * BridgeError: every error the bridge raises carries its decision, so code
 * reads flags, never message text (mautrix errors.go, Fastify lib/errors.js).
 * Codes are stable `BRG_ERR_*` strings listed in docs/errors.md.
 *
 * - retryable: trying again later may succeed (429, 5xx, network, QUERY_LIMIT_EXCEEDED).
 * - certain: we know the remote side did NOT act (false after a timeout on a
 *   send: the message may exist, so a blind resend could duplicate it).
 * - notifyOperator: an operator should see this in the Open Line (client blocked the bot...).
 */
export interface BridgeErrorOptions {
  retryable?: boolean;
  certain?: boolean;
  notifyOperator?: boolean;
  /** Honoured by the retry policy when set (from Retry-After or a reset time). */
  retryAfterMs?: number;
  cause?: unknown;
}

export class BridgeError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly certain: boolean;
  readonly notifyOperator: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.certain = options.certain ?? true;
    this.notifyOperator = options.notifyOperator ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}
