/**
 * `npm run bridge -- route explain`: where a new conversation would go, and why, under
 * the routes of the configuration the bridge would load (CONFIG_FILE and the env, as
 * check-config reads them). Sends nothing and reads no store: every line counts as
 * running and every conversation count as zero (src/bridge/route-explain.ts).
 *
 * Exit 0: a route matched; 1: none did; 2: bad usage or a configuration error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { explainRoute, explanationJson, routingInputOf } from '../bridge/route-explain.ts';
import { formatConfigErrors, formatConfigWarnings, loadConfigFromProcess } from '../config/load-from-process.ts';
import { nearestName } from '../config/nearest-name.ts';
import { normalizeRoutes, type RouteShape } from '../config/route-schema.ts';
import type { DescribeLanguage } from '../domain/routing/describe-decision.ts';
import { isLanguageTag } from '../domain/routing/route-patterns.ts';
import { tagProblem } from '../domain/routing/conversation-tags.ts';
import type { RoutingInput } from '../domain/routing/routing-input.ts';

export const ROUTE_EXPLAIN_USAGE = [
  'Использование / usage:',
  '  npm run bridge -- route explain --update <file.json> [--bot <id>] [--tags a,b] [--at <time>] [--lang en] [--json]',
  '  npm run bridge -- route explain --bot <id> [--text "…"] [--payload "…"] [--chat-type dialog|chat]',
  '                                 [--language ru] [--tags vip,gold] [--at 2026-12-03T20:00:00+03:00] [--lang en] [--json]',
  '',
  'Куда пошёл бы новый диалог и почему, по маршрутам конфигурации (CONFIG_FILE и переменные окружения);',
  'ничего не отправляется, хранилище не читается: все линии считаются работающими, счётчики — нулевыми.',
  '/ Where a new conversation would go, and why, under the configured routes; sends nothing, reads no',
  'store: every line counts as running, every conversation count as zero.',
  '',
  '  --update <file>    обновление MAX, как MAX его присылает (message_created, bot_started, …)',
  '                     / a MAX update as MAX sends it',
  '  --bot <id>         бот из bots; можно не писать, если бот один / a bot id; optional with one bot',
  '  --text "…"         первое сообщение клиента / the first client message',
  '  --payload "…"      payload глубокой ссылки (bot_started) / the deep-link payload',
  '  --chat-type T      dialog (по умолчанию / default) или / or chat',
  '  --language L       язык приложения MAX клиента, например ru / the client\'s MAX app language',
  '  --tags a,b         метки, которые дали бы проверки (when.tags) / tags checks would give (when.tags)',
  '  --at <time>        момент со смещением (по умолчанию время обновления или сейчас)',
  '                     / the moment, with its offset (default: the update\'s time, or now)',
  '  --lang ru|en       язык объяснения (по умолчанию ru) / the explanation\'s language',
  '  --json             { route, target: { portal, line_id }, via, considered }',
  '',
  'Код выхода / exit code: 0 — маршрут найден / a route matched; 1 — нет / none did; 2 — ошибка вызова или',
  'конфигурации / bad usage or configuration.',
].join('\n');

const OPTIONS = {
  update: { type: 'string' },
  bot: { type: 'string' },
  text: { type: 'string' },
  payload: { type: 'string' },
  'chat-type': { type: 'string' },
  language: { type: 'string' },
  tags: { type: 'string' },
  at: { type: 'string' },
  lang: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A usage problem: printed with the usage, exit 2. */
class UsageError extends Error {}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function momentOf(text: string): number {
  const ms = ISO_WITH_OFFSET.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`--at "${text}" is not a moment with its time zone offset; fix: write e.g. --at 2026-12-03T20:00:00+03:00 (Moscow) or --at 2026-12-03T17:00:00Z (UTC)`);
  }
  return ms;
}

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    if (unknown) {
      const near = nearestName(unknown.replace(/^-+/, ''), Object.keys(OPTIONS));
      throw new UsageError(`unknown option ${unknown}; fix: ${near ? `did you mean --${near}?` : 'see the options below'}`);
    }
    throw new UsageError(`${message.replace(/\s*To specify .*$/s, '')}; fix: see the options below`);
  }
}

/** The MAX update in `path`, or a usage error naming what is wrong with the file. */
function readUpdate(path: string): { update: Record<string, unknown>; timestampMs: number | null } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`--update: cannot read "${path}"; fix: give the path of a JSON file holding one MAX update`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--update: "${path}" is not JSON (${error instanceof Error ? error.message : String(error)}); fix: save the update's body exactly as MAX sent it`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json) || typeof (json as Record<string, unknown>).update_type !== 'string') {
    throw new UsageError(`--update: "${path}" is not a MAX update (an object with update_type); fix: save one update, e.g. {"update_type": "message_created", "timestamp": …, "message": {…}}`);
  }
  const update = json as Record<string, unknown>;
  return { update, timestampMs: typeof update.timestamp === 'number' && Number.isFinite(update.timestamp) ? update.timestamp : null };
}

/** `--tags vip,gold`: the tags, each checked as a check's answer would be. */
function tagsOf(value: string | undefined): string[] {
  if (value === undefined) return [];
  const tags = value.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  for (const tag of tags) {
    const problem = tagProblem(tag);
    if (problem !== null) throw new UsageError(`--tags: "${tag}" ${problem}; fix: write tags separated by commas, e.g. --tags vip,gold`);
  }
  return tags;
}

