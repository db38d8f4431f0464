/**
 * Loads the configuration from environment variables and, when CONFIG_FILE is
 * set, a YAML file. Pure over its inputs (env object, file reader) so it is
 * tested directly. Precedence: environment variables win over the file, the
 * file wins over defaults. Every problem is reported at once, each naming the
 * key (and the env variable or YAML line) and the fix; secrets are never echoed.
 */
import { parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { configSchema, PLAN_LIMITS, type BridgeConfigData } from './schema.ts';

export type Mode = 'sandbox' | 'production';

export type LoadResult =
  | { ok: true; mode: Mode; config: BridgeConfigData }
  | { ok: false; errors: string[] };

type Env = Record<string, string | undefined>;
type Json = Record<string, unknown>;

/** Which env variable feeds which key (for messages that name the variable). */
const ENV_KEYS: Record<string, string> = {
  'server.port': 'PORT', 'server.public_url': 'PUBLIC_URL', 'database.url': 'DATABASE_URL',
  'security.secret_key': 'BRIDGE_SECRET_KEY', 'security.admin_token': 'ADMIN_TOKEN', log_level: 'LOG_LEVEL',
  'workers.concurrency': 'WORKER_CONCURRENCY', 'bots.default.token': 'MAX_BOT_TOKEN', 'bots.default.api_url': 'MAX_API_URL',
  'bots.default.updates': 'MAX_UPDATES', 'portals.default.client_id': 'BITRIX24_CLIENT_ID',
  'portals.default.client_secret': 'BITRIX24_CLIENT_SECRET', 'portals.default.line_id': 'BITRIX24_LINE_ID',
};

function setIn(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Json;
  node[path[path.length - 1] as string] = value;
}

function numberOrText(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Adds (or overrides) the bot and portal named "default" from env variables. */
function mergeEnvEntities(raw: Json, env: Env): void {
  if (env.MAX_BOT_TOKEN) {
    const bots = (raw.bots ??= []) as Json[];
    let bot = bots.find((b) => b.id === 'default');
    if (!bot) bots.push((bot = { id: 'default' }));
    bot.token = env.MAX_BOT_TOKEN;
    if (env.MAX_API_URL) bot.api_url = env.MAX_API_URL;
    if (env.MAX_UPDATES) bot.updates = env.MAX_UPDATES;
  }
  if (env.BITRIX24_CLIENT_ID || env.BITRIX24_CLIENT_SECRET) {
    const portals = (raw.portals ??= []) as Json[];
    let portal = portals.find((p) => p.id === 'default');
    if (!portal) portals.push((portal = { id: 'default' }));
    if (env.BITRIX24_CLIENT_ID) portal.client_id = env.BITRIX24_CLIENT_ID;
    if (env.BITRIX24_CLIENT_SECRET) portal.client_secret = env.BITRIX24_CLIENT_SECRET;
    if (env.BITRIX24_LINE_ID) portal.line_id = numberOrText(env.BITRIX24_LINE_ID);
  }
}

function mergeEnv(raw: Json, env: Env): void {
  const scalars: Array<[string, string[], boolean]> = [
    ['PORT', ['server', 'port'], true], ['PUBLIC_URL', ['server', 'public_url'], false], ['DATABASE_URL', ['database', 'url'], false],
    ['BRIDGE_SECRET_KEY', ['security', 'secret_key'], false], ['ADMIN_TOKEN', ['security', 'admin_token'], false],
    ['LOG_LEVEL', ['log_level'], false], ['WORKER_CONCURRENCY', ['workers', 'concurrency'], true],
  ];
  for (const [name, path, numeric] of scalars) {
    const value = env[name];
    if (value !== undefined && value !== '') setIn(raw, path, numeric ? numberOrText(value) : value);
  }
  mergeEnvEntities(raw, env);
}

function lineOf(doc: Document | null, path: PropertyKey[]): string {
  if (!doc) return '';
  const node = doc.getIn(path as unknown[], true);
  const range = isNode(node) ? node.range : undefined;
  if (!range) return '';
  const line = String(doc.toString()).slice(0, range[0]).split('\n').length;
  return ` (line ${line})`;
}

function displayPath(path: PropertyKey[], data: Json): { key: string; envKey: string } {
  const parts: string[] = [];
  const named: string[] = [];
  let node: unknown = data;
  for (const p of path) {
    const child = node && typeof node === 'object' ? (node as Json)[p as string] : undefined;
    if (typeof p === 'number') {
      parts[parts.length - 1] += `[${p}]`;
      named.push(String((child as Json | undefined)?.id ?? p));
    } else {
      parts.push(String(p));
      named.push(String(p));
    }
    node = child;
  }
  return { key: parts.join('.'), envKey: named.join('.') };
}

function formatIssues(issues: z.core.$ZodIssue[], data: Json, doc: Document | null): string[] {
  return issues.map((issue) => {
    const { key, envKey } = displayPath(issue.path, data);
    const env = ENV_KEYS[envKey];
    const where = env ? ` (env ${env})` : lineOf(doc, issue.path);
    return `${key || '(root)'}${where}: ${issue.message}`;
  });
}

function crossChecks(config: BridgeConfigData, env: Env): string[] {
  const errors: string[] = [];
  const bots = new Set(config.bots.map((b) => b.id));
  const portals = new Set(config.portals.map((p) => p.id));
  if (bots.size !== config.bots.length) errors.push('bots: two bots share an id; give each a unique id');
  if (portals.size !== config.portals.length) errors.push('portals: two portals share an id; give each a unique id');
  config.routes.forEach((r, i) => {
    if (r.bot !== '*' && !bots.has(r.bot)) errors.push(`routes[${i}].bot: no bot "${r.bot}"; use a bot id from bots or "*"`);
    if (!portals.has(r.portal)) errors.push(`routes[${i}].portal: no portal "${r.portal}"; use a portal id from portals`);
  });
  if (env.MAX_BOT_TOKEN && !env.BITRIX24_CLIENT_ID && config.portals.length === 0) {
    errors.push('BITRIX24_CLIENT_ID is missing: MAX_BOT_TOKEN is set, so the bridge needs a Bitrix24 app too (or unset MAX_BOT_TOKEN for the sandbox)');
  }
  if (env.BITRIX24_CLIENT_ID && !env.MAX_BOT_TOKEN && config.bots.length === 0) {
    errors.push('MAX_BOT_TOKEN is missing: BITRIX24_CLIENT_ID is set, so the bridge needs a MAX bot too (or unset BITRIX24_CLIENT_ID for the sandbox)');
  }
  return errors;
}

function productionChecks(config: BridgeConfigData): string[] {
  const errors: string[] = [];
  if (config.bots.length === 0) errors.push('bots: no MAX bot configured; set MAX_BOT_TOKEN or add bots to CONFIG_FILE');
  if (config.portals.length === 0) errors.push('portals: no Bitrix24 app configured; set BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET or add portals to CONFIG_FILE');
  if (!config.security.secret_key) errors.push('security.secret_key (env BRIDGE_SECRET_KEY): required to encrypt tokens at rest; make one with `openssl rand -hex 32`');
  if (!config.server.public_url) errors.push('server.public_url (env PUBLIC_URL): required, the https:// address MAX and Bitrix24 reach the bridge at');
  return errors;
}

/** Fills what the schema cannot: per-plan limits and the default route. */
function complete(config: BridgeConfigData): BridgeConfigData {
  const portals = config.portals.map((p) => ({ ...p, limits: p.limits ?? { ...PLAN_LIMITS[p.plan] } }));
  const routes = config.routes.length === 0 && portals.length === 1
    ? [{ bot: '*', portal: portals[0]!.id, line_id: portals[0]!.line_id }]
    : config.routes;
  return { ...config, portals, routes };
}

export function loadConfig(env: Env, readFile: (path: string) => string): LoadResult {
  let raw: Json = {};
  let doc: Document | null = null;
  if (env.CONFIG_FILE) {
    let text: string;
    try {
      text = readFile(env.CONFIG_FILE);
    } catch {
      return { ok: false, errors: [`CONFIG_FILE: cannot read "${env.CONFIG_FILE}"; check the path (see config/example.yaml)`] };
    }
    doc = parseDocument(text);
    if (doc.errors.length > 0) return { ok: false, errors: doc.errors.map((e) => `CONFIG_FILE: YAML error: ${e.message.split('\n')[0]}`) };
    raw = (doc.toJS() as Json | null) ?? {};
  }
  mergeEnv(raw, env);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error.issues, raw, doc) };
  const configured = Boolean(env.MAX_BOT_TOKEN || env.BITRIX24_CLIENT_ID || env.CONFIG_FILE);
  const errors = crossChecks(parsed.data, env);
  if (configured && errors.length === 0) errors.push(...productionChecks(parsed.data));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, mode: configured ? 'production' : 'sandbox', config: complete(parsed.data) };
}
