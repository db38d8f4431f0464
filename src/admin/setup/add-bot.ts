/**
 * Adding a bot from the Setup page: the pasted token is checked against MAX (`GET /me`), then
 * the bot is written where the configuration lives and applied without a restart when it can be.
 *
 * - CONFIG_FILE the bridge may write: the bot is appended to `bots:` (comments and order kept,
 *   config-yaml.ts) with its token as `${MAX_BOT_TOKEN_<ID>}`, never the value; the new file is
 *   loaded first exactly as a reload would load it (a file that would be refused is not
 *   written); the token is put in the running process's environment and the configuration
 *   reloaded (as SIGHUP does), so the bot works now — a webhook bot is subscribed by the same
 *   code the periodic maintenance uses. The operator adds the variable to the environment for
 *   the next restart.
 * - CONFIG_FILE read-only: the YAML item to paste under `bots:` and the variable are shown (the
 *   token is already in the running process's environment, so an edited file reloads live).
 * - Environment variables only: the YAML of a new CONFIG_FILE is shown; a restart is needed.
 *
 * The token never leaves this function but to MAX and the process environment: not in the
 * outcome (so not in the page), not in the log, not in the journal (the client redacts it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { botSchema, type BridgeConfigData } from '../../config/schema.ts';
import { ensureSubscription } from '../../bridge/maintenance.ts';
import { codeOf } from '../../log/logger.ts';
import type { AdminUiDeps } from '../deps.ts';
import { checkBotToken, type MaxBotIdentity } from './bot-token-check.ts';
import { configPlaceOf, tokenVariableFor } from './config-place.ts';
import { botYamlFile, botYamlItem, withBotAdded, type BotEntry } from './config-yaml.ts';
import type { AdminSetupDeps } from './setup-deps.ts';

export interface AddBotInput {
  id: string;
  token: string;
  updates: string;
}

export type AddBotField = 'id' | 'token' | 'updates';

export type SubscriptionState =
  /** Made now, or found in place (the reload's maintenance made it first). */
  | { state: 'subscribed'; url: string }
  /** Made when the bridge loads the bot (after the file is edited and reloaded, or a restart). */
  | { state: 'later' }
  | { state: 'failed'; code: string }
  /** A polling bot needs none. */
  | { state: 'polling' };

export type AddBotOutcome =
  | { kind: 'invalid'; field: AddBotField }
  | { kind: 'exists'; botId: string }
  /** The same token is configured for another bot. */
  | { kind: 'token-in-use'; botId: string }
  /** A webhook bot needs what the bridge derives its webhook secret from, and an address MAX can reach. */
  | { kind: 'webhook-impossible'; missing: 'secret_key' | 'public_url' }
  | { kind: 'rejected' }
  | { kind: 'unreachable'; host: string; code: string }
  | { kind: 'failed'; code: string }
  /** The file with the bot added would not load (or could not be read): nothing written. */
  | { kind: 'config-refused'; errors: string[] }
  | {
    kind: 'added';
    botId: string;
    bot: MaxBotIdentity;
    updates: 'webhook' | 'polling';
    tokenVariable: string;
    /** The file the bot was written to, or null when the YAML is to be pasted. */
    writtenTo: string | null;
    /** What to paste: an item under `bots:` of this file, or a whole new CONFIG_FILE. */
    paste: { yaml: string; into: { file: string } | 'new-file' } | null;
    /** `live`: running now; `after-edit`: once the file is edited (reloaded by itself); `restart`: after a restart. */
    applied: 'live' | 'after-edit' | 'restart';
    /** When the reload refused the configuration (the running one stays). */
    reloadErrors: string[];
    subscription: SubscriptionState;
  };

type Deps = Pick<AdminUiDeps, 'store' | 'config' | 'log'> & { setup: AdminSetupDeps };

/** One addition at a time: two admins adding bots at once must not write the file over each other. */
let serial: Promise<unknown> = Promise.resolve();