function languageOf(value: string | undefined): DescribeLanguage {
  if (value === undefined || value === 'ru' || value === 'en') return value ?? 'ru';
  throw new UsageError(`--lang "${value}" is not a language of the explanation; fix: write --lang ru (the default) or --lang en`);
}

function inputHeader(input: RoutingInput, lang: DescribeLanguage): string {
  const at = new Date(input.nowMs).toISOString();
  if (lang === 'en') {
    const text = input.firstText === null ? 'no text' : `text ${JSON.stringify(input.firstText)}`;
    const payload = input.startPayload === null ? 'no payload' : `payload ${JSON.stringify(input.startPayload)}`;
    const tags = input.tags && input.tags.length > 0 ? ` · tags ${input.tags.join(', ')}` : '';
    return `New conversation: bot ${input.botId} · ${input.chatType} · ${text} · ${payload} · language ${input.language ?? 'unknown'}${tags} · ${at}`;
  }
  const text = input.firstText === null ? 'текста нет' : `текст «${input.firstText}»`;
  const payload = input.startPayload === null ? 'payload нет' : `payload «${input.startPayload}»`;
  const tags = input.tags && input.tags.length > 0 ? ` · метки ${input.tags.join(', ')}` : '';
  return `Новый диалог: бот ${input.botId} · ${input.chatType} · ${text} · ${payload} · язык ${input.language ?? 'неизвестен'}${tags} · ${at}`;
}

const ASSUMED: Record<DescribeLanguage, string> = {
  ru: '(хранилище не читается: все линии считаются работающими, счётчики диалогов — нулевыми)',
  en: '(the store is not read: every line counts as running, every conversation count as zero)',
};

function explain(args: readonly string[]): number {
  const values = parse(args);
  if (values.help) {
    console.log(ROUTE_EXPLAIN_USAGE);
    return 0;
  }
  const lang = languageOf(values.lang);
  const flags = (['text', 'payload', 'chat-type', 'language'] as const).filter((name) => values[name] !== undefined);
  if (values.update !== undefined && flags.length > 0) {
    throw new UsageError(`--update reads the text, payload, chat type and language from the update, so ${flags.map((f) => `--${f}`).join(', ')} would be ignored; fix: drop ${flags.length === 1 ? 'it' : 'them'}, or drop --update`);
  }
  const chatType = values['chat-type'];
  if (chatType !== undefined && chatType !== 'dialog' && chatType !== 'chat') {
    throw new UsageError(`--chat-type "${chatType}" is not a chat type; fix: write --chat-type dialog (one-to-one with the bot) or --chat-type chat (a group chat)`);
  }
  if (values.language !== undefined && !isLanguageTag(values.language)) {
    throw new UsageError(`--language "${values.language}" is not a language tag; fix: write e.g. --language ru or --language en-US`);
  }
  const tags = tagsOf(values.tags);
  const update = values.update === undefined ? null : readUpdate(values.update);
  const atMs = values.at === undefined ? null : momentOf(values.at);

  const loaded = loadConfigFromProcess();
  if (loaded.warnings.length > 0) console.error(formatConfigWarnings(loaded.warnings));
  if (!loaded.ok) {
    console.error(formatConfigErrors(loaded.errors));
    return 2;
  }
  const botIds = loaded.config.bots.map((bot) => bot.id);
  if (botIds.length === 0) {
    throw new UsageError('the configuration has no bots (it is the sandbox), so there are no routes to explain; fix: set CONFIG_FILE (or MAX_BOT_TOKEN and BITRIX24_CLIENT_ID) as the bridge runs with');
  }
  const botId = values.bot ?? (botIds.length === 1 ? botIds[0] : undefined);
  if (botId === undefined) throw new UsageError(`which bot? fix: add --bot with one of: ${botIds.join(', ')}`);
  if (!botIds.includes(botId)) {
    const near = nearestName(botId, botIds);
    throw new UsageError(`no bot has the id "${botId}"; fix: ${near ? `did you mean --bot ${near}? ` : ''}use one of: ${botIds.join(', ')}`);
  }

  const nowMs = atMs ?? update?.timestampMs ?? Date.now();
  const input: RoutingInput = update
    ? { ...routingInputOf(update.update, botId, nowMs), tags }
    : { botId, chatType: chatType ?? 'dialog', startPayload: values.payload || null, firstText: values.text || null, language: values.language ?? null, nowMs, tags };
  const rules = normalizeRoutes(loaded.config.routes as RouteShape[]);
  const explanation = explainRoute(rules, input, { lang });
  if (values.json) {
    console.log(JSON.stringify(explanationJson(explanation), null, 2));
  } else {
    console.log(inputHeader(input, lang));
    for (const line of explanation.lines) console.log(`  ${line}`);
    const matched = rules.find((rule) => rule.name === explanation.decision?.route);
    if (matched && (matched.to.length > 1 || matched.fallback !== null)) console.log(`  ${ASSUMED[lang]}`);
  }
  return explanation.decision ? 0 : 1;
}

/** Runs `route explain` with its arguments (after "explain"); the exit code. */
export function routeExplain(args: readonly string[]): number {
  try {
    return explain(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`route explain: ${error.message}\n\n${ROUTE_EXPLAIN_USAGE}`);
    return 2;
  }
}
