/**
 * Loads the configuration from environment variables and, when CONFIG_FILE is
 * set, a YAML file. Pure over its inputs (env object, file reader) so it is
 * tested directly. Precedence: an env variable wins over the same key in the
 * file, the file wins over the default; `${NAME}` in the file reads env NAME.
 * Every problem is reported at once, each naming the key (with its env
 * variable or YAML line) and the fix; values are never echoed.
 *
 * Mode: nothing configured → sandbox (the emulators stand in for MAX and
 * Bitrix24); a bot and a Bitrix24 app → production; one without the other →
 * an error naming what is missing, never a silent sandbox.
 */
import { crossCheck } from './cross-checks.ts';
import { checkRoutes, normalizeRoutes, routesSchema } from './route-schema.ts';
import { ENV_CONFIG_FILE, mergeEnv, unknownEnvWarnings, type Env, type EnvSources, type Json } from './env.ts';
import { interpolateEnv, type Interpolation } from './interpolate.ts';
import { displayKey, formatProblem, problemsFromIssue, type ConfigProblem } from './problem.ts';
import { configSchema, type BridgeConfigData } from './schema.ts';
import { schemaKeyNames } from './schema-keys.ts';
import { isLoopbackHost } from './url-rules.ts';
import { parseYamlSource } from './yaml-source.ts';

export type Mode = 'sandbox' | 'production';

export type LoadResult =
  | { ok: true; mode: Mode; config: BridgeConfigData; warnings: string[] }
  | { ok: false; errors: string[]; warnings: string[] };

export type ReadFile = (path: string) => string;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const count = (value: unknown): number => (Array.isArray(value) ? value.length : 0);

interface FileInput { data: Json; lineOf: (path: readonly PropertyKey[]) => number | undefined }

function readConfigFile(path: string, readFile: ReadFile): FileInput | string[] {
  let text: string;
  try {
    text = readFile(path);
  } catch {
    return [`CONFIG_FILE: cannot read "${path}"; fix: check the path (relative to the working directory) or unset CONFIG_FILE; config/example.yaml is a template`];
  }
  const source = parseYamlSource(text);
  if (source.errors.length > 0) return source.errors;
  if (source.data === null || source.data === undefined) return { data: {}, lineOf: source.lineOf };
  if (!isObject(source.data)) return ['CONFIG_FILE: the file must be a YAML mapping of keys (server:, bots:, …); fix: start from config/example.yaml'];
  return { data: source.data, lineOf: source.lineOf };
}

/** Which side says "configured": a bot, or a Bitrix24 app (portals or app credentials). */
function modeProblems(raw: Json, sources: EnvSources): { configured: boolean; problems: ConfigProblem[] } {
  const app = isObject(raw.bitrix24) ? raw.bitrix24 : {};
  const hasBots = count(raw.bots) > 0;
  const hasApp = count(raw.portals) > 0 || app.client_id !== undefined || app.client_secret !== undefined;
  if (hasBots === hasApp) return { configured: hasBots, problems: [] };
  const botFromEnv = [...sources.values()].includes('MAX_BOT_TOKEN');
  const problem = hasBots
    ? `BITRIX24_CLIENT_ID is missing: ${botFromEnv ? 'MAX_BOT_TOKEN is set' : 'CONFIG_FILE lists bots'}, so the bridge would run for real and needs a Bitrix24 application too; fix: set BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET (or add portals to CONFIG_FILE), or remove the bot to run the sandbox`
    : `MAX_BOT_TOKEN is missing: ${count(raw.portals) > 0 && !sources.has('bitrix24.client_id') ? 'CONFIG_FILE lists portals' : 'BITRIX24_CLIENT_ID is set'}, so the bridge would run for real and needs a MAX bot too; fix: set MAX_BOT_TOKEN (or add bots to CONFIG_FILE), or remove the Bitrix24 settings to run the sandbox`;
  return { configured: true, problems: [{ path: [], problem }] };
}

/** What production needs beyond a valid shape: the secret key and a reachable address. */
function productionProblems(raw: Json): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const security = isObject(raw.security) ? raw.security : {};
  const server = isObject(raw.server) ? raw.server : {};
  if (security.secret_key === undefined) {
    problems.push({ path: ['security', 'secret_key'], problem: 'is required outside the sandbox: it encrypts tokens at rest; fix: make one with `openssl rand -hex 32`, set it as BRIDGE_SECRET_KEY and keep it (stored tokens cannot be read without it)' });
  }
  if (server.public_url === undefined) {
    problems.push({ path: ['server', 'public_url'], problem: 'is required outside the sandbox: MAX and Bitrix24 send webhooks, events and installs there; fix: set PUBLIC_URL to the https:// address of this bridge, e.g. https://bridge.example.ru' });
  }
  return problems;
}

