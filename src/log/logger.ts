/**
 * The process logger: one pino logger made at start (src/bridge/runtime.ts),
 * a child per component (`logger.child({ component: 'bitrix24-client' })`).
 * JSON lines on stdout; the level from the config's `log_level`.
 *
 * Secrets never reach a line: every path below is replaced by "[redacted]"
 * (pino's fast-redact), at the top level and one or two levels down, because
 * a logged object may carry a request body, the OAuth tokens or a config
 * block. journal/redact.ts does the same for the exchange journal.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Keys whose values are secret wherever they appear (tokens, secrets, auth). */
const SECRET_KEYS = [
  'auth', 'authorization', 'access_token', 'refresh_token', 'accessToken', 'refreshToken', 'application_token', 'applicationToken',
  'token', 'secret', 'client_secret', 'clientSecret', 'secret_key', 'webhook_secret', 'admin_token', 'password', 'sig',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization', 'req.headers["x-max-bot-api-secret"]', 'headers.authorization', 'headers["x-max-bot-api-secret"]',
];

export interface LoggerOptions {
  /** The config's `log_level` (fatal, error, warn, info, debug, trace), or 'silent'. Default 'info'. */
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to read them. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const config = { level: options.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** Writes nothing: the default where no logger is passed (tests, tools). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
