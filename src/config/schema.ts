/**
 * The configuration schema (zod 4). Every key has a default, a reason and a
 * "when to change" in config/example.yaml; docs/configuration.md lists them and
 * src/config/key-hints.ts says how to fix each one. Env variables and the YAML
 * file (CONFIG_FILE) merge in src/config/load.ts.
 *
 * `configShapeSchema` is what the operator writes; `configSchema` also fills
 * what depends on other keys (plan limits, inherited app credentials, the
 * default route, derived webhook secrets), so its output is what the bridge runs on.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { canonicalPublicUrl } from '../domain/endpoint-address.ts';
import { checkPublicUrl, checkServiceUrl } from './url-rules.ts';
import { analyticsSchema } from './analytics-schema.ts';
import { crmDefaultsSchema } from './crm-schema.ts';
import { hooksSchema } from './hooks-schema.ts';
import { routesSchema } from './route-schema.ts';

const serviceUrl = z.string().superRefine((value, ctx) => {
  const problem = checkServiceUrl(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const publicUrl = z.string().superRefine((value, ctx) => {
  const problem = checkPublicUrl(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const id = z.string().regex(ID_PATTERN, 'must be 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit');
const lineId = z.number().int().positive();
const portCount = z.number().int();
/** How a class of personal data is written to the journal and the logs (docs/privacy.md). */
const maskMode = z.enum(['none', 'masked', 'hashed', 'drop']);

export const DEFAULT_MAX_API_URL = 'https://platform-api2.max.ru';
export const DEFAULT_DATABASE_URL = '.data/bridge.sqlite';

/** Bitrix24 request-rate leaky bucket per portal (spec bitrix24-rest §8): drains Y/s, refuses above X. */
export const PLAN_LIMITS = {
  standard: { drain_per_second: 2, burst: 50 },
  enterprise: { drain_per_second: 5, burst: 250 },
} as const;

const databaseUrl = z.string().min(1).superRefine((value, ctx) => {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'postgres' && scheme !== 'postgresql') {
    ctx.addIssue({ code: 'custom', message: `has the scheme ${scheme}://, which is not supported; fix: use a file path for SQLite (e.g. ${DEFAULT_DATABASE_URL}) or postgres://user:password@host:5432/db` });
  }
});

/**
 * Keys that only decrypt (BRIDGE_SECRET_KEY_PREVIOUS), kept while `rotate-key` seals again what
 * they sealed (docs/operations.md): one key or several separated by commas, or a YAML list;
 * newest first. Values are never echoed in problems (they are keys).
 */
const previousSecretKeys = z.union([z.string(), z.array(z.string())])
  .transform((value) => (typeof value === 'string' ? value.split(',') : value).map((k) => k.trim()).filter((k) => k !== ''))
  .superRefine((keys, ctx) => {
    if (keys.some((k) => k.length < 16)) ctx.addIssue({ code: 'custom', message: 'has a key shorter than 16 characters (each is a BRIDGE_SECRET_KEY the bridge ran with; several are separated by commas)' });
  });

export const botSchema = z.object({
  id,
  token: z.string().min(10),
  /** Sent back by MAX in X-Max-Bot-Api-Secret; derived from security.secret_key when absent. */
  webhook_secret: z.string().regex(/^[A-Za-z0-9_-]{5,256}$/, 'must be 5–256 characters of A–Z a–z 0–9 _ - (MAX refuses others)').optional(),
  updates: z.enum(['webhook', 'polling']).optional(),
  api_url: serviceUrl.optional(),
}).strict();

const limitsSchema = z.object({
  drain_per_second: z.number().positive().max(100),
  burst: z.number().int().positive().max(10_000),
}).strict();

export const portalSchema = z.object({
  id,
  /** The portal's address, e.g. https://company.bitrix24.ru (installs and links name it). */
  url: serviceUrl.optional(),
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
  plan: z.enum(['standard', 'enterprise']).optional(),
  limits: limitsSchema.optional(),
  /** The Open Line to use; when absent a line named "MAX" is found or created. */
  line_id: lineId.optional(),
  /** Give up on one REST request after this long (Bitrix24 cuts requests at 60 s). Default 55 000. */
  request_timeout_ms: z.number().int().min(1_000).max(60_000).optional(),
}).strict();