/** MAX delivers webhooks only to https on port 443 with no port in the URL (spec max-bot-api §2.1). */
function webhookAddressProblems(config: BridgeConfigData): ConfigProblem[] {
  const url = config.server.public_url;
  if (url === undefined || !config.bots.some((b) => b.updates === 'webhook')) return [];
  const parsed = new URL(url);
  if (isLoopbackHost(parsed.hostname) || parsed.port === '') return [];
  return [{ path: ['server', 'public_url'], problem: `has port ${parsed.port}, but MAX delivers webhooks only to port 443 with no port in the address; fix: serve the bridge on 443 (e.g. behind a reverse proxy) and drop the port, or use updates: polling` }];
}

/** With the built-in HTTPS on, the bridge's port speaks only HTTPS: an http:// public address would reach nothing. */
function tlsAddressProblems(config: BridgeConfigData): ConfigProblem[] {
  const url = config.server.public_url;
  if (url === undefined || config.server.tls.cert_file === null || !url.startsWith('http:')) return [];
  return [{ path: ['server', 'public_url'], problem: 'is http://, but with server.tls set the bridge\'s port serves HTTPS only; fix: write https:// (or remove server.tls to serve plain HTTP behind a reverse proxy)' }];
}

/**
 * Routes against the bots and portals configured: unknown ids, names twice, no default,
 * unreachable routes. Read from the input, so they are reported beside other keys' errors.
 */
function routeProblems(raw: Json): ConfigProblem[] {
  const idsOf = (value: unknown) => (Array.isArray(value) ? value : [])
    .map((item) => (isObject(item) && typeof item.id === 'string' ? item.id : null)).filter((id): id is string => id !== null);
  const ids = { botIds: idsOf(raw.bots), portalIds: idsOf(raw.portals) };
  const routes = Array.isArray(raw.routes) ? raw.routes : [];
  // One portal and no routes: every bot goes to its line (src/config/schema.ts). The sandbox configures neither.
  if (routes.length === 0) {
    return ids.portalIds.length > 1
      ? [{ path: ['routes'], problem: `${ids.portalIds.length} portals but no routes, so nothing says where conversations go; fix: add routes (- name: default, to: { portal: <portal id>, line_id: <line number> }), see config/example.yaml` }]
      : [];
  }
  const parsed = routesSchema.safeParse(routes);
  // A route of the wrong shape is reported by the schema, with its path.
  if (!parsed.success) return [];
  return checkRoutes(normalizeRoutes(parsed.data), ids).map((p) => ({ path: p.path, problem: p.message }));
}

export function loadConfig(env: Env, readFile: ReadFile): LoadResult {
  const interpolation: Interpolation = { problems: [], referenced: new Set() };
  let file: FileInput = { data: {}, lineOf: () => undefined };
  const configFile = env[ENV_CONFIG_FILE]?.trim();
  if (configFile) {
    const read = readConfigFile(configFile, readFile);
    if (Array.isArray(read)) return { ok: false, errors: read, warnings: unknownEnvWarnings(env) };
    file = { data: interpolateEnv(read.data, env, interpolation) as Json, lineOf: read.lineOf };
  }
  const warnings = unknownEnvWarnings(env, interpolation.referenced);
  const problems = [...interpolation.problems];
  // A key whose ${VAR} is unset is reported once, not again for the placeholder left in it.
  const unresolved = new Set(problems.map((p) => displayKey(p.path)));
  const raw = file.data;
  const envSources = mergeEnv(raw, env);
  const mode = modeProblems(raw, envSources);
  problems.push(...mode.problems);
  const parsed = configSchema.safeParse(raw);
  const knownKeys = schemaKeyNames();
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) => problemsFromIssue(issue, raw, knownKeys));
    problems.push(...issues.filter((p) => !unresolved.has(displayKey(p.path))));
  }
  problems.push(...crossCheck(raw), ...routeProblems(raw));
  if (mode.configured) problems.push(...productionProblems(raw));
  if (parsed.success && mode.configured) problems.push(...webhookAddressProblems(parsed.data));
  if (parsed.success) problems.push(...tlsAddressProblems(parsed.data));
  if (problems.length > 0 || !parsed.success) {
    const context = { envSources, lineOf: file.lineOf, knownKeys };
    return { ok: false, errors: problems.map((p) => formatProblem(p, context)), warnings };
  }
  return { ok: true, mode: mode.configured ? 'production' : 'sandbox', config: parsed.data, warnings };
}
