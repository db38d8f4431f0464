/**
 * Environment variables and the keys they set. Precedence (docs/configuration.md):
 * an env variable wins over the same key in CONFIG_FILE, which wins over the
 * default. The list is the single source for merging, for error messages that
 * name the variable, for the "unknown variable" warnings and for the docs test.
 */
import { nearestName } from './nearest-name.ts';

export type Env = Record<string, string | undefined>;
export type Json = Record<string, unknown>;

export interface EnvVariable {
  name: string;
  /** Key path in the configuration; bots[default] is the bot with id "default". */
  key: string;
  numeric: boolean;
}

const v = (name: string, key: string, numeric = false): EnvVariable => ({ name, key, numeric });

/** Plain settings: one variable, one key. */
export const ENV_SCALARS: readonly EnvVariable[] = [
  v('PORT', 'server.port', true), v('HOST', 'server.host'), v('PUBLIC_URL', 'server.public_url'),
  v('BODY_LIMIT_BYTES', 'server.body_limit_bytes', true), v('TLS_CERT_FILE', 'server.tls.cert_file'), v('TLS_KEY_FILE', 'server.tls.key_file'),
  v('DATABASE_URL', 'database.url'),
  v('BRIDGE_SECRET_KEY', 'security.secret_key'), v('BRIDGE_SECRET_KEY_PREVIOUS', 'security.previous_secret_keys'),
  v('ADMIN_TOKEN', 'security.admin_token'),
  v('METRICS_TOKEN', 'security.metrics_token'),
  v('WORKER_CONCURRENCY', 'workers.concurrency', true), v('SYSTEM_MESSAGES', 'messages.system_messages'),
  v('OPERATOR_NAME', 'messages.operator_name'), v('JOURNAL_RETENTION_DAYS', 'journal.retention_days', true),
  v('LOG_LEVEL', 'log_level'), v('LOG_FORMAT', 'log_format'), v('MAX_API_URL', 'max.api_url'), v('MAX_UPDATES', 'max.updates'),
  v('BITRIX24_CLIENT_ID', 'bitrix24.client_id'), v('BITRIX24_CLIENT_SECRET', 'bitrix24.client_secret'),
  v('BITRIX24_PLAN', 'bitrix24.plan'), v('BITRIX24_LINE_ID', 'bitrix24.line_id', true),
];

/** Variables that add or override the bot named "default". */
export const ENV_DEFAULT_BOT: readonly EnvVariable[] = [
  v('MAX_BOT_TOKEN', 'bots[default].token'), v('MAX_WEBHOOK_SECRET', 'bots[default].webhook_secret'),
];

export const ENV_CONFIG_FILE = 'CONFIG_FILE';

export const ALL_ENV_NAMES: readonly string[] = [ENV_CONFIG_FILE, ...ENV_SCALARS.map((e) => e.name), ...ENV_DEFAULT_BOT.map((e) => e.name)];

/** Where each key's value came from when an env variable set it: display key → variable. */
export type EnvSources = Map<string, string>;

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function asNumber(text: string): number | string {
  // Left as text when not a number so that the schema names the key instead of guessing.
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

function setIn(target: Json, path: string[], input: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = next !== null && typeof next === 'object' && !Array.isArray(next) ? (next as Json) : (node[key] = {});
  }
  node[path[path.length - 1] as string] = input;
}

function mergeDefaultBot(raw: Json, env: Env, sources: EnvSources): void {
  const token = value(env, 'MAX_BOT_TOKEN');
  const secret = value(env, 'MAX_WEBHOOK_SECRET');
  const bots = Array.isArray(raw.bots) ? (raw.bots as unknown[]) : [];
  let index = bots.findIndex((b) => (b as Json | null)?.id === 'default');
  if (token === undefined && (secret === undefined || index < 0)) return;
  if (index < 0) index = bots.push({ id: 'default' }) - 1;
  raw.bots = bots;
  const bot = bots[index] as Json;
  if (token !== undefined) {
    bot.token = token;
    sources.set(`bots[${index}].token`, 'MAX_BOT_TOKEN');
  }
  if (secret !== undefined) {
    bot.webhook_secret = secret;
    sources.set(`bots[${index}].webhook_secret`, 'MAX_WEBHOOK_SECRET');
  }
}

/** Applies env variables over the file's data (mutates `raw`), recording which keys they set. */
export function mergeEnv(raw: Json, env: Env): EnvSources {
  const sources: EnvSources = new Map();
  for (const variable of ENV_SCALARS) {
    const text = value(env, variable.name);
    if (text === undefined) continue;
    setIn(raw, variable.key.split('.'), variable.numeric ? asNumber(text) : text);
    sources.set(variable.key, variable.name);
  }
  mergeDefaultBot(raw, env, sources);
  const hasApp = value(env, 'BITRIX24_CLIENT_ID') !== undefined || value(env, 'BITRIX24_CLIENT_SECRET') !== undefined;
  const portals = raw.portals;
  // The app from env with no portal listed anywhere: the single portal "default" uses it.
  if (hasApp && (!Array.isArray(portals) || portals.length === 0)) raw.portals = [{ id: 'default' }];
  return sources;
}

/** Names that look like ours but are not (typos such as MAX_BOT_TOKEM); values are never read. */
export function unknownEnvWarnings(env: Env, referencedByFile: ReadonlySet<string> = new Set()): string[] {
  const ours = /^(MAX|BITRIX24|BRIDGE)_/;
  const unknown = (name: string) => ours.test(name) && !ALL_ENV_NAMES.includes(name) && !referencedByFile.has(name);
  return Object.keys(env).filter(unknown).sort().map((name) => {
    const near = nearestName(name, ALL_ENV_NAMES);
    return `${name}: not a setting of the bridge, ignored${near ? `; did you mean ${near}?` : ''}`;
  });
}
