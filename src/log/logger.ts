/**
 * The process logger: one pino logger made at start (src/cli/start.ts,
 * src/cli/sandbox.ts), handed to Fastify as its logger and to the runtime,
 * which gives each component a child (`logger.child({ component: 'line-flush' })`);
 * the job runner adds a child per job (`{ jobId, jobKind, conversationKey }`),
 * so every line about a message carries its correlation ids (docs/logging.md).
 *
 * Secrets never reach a line. Three layers:
 * - the values of the keys below are replaced by "[redacted]": at the top of a
 *   line by pino's `redact` (exact paths), and at any depth of a plain object
 *   or array (a request body, the OAuth tokens, a Bitrix24 event's `auth`
 *   block, a config block) by `redactNested` in pino's `formatters.log`.
 *   Not pino's wildcard paths (`*.token`, `*.*.token`): with this many keys they
 *   cost 70–130 µs per child logger and per line even when nothing is written,
 *   measured on the job runner's per-job child; the walk costs ~2 µs;
 * - the `req` serializer writes a URL with secret query values (`sig` of media
 *   links, tokens) redacted and no headers (safe-url.ts);
 * - the `err` serializer keeps an error's code, flags and message, and only a
 *   redacted, shortened copy of a side's response body (journal/redact.ts).
 * The proof is test/e2e/log-secrets.test.ts: a secret planted in every config
 * field and every token the emulators hand out, greped for in the output of a
 * whole round trip with failures at level trace.
 *
 * Personal data passes the configuration's `privacy` policy after the secrets
 * (src/journal/masking.ts, the same masker as the journal's): names, phones,
 * emails and files at any depth of a line's fields, and in an error's response
 * body; ids are never touched. Proof: test/e2e/journal.test.ts.
 */
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { privacyHashKey } from '../journal/hash-key.ts';
import { createMasker, DEFAULT_MASKING, type Masker } from '../journal/masking.ts';
import { redactText } from '../journal/redact.ts';
import { prettyDestination } from './pretty.ts';
import { safeUrl } from './safe-url.ts';

export type { Logger };

/** The config's `log_level` values, and 'silent'. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** JSON lines (production) or one human-readable line per entry (the sandbox, a terminal): format.ts decides. */
export type LogFormat = 'json' | 'pretty';

/** Keys whose values are secret wherever they appear (tokens, secrets, auth, Bitrix24's AUTH_ID/REFRESH_ID). */
const SECRET_KEYS = [
  'auth', 'authorization', 'access_token', 'refresh_token', 'accessToken', 'refreshToken', 'application_token', 'applicationToken',
  'APPLICATION_TOKEN', 'AUTH_ID', 'REFRESH_ID', 'APP_SID', 'token', 'secret', 'client_secret', 'clientSecret', 'secret_key', 'secretKey',
  'previous_secret_keys', 'previousSecretKeys',
  'webhook_secret', 'webhookSecret', 'admin_token', 'adminToken', 'password', 'sig', 'cookie', 'x-max-bot-api-secret',
];
/** The same, compared without case (`Authorization`, `auth_id`). */
const SECRET_KEYS_LOWER = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));
const isSecretKey = (key: string): boolean => SECRET_KEYS_LOWER.has(key.toLowerCase());
/** Deeper than any body or event the bridge logs; beyond it, values are left as they are. */
const REDACT_MAX_DEPTH = 8;
const CENSOR = '[redacted]';

/** A key as a pino path segment: bracketed when it is not a plain identifier (`x-max-bot-api-secret`). */
const segment = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`);

/** pino's `redact` paths: the top level, and the header a logged request would carry. */
export const REDACT_PATHS = [
  ...SECRET_KEYS.map(segment),
  'req.headers.authorization', 'req.headers["x-max-bot-api-secret"]', 'headers.authorization', 'headers["x-max-bot-api-secret"]',
];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function holdsSecret(value: unknown, depth: number): boolean {
  if (depth > REDACT_MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.some((v) => holdsSecret(v, depth + 1));
  if (!isPlainObject(value)) return false;
  for (const key in value) if (isSecretKey(key) || holdsSecret(value[key], depth + 1)) return true;
  return false;
}

function redactCopy(value: unknown, depth: number): unknown {
  if (depth > REDACT_MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => redactCopy(v, depth + 1));
  // Errors, requests and other instances go to their serializers untouched.
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = isSecretKey(key) ? CENSOR : redactCopy(value[key], depth + 1);
  return out;
}

/** A line's fields with every secret key's value replaced, at any depth; the same object when it holds none (no copy). */
export function redactNested(fields: Record<string, unknown>): Record<string, unknown> {
  return holdsSecret(fields, 0) ? (redactCopy(fields, 0) as Record<string, unknown>) : fields;
}

/** A side's response body kept in a log line: enough for the error's description, not a whole page. */
const RESPONSE_MAX_CHARS = 500;

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  raw?: { url?: string };
  socket?: { remoteAddress?: string };
}

/** What a logged request says: method, URL with secrets redacted, the peer. Never headers or bodies. */
function requestSerializer(req: RequestLike): Record<string, unknown> {
  return { method: req.method, url: safeUrl(req.url ?? req.raw?.url ?? ''), remoteAddress: req.ip ?? req.socket?.remoteAddress };
}

/** pino's error serializer, with a side's raw response body redacted, masked and shortened. */
function errorSerializer(masker: Masker): (err: unknown) => unknown {
  return (err) => {
    if (!(err instanceof Error)) return err;
    const out = stdSerializers.err(err) as unknown as Record<string, unknown>;
    if (typeof out.response === 'string') out.response = masker.body(redactText(out.response) ?? '').slice(0, RESPONSE_MAX_CHARS);
    return out;
  };
}

function logSerializers(masker: Masker) {
  const err = errorSerializer(masker);
  return { err, error: err, req: requestSerializer };
}

export interface LoggerOptions {
  /** The config's `log_level` (fatal, error, warn, info, debug, trace), or 'silent'. Default 'info'. */
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to read them. */
  destination?: DestinationStream;
  /** 'pretty' writes one readable line per entry to the destination (format.ts chooses). Default 'json'. */
  format?: LogFormat;
  /**
   * Personal data in the lines' fields (names, phones, emails, texts, files), masked by the
   * configuration's `privacy` policy (src/journal/masking.ts). Default: the default policy.
   */
  masker?: Masker;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  // The default policy masks, never hashes: a key of this process only is enough for it.
  const masker = options.masker ?? createMasker(DEFAULT_MASKING, privacyHashKey(undefined));
  const config = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    formatters: { log: (fields: Record<string, unknown>) => masker.logFields(redactNested(fields)), bindings: redactNested },
    serializers: logSerializers(masker),
    base: { pid: process.pid },
  };
  // Synchronous stdout by default: a line written just before a crash is not lost.
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(config, options.format === 'pretty' ? prettyDestination(out) : out);
}

/** Writes nothing: the default where no logger is passed (tests, tools). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** The error's stable code (BRG_ERR_*, a side's code, a Node code) for a log line's `code` field. */
export function codeOf(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string') return e.code;
  return e && typeof e.name === 'string' ? e.name : 'ERROR';
}
