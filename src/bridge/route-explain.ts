/**
 * "Where would this update go, and why": a MAX update as the routing engine would see it
 * as the first event of a new conversation, and the engine's decision in human lines.
 * Pure over the routes: nothing is read from the store and nothing is sent, so by
 * default every line counts as running and every conversation count as zero (the
 * caller may pass its own). `npm run bridge -- route explain` prints it (src/cli/route-explain.ts).
 */
import { decideRoute, type ConsideredRoute, type RouteDecision } from '../domain/routing/decide-route.ts';
import { describeConsidered, describeDecision, type DescribeLanguage } from '../domain/routing/describe-decision.ts';
import { matchRoute } from '../domain/routing/match-route.ts';
import type { PauseCheck, TargetStats } from '../domain/routing/pick-target.ts';
import type { ChatType, RouteRule } from '../domain/routing/route-rule.ts';
import type { RoutingInput } from '../domain/routing/routing-input.ts';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const objectAt = (value: unknown, key: string): Json | null => (isObject(value) && isObject(value[key]) ? value[key] : null);
/** Text, or null when absent, not text, or empty ("" is no payload, no text, no language). */
const textAt = (value: unknown, key: string): string | null => {
  const text = isObject(value) ? value[key] : undefined;
  return typeof text === 'string' && text !== '' ? text : null;
};

/** MAX's chat types as routes tell them apart; a channel is not one-to-one, so it counts as a chat. */
function chatTypeOf(maxChatType: string | null): ChatType | null {
  if (maxChatType === 'dialog') return 'dialog';
  return maxChatType === 'chat' || maxChatType === 'channel' ? 'chat' : null;
}

/** Updates that only happen in a group chat (spec max-bot-api §5); the rest say nothing, and a dialog is the common case. */
const GROUP_UPDATES: ReadonlySet<string> = new Set([
  'bot_added', 'bot_removed', 'user_added', 'user_removed', 'chat_title_changed', 'bot_admin_permissions_changed',
]);

/**
 * The routing input of a MAX update (spec max-bot-api §5) for `botId` at `nowMs`:
 * - `message_created`: the chat type of `message.recipient`, the text of `message.body`;
 * - `bot_started`: its deep-link `payload`, in a dialog (bot_started comes from one);
 * - `message_chat_created` (legacy): its `start_payload` and the type of its `chat`;
 * - any other: the chat type its message or chat carries (a group-only update: chat;
 *   nothing said: dialog), no text, no payload.
 * `user_locale`, where MAX sends it, is the language. A malformed update reads as a
 * dialog with nothing known, never an error: the caller checks the shape it needs.
 */
export function routingInputOf(update: unknown, botId: string, nowMs: number): RoutingInput {
  const type = textAt(update, 'update_type') ?? '';
  const message = objectAt(update, 'message');
  let chatType = chatTypeOf(textAt(objectAt(message, 'recipient'), 'chat_type'));
  let firstText: string | null = null;
  let startPayload: string | null = null;
  if (type === 'message_created') firstText = textAt(objectAt(message, 'body'), 'text');
  else if (type === 'bot_started') {
    startPayload = textAt(update, 'payload');
    chatType = 'dialog';
  } else if (type === 'message_chat_created') {
    startPayload = textAt(update, 'start_payload');
    chatType = chatTypeOf(textAt(objectAt(update, 'chat'), 'type'));
  }
  chatType ??= GROUP_UPDATES.has(type) ? 'chat' : 'dialog';
  return { botId, chatType, startPayload, firstText, language: textAt(update, 'user_locale'), nowMs };
}

export interface ExplainOptions {
  /** Conversation counts per target; default: zero everywhere (as for a route's first conversation). */
  stats?: TargetStats;
  /** Which targets are paused; default: none. */
  isPaused?: PauseCheck;
  lang: DescribeLanguage;
}

export interface RouteExplanation {
  /** Null when no route matched. */
  decision: RouteDecision | null;
  /** Every route tried, in order (all of them when none matched). */
  considered: ConsideredRoute[];
  /** The decision in human lines, in `lang`. */
  lines: string[];
}

export const ZERO_STATS: TargetStats = { assigned: () => 0, open: () => 0 };
export const NOTHING_PAUSED: PauseCheck = () => null;

const NO_ROUTE: Record<DescribeLanguage, (input: RoutingInput, routeCount: number) => string> = {
  ru: (input, n) => (n === 0
    ? 'маршрутов нет: диалогу некуда идти'
    : `ни один маршрут не подошёл для бота ${input.botId}: диалогу некуда идти (нужен маршрут без when)`),
  en: (input, n) => (n === 0
    ? 'there are no routes: the conversation has nowhere to go'
    : `no route matched for bot ${input.botId}: the conversation has nowhere to go (a route without when is needed)`),
};

/** Where a new conversation with `input` would go among `rules`, and why (decideRoute + describeDecision). */
export function explainRoute(rules: readonly RouteRule[], input: RoutingInput, opts: ExplainOptions): RouteExplanation {
  const decision = decideRoute(rules, input, opts.stats ?? ZERO_STATS, opts.isPaused ?? NOTHING_PAUSED);
  if (decision) return { decision, considered: decision.considered, lines: describeDecision(decision, opts.lang) };
  const considered = rules.map((rule) => ({ route: rule.name, ...matchRoute(rule, input) }));
  return { decision: null, considered, lines: [...describeConsidered(considered, opts.lang), NO_ROUTE[opts.lang](input, rules.length)] };
}

/** The explanation as `route explain --json` prints it; every field null when no route matched. */
export function explanationJson(explanation: RouteExplanation): {
  route: string | null;
  target: { portal: string; line_id: number | null } | null;
  via: RouteDecision['via'] | null;
  considered: ConsideredRoute[];
} {
  const { decision, considered } = explanation;
  return {
    route: decision?.route ?? null,
    target: decision ? { portal: decision.target.portalId, line_id: decision.target.lineId } : null,
    via: decision?.via ?? null,
    considered,
  };
}