export function addBot(deps: Deps, input: AddBotInput, by: string): Promise<AddBotOutcome> {
  const run = serial.then(() => addBotNow(deps, input, by));
  serial = run.catch(() => undefined);
  return run;
}

function validated(input: AddBotInput): { id: string; token: string; updates: 'webhook' | 'polling' } | AddBotField {
  const id = input.id.trim();
  const token = input.token.trim();
  if (!botSchema.shape.id.safeParse(id).success) return 'id';
  // A token is one word of printable characters (MAX's are 60-odd letters, digits, - and _).
  if (!botSchema.shape.token.safeParse(token).success || !/^[\x21-\x7e]+$/.test(token)) return 'token';
  if (input.updates !== 'webhook' && input.updates !== 'polling') return 'updates';
  return { id, token, updates: input.updates };
}

async function addBotNow(deps: Deps, input: AddBotInput, by: string): Promise<AddBotOutcome> {
  const valid = validated(input);
  if (typeof valid === 'string') return { kind: 'invalid', field: valid };
  const { id, token, updates } = valid;
  const config = deps.config();
  if (config.bots.some((b) => b.id === id)) return { kind: 'exists', botId: id };
  const twin = config.bots.find((b) => b.token === token);
  if (twin) return { kind: 'token-in-use', botId: twin.id };
  if (updates === 'webhook') {
    if (!(config.security.previous_secret_keys?.at(-1) ?? config.security.secret_key)) return { kind: 'webhook-impossible', missing: 'secret_key' };
    if (!config.server.public_url) return { kind: 'webhook-impossible', missing: 'public_url' };
  }
  const apiUrl = apiUrlForNewBot(config);
  const checked = await checkBotToken(deps.setup.maxClient({ id, token, apiUrl }));
  if (!checked.ok) {
    deps.log.info({ botId: id, by, outcome: checked.kind }, 'a bot token pasted on the Setup page was refused');
    if (checked.kind === 'rejected') return { kind: 'rejected' };
    if (checked.kind === 'unreachable') return { kind: 'unreachable', host: new URL(apiUrl).host, code: checked.code };
    return { kind: 'failed', code: checked.code };
  }
  const place = configPlaceOf(deps.setup.configFile);
  const env = deps.setup.env;
  let fileText = '';
  if (place.kind === 'file') {
    try {
      fileText = readFileSync(place.path, 'utf8');
    } catch (err) {
      return { kind: 'config-refused', errors: [`CONFIG_FILE: cannot read it (${codeOf(err)})`] };
    }
  }
  const tokenVariable = tokenVariableFor(id, token, env, fileText);
  const entry: BotEntry = { id, tokenVariable, updates, ...(apiUrl !== config.max.api_url ? { apiUrl } : {}) };
  const added = { kind: 'added' as const, botId: id, bot: checked.bot, updates, tokenVariable, reloadErrors: [] as string[] };
  if (place.kind === 'file' && place.writable) {
    const written = await writeBot(deps, place.path, fileText, entry, token);
    if (written.kind === 'refused') return { kind: 'config-refused', errors: written.errors };
    if (written.kind === 'written') {
      deps.log.info({ botId: id, by, file: place.path, tokenVariable }, 'a bot was added to CONFIG_FILE from the Setup page');
      const applied = await applyLive(deps, id);
      const subscription: SubscriptionState = updates === 'polling' ? { state: 'polling' }
        : applied.live ? await subscribe(deps, id, token) : { state: 'later' };
      return { ...added, writtenTo: place.path, paste: null, applied: applied.live ? 'live' : 'restart', reloadErrors: applied.errors, subscription };
    }
    // Not writable after all (a read-only mount): shown to paste, as below.
  }
  if (place.kind === 'file') {
    // The variable is there for the reload the operator's edit of the file starts.
    env[tokenVariable] = token;
    deps.log.info({ botId: id, by, tokenVariable }, 'a bot was checked on the Setup page; CONFIG_FILE is read-only, its YAML is shown to paste');
    return {
      ...added, writtenTo: null, paste: { yaml: botYamlItem(entry), into: { file: place.path } },
      applied: deps.setup.reloadConfig ? 'after-edit' : 'restart', subscription: updates === 'polling' ? { state: 'polling' } : { state: 'later' },
    };
  }
  deps.log.info({ botId: id, by, tokenVariable }, 'a bot was checked on the Setup page; no CONFIG_FILE, the YAML of one is shown');
  return {
    ...added, writtenTo: null, paste: { yaml: botYamlFile(entry), into: 'new-file' },
    applied: 'restart', subscription: updates === 'polling' ? { state: 'polling' } : { state: 'later' },
  };
}