/** Routes: src/config/route-schema.ts (conditions, targets, fallback, transforms; the first bot → portal shape too). */
export { routeSchema } from './route-schema.ts';

export const configShapeSchema = z.object({
  server: z.object({
    host: z.string().min(1).default('0.0.0.0'),
    port: portCount.min(1).max(65_535).default(3000),
    public_url: publicUrl.optional(),
    body_limit_bytes: portCount.min(1_024).max(16 * 1024 * 1024).default(1_048_576),
    /**
     * Built-in HTTPS (docs/tls.md): with both files set, `port` serves HTTPS with them, re-read
     * when they change (src/http/certificate-reload.ts); with neither, plain HTTP behind a reverse proxy.
     */
    tls: z.object({
      /** The certificate, then its chain (certbot's fullchain.pem), PEM. Relative to the working directory. */
      cert_file: z.string().min(1).nullable().default(null),
      /** Its private key (certbot's privkey.pem), PEM, not encrypted. */
      key_file: z.string().min(1).nullable().default(null),
    }).strict().superRefine((tls, ctx) => {
      if ((tls.cert_file === null) === (tls.key_file === null)) return;
      const [missing, set] = tls.cert_file === null ? ['cert_file', 'key_file'] : ['key_file', 'cert_file'];
      ctx.addIssue({ code: 'custom', path: [missing], message: `is missing while server.tls.${set} is set: built-in HTTPS needs both files; fix: set both (env TLS_CERT_FILE and TLS_KEY_FILE), or neither to serve plain HTTP behind a reverse proxy` });
    }).prefault({}),
  }).strict().prefault({}),
  database: z.object({ url: databaseUrl.default(DEFAULT_DATABASE_URL) }).strict().prefault({}),
  security: z.object({
    secret_key: z.string().min(16).optional(),
    previous_secret_keys: previousSecretKeys.optional(),
    admin_token: z.string().min(16).optional(),
    /** Bearer token of GET /metrics (the admin token works too); with neither, /metrics is off. */
    metrics_token: z.string().min(16).optional(),
  }).strict().prefault({}),
  workers: z.object({
    concurrency: portCount.min(1).max(256).default(32),
    /** Most items one imconnector.*.messages call carries (coalescing). */
    line_batch_max: portCount.min(1).max(200).default(50),
    /** How long a line's flush waits for its batch to fill when the portal's limit is under pressure. */
    line_linger_ms: z.number().int().min(0).max(5_000).default(150),
    /** The longest a client message waits for earlier ones still in flight (MAX may deliver webhooks concurrently); the wait itself adapts to observed delivery delays. */
    line_reorder_window_ms: z.number().int().min(0).max(60_000).default(5_000),
    /** How long an operator's reply waits for an earlier one still in flight (Bitrix24 promises no event order). */
    operator_reorder_window_ms: z.number().int().min(0).max(60_000).default(5),
    /**
     * How long a message that fails for a passing reason (network, timeouts, 5xx, limits, a side
     * that is down) keeps being retried after it was queued, in days; after that it is a dead letter.
     * Refusals (a permanent error for this message) are dead letters at once.
     */
    transient_retry_days: z.number().min(0.01).max(365).default(7),
    /** The longest a route's transform hook may run for one message; then the message goes on unchanged. */
    transform_timeout_ms: z.number().int().min(50).max(60_000).default(2_000),
  }).strict().prefault({}),
  messages: z.object({
    system_messages: z.enum(['forward', 'rewrite', 'drop', 'forward_all', 'rewrite_all']).default('rewrite'),
    operator_name: z.enum(['keep', 'strip']).default('keep'),
    /** When the bot is down (revoked token, MAX unreachable): `line` tells the operator in the Open Line once per conversation per outage; `off` does not. */
    outage_notices: z.enum(['line', 'off']).default('line'),
    /**
     * When the Open Line has not taken a client's messages for this many minutes (the portal is
     * down or failing, the line paused), the client is told once per episode in MAX; 0 = never.
     */
    client_wait_notice_minutes: z.number().int().min(0).max(10_080).default(15),
    /** What the client is told then (plain text); the default is Russian (src/bridge/client-wait-notice.ts). */
    client_wait_notice_text: z.string().trim().min(1).max(4_000).optional(),
  }).strict().prefault({}),
  /** Client files re-hosted for Bitrix24 (signed, expiring URLs served by the bridge). */
  media: z.object({
    max_bytes: z.number().int().min(1_024).max(4 * 1024 * 1024 * 1024).default(50 * 1024 * 1024),
    url_ttl_hours: z.number().int().min(1).max(24 * 90).default(72),
  }).strict().prefault({}),
  journal: z.object({ retention_days: portCount.min(1).max(3650).default(90) }).strict().prefault({}),
  /**
   * Personal data in the journal and the log lines (152-ФЗ), per field class: kept (`none`),
   * `masked` (`+7 *** ***-**-67`), `hashed` (keyed HMAC: equal values still match) or `drop`.
   * Applied when a row or a line is written (src/journal/masking.ts, docs/privacy.md).
   */
  privacy: z.object({
    phone: maskMode.default('masked'),
    email: maskMode.default('masked'),
    name: maskMode.default('masked'),
    text: maskMode.default('none'),
    file: maskMode.default('masked'),
  }).strict().prefault({}),
  /**
   * How long each kind of data is kept, in days; the running bridge purges what is older every
   * `purge_interval_minutes` (one process at a time), `npm run bridge -- purge` on demand.
   * The journal's own is `journal.retention_days`.
   */
  retention: z.object({
    /** Raw MAX updates and Bitrix24 events, and the finished jobs made from them. At least 1: they are also the redelivery dedupe. */
    events_days: z.number().min(1).max(3650).default(30),
    /** Delivered messages: their id maps (MAX ↔ Bitrix24), the line outbox, notices, and conversations idle that long. */
    messages_days: z.number().min(1).max(3650).default(365),
    /** Client files re-hosted for Bitrix24 (they also stop being served after media.url_ttl_hours). */
    files_days: z.number().min(0.04).max(3650).default(7),
    /** Dead letters (jobs that could not be delivered), counted from their last attempt. */
    dead_letters_days: z.number().min(1).max(3650).default(30),
    purge_interval_minutes: z.number().int().min(1).max(10_080).default(60),
  }).strict().prefault({}),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** JSON lines or readable ones; `auto`: readable in the sandbox and on a terminal, JSON otherwise (docs/logging.md). */
  log_format: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** Defaults for every bot that does not set its own. */
  max: z.object({
    api_url: serviceUrl.default(DEFAULT_MAX_API_URL),
    updates: z.enum(['webhook', 'polling']).default('webhook'),
    /**
     * After any bridge process starts, for this long the first message of each conversation
     * reads the chat's recent history to take messages MAX has not redelivered yet, in order.
     */
    catchup_window_ms: z.number().int().min(0).max(86_400_000).default(600_000),
    /**
     * After the bridge was away longer than this (or for how long is unknown), or MAX dropped
     * its webhook subscription, the history of every chat active within
     * `downtime_catchup_days` is read at start and every client message not yet taken is
     * queued, in order, before newer ones: MAX's next retry may be hours away (60 s, 150 s,
     * 375 s … ×2.5), and after 8 h it stops trying. 0 = after any downtime.
     */
    downtime_catchup_after_ms: z.number().int().min(0).max(86_400_000).default(300_000),
    /** How far back a downtime catch-up looks for chats to read (by their last activity), days. */
    downtime_catchup_days: z.number().min(0.01).max(90).default(7),
    /**
     * What a group chat the bot was added to becomes: `ignore` (default; stored and listed as
     * skipped, nothing in the line) or `conversation` (one Open Lines dialog per group, titled
     * after it, each message signed with its author). Channel posts never become conversations.
     */
    group_chats: z.enum(['ignore', 'conversation']).default('ignore'),
    /**
     * At a first start in polling mode (no stored marker), updates MAX still holds that are older
     * than this are stored and listed as skipped, not sent to the line as fresh conversations.
     */
    polling_backlog_max_age_ms: z.number().int().min(0).max(86_400_000).default(300_000),
  }).strict().prefault({}),
  /** Defaults for every portal that does not set its own (one app installed on several portals). */
  bitrix24: z.object({
    client_id: z.string().min(1).optional(),
    client_secret: z.string().min(1).optional(),
    plan: z.enum(['standard', 'enterprise']).default('standard'),
    line_id: lineId.optional(),
    /**
     * A portal unreachable this long (its calls failing, held: side-hold.ts) takes no new
     * conversations: routes send them to their other targets or their fallback. 0 = at once.
     */
    route_around_after_ms: z.number().int().min(0).max(86_400_000).default(300_000),
  }).strict().prefault({}),
  /** CRM defaults for every route (a route's own `crm:` overrides them key by key): docs/crm.md. */
  crm: crmDefaultsSchema,
  /** Event webhooks to the company's systems and checks before routing (docs/hooks.md). */
  hooks: hooksSchema,
  /** Reports: the time zone, working hours and SLA targets (docs/analytics.md). */
  analytics: analyticsSchema,
  bots: z.array(botSchema).default([]),
  portals: z.array(portalSchema).default([]),
  routes: routesSchema.default([]),
}).strict();