/**
 * Where a new bot reaches MAX: `max.api_url`, unless every configured bot sets one other address
 * of its own (the sandbox's emulator, a proxy): the new bot then goes the same way, written in its entry.
 */
export function apiUrlForNewBot(config: BridgeConfigData): string {
  const own = new Set(config.bots.map((b) => b.api_url));
  const [only] = own;
  return own.size === 1 && only !== undefined ? only : config.max.api_url;
}

type WriteResult = { kind: 'written' } | { kind: 'refused'; errors: string[] } | { kind: 'not-writable' };

/** The file with the bot, loaded as a reload would load it, then written; the token goes to the environment. */
async function writeBot(deps: Deps, path: string, fileText: string, entry: BotEntry, token: string): Promise<WriteResult> {
  const env = deps.setup.env;
  let next: string;
  try {
    next = withBotAdded(fileText, entry);
  } catch (err) {
    return { kind: 'refused', errors: [err instanceof Error ? err.message : String(err)] };
  }
  const trial = loadConfig({ ...env, CONFIG_FILE: path, [entry.tokenVariable]: token }, (p) => (resolve(p) === path ? next : readFileSync(p, 'utf8')));
  if (!trial.ok) return { kind: 'refused', errors: trial.errors };
  if (!trial.config.bots.some((b) => b.id === entry.id)) return { kind: 'refused', errors: [`bots: the bot "${entry.id}" is not in the file's configuration after adding it`] };
  // Before the file: a reload started by the file's change (the watcher) must find the variable.
  env[entry.tokenVariable] = token;
  try {
    writeFileSync(path, next);
  } catch (err) {
    deps.log.warn({ err, code: codeOf(err), file: path }, 'CONFIG_FILE could not be written from the Setup page; its YAML is shown to paste');
    return { kind: 'not-writable' };
  }
  return { kind: 'written' };
}

/** Reloads the configuration now (as SIGHUP does); live when the bot is then in force. */
async function applyLive(deps: Deps, botId: string): Promise<{ live: boolean; errors: string[] }> {
  const reload = deps.setup.reloadConfig;
  if (!reload) return { live: false, errors: [] };
  try {
    const result = await reload('a bot added on the Setup page');
    if (!result.applied) return { live: false, errors: result.errors };
  } catch (err) {
    return { live: false, errors: [`reloading the configuration failed: ${codeOf(err)}`] };
  }
  return { live: deps.config().bots.some((b) => b.id === botId), errors: [] };
}

/** The bot's webhook subscription, with the secret the running configuration gives it (derived from the secret key). */
async function subscribe(deps: Deps, botId: string, token: string): Promise<SubscriptionState> {
  const bot = deps.config().bots.find((b) => b.id === botId);
  if (!bot?.webhook_secret) return { state: 'later' };
  try {
    const result = await ensureSubscription(
      { store: deps.store, publicUrl: deps.setup.publicUrl(), updateTypes: [...deps.setup.updateTypes] },
      { id: botId, secret: bot.webhook_secret, client: deps.setup.maxClient({ id: botId, token, apiUrl: bot.api_url }) },
    );
    return { state: 'subscribed', url: result.url };
  } catch (err) {
    deps.log.warn({ err, code: codeOf(err), botId }, 'subscribing the bot added on the Setup page failed; the maintenance tries again');
    return { state: 'failed', code: codeOf(err) };
  }
}