type Shape = z.output<typeof configShapeSchema>;

/**
 * The webhook secret MAX echoes in X-Max-Bot-Api-Secret, when the bot sets none:
 * HMAC of the bot id under the secret key, so every process (and every restart)
 * agrees on it without storing it. 43 base64url characters fit MAX's 5–256 rule.
 */
export function deriveWebhookSecret(secretKey: string, botId: string): string {
  return createHmac('sha256', secretKey).update(`max-webhook-secret:${botId}`).digest('base64url');
}

function complete(shape: Shape) {
  const { max, bitrix24, security } = shape;
  // During a key rotation, from the oldest key (the last previous one): the processes not yet
  // restarted hold it alone, so every process subscribes and checks with the same secret.
  const webhookKey = security.previous_secret_keys?.at(-1) ?? security.secret_key;
  const bots = shape.bots.map((b) => ({
    id: b.id,
    token: b.token,
    webhook_secret: b.webhook_secret ?? (webhookKey ? deriveWebhookSecret(webhookKey, b.id) : undefined),
    updates: b.updates ?? max.updates,
    api_url: b.api_url ?? max.api_url,
  }));
  const portals = shape.portals.map((p) => {
    const plan = p.plan ?? bitrix24.plan;
    return {
      id: p.id,
      url: p.url,
      // Checked in load.ts (cross-checks): one of the two is always set when loaded from config.
      client_id: p.client_id ?? bitrix24.client_id ?? '',
      client_secret: p.client_secret ?? bitrix24.client_secret ?? '',
      plan,
      limits: p.limits ?? { ...PLAN_LIMITS[plan] },
      line_id: p.line_id ?? bitrix24.line_id,
      request_timeout_ms: p.request_timeout_ms ?? 55_000,
    };
  });
  const only = portals.length === 1 ? portals[0] : undefined;
  // One portal and no routes: every bot goes to its line (the common single-company setup).
  const routes = shape.routes.length === 0 && only ? [{ bot: '*', portal: only.id, line_id: only.line_id }] : shape.routes;
  // One canonical public address (no trailing or doubled slash) for every URL the bridge registers.
  const server = shape.server.public_url === undefined ? shape.server : { ...shape.server, public_url: canonicalPublicUrl(shape.server.public_url) };
  return { ...shape, server, bots, portals, routes };
}

export const configSchema = configShapeSchema.transform(complete);

export type BridgeConfigInput = z.input<typeof configSchema>;
export type BridgeConfigData = z.output<typeof configSchema>;
export type BotConfig = BridgeConfigData['bots'][number];
export type PortalConfig = BridgeConfigData['portals'][number];
export type RouteConfig = BridgeConfigData['routes'][number];
