/**
 * Whether one route takes a new conversation: every condition it asks is checked (not
 * only up to the first that fails), so an explanation can say of each why it held or
 * not. A condition on something the conversation lacks (no start payload, no text, no
 * language) does not hold: "no payload" is not a payload that matches.
 */
import type { RouteCondition, RouteRule } from './route-rule.ts';
import type { RoutingInput } from './routing-input.ts';
import { foldText, primaryLanguage } from './route-patterns.ts';
import { hoursVerdict, localMomentText, type WorkingHours } from './working-hours.ts';

export interface RouteCheck {
  condition: RouteCondition;
  held: boolean;
  /** One English sentence for logs and the journal. */
  detail: string;
  /**
   * What the conversation had: the bot id, chat type, payload, text (clipped to
   * ACTUAL_MAX_CHARS), language, local time or tags; null when it had none.
   */
  actual: string | null;
  /** What the route asks, as written; for `text_contains` and `tags` that held, the one found. */
  expected: string;
  /** For hours: the holiday that closed a window which would otherwise hold now. */
  closedByHoliday?: string;
}

export interface RouteMatch {
  matched: boolean;
  checks: RouteCheck[];
}

/** A client's text is quoted in explanations up to this many characters (then "…"). */
export const ACTUAL_MAX_CHARS = 60;

export function clipText(text: string): string {
  const chars = [...text];
  return chars.length <= ACTUAL_MAX_CHARS ? text : `${chars.slice(0, ACTUAL_MAX_CHARS - 1).join('')}…`;
}

const quoted = (text: string) => JSON.stringify(text);

function checkBot(bots: RouteRule['bots'], botId: string): RouteCheck {
  if (bots === '*') return { condition: 'bot', held: true, detail: `any bot (${botId})`, actual: botId, expected: '*' };
  const held = bots.includes(botId);
  const expected = bots.join(', ');
  return { condition: 'bot', held, detail: `bot ${botId} is${held ? '' : ' not'} one of ${expected}`, actual: botId, expected };
}

function checkList(condition: 'chat_type' | 'language', label: string, actual: string | null, wanted: string[], held: boolean): RouteCheck {
  const expected = wanted.join(', ');
  if (actual === null) return { condition, held: false, detail: `no ${label} (needs ${expected})`, actual, expected };
  return { condition, held, detail: `${label} ${actual} is${held ? '' : ' not'} one of ${expected}`, actual, expected };
}

function checkPattern(condition: 'start_payload' | 'text', pattern: RegExp, value: string | null): RouteCheck {
  const expected = pattern.source;
  if (value === null) return { condition, held: false, detail: `no ${condition} (needs ${expected})`, actual: null, expected };
  const held = pattern.test(value);
  const actual = clipText(value);
  return { condition, held, detail: `${condition} ${quoted(actual)} ${held ? 'matches' : 'does not match'} ${expected}`, actual, expected };
}

function checkContains(needles: string[], value: string | null): RouteCheck {
  const all = needles.map(quoted).join(', ');
  if (value === null) return { condition: 'text_contains', held: false, detail: `no text (needs one of ${all})`, actual: null, expected: needles.join(', ') };
  const folded = foldText(value);
  const found = needles.find((needle) => folded.includes(foldText(needle)));
  const actual = clipText(value);
  if (found === undefined) {
    return { condition: 'text_contains', held: false, detail: `text ${quoted(actual)} contains none of ${all}`, actual, expected: needles.join(', ') };
  }
  return { condition: 'text_contains', held: true, detail: `text ${quoted(actual)} contains ${quoted(found)}`, actual, expected: found };
}

function checkHours(condition: 'hours' | 'outside_hours', hours: WorkingHours, nowMs: number): RouteCheck {
  const verdict = hoursVerdict(hours, nowMs);
  const held = condition === 'hours' ? verdict.within : !verdict.within;
  const actual = localMomentText(verdict.local);
  const holiday = verdict.closedByHoliday;
  const detail = `${actual} is ${verdict.within ? 'within' : 'outside'} ${hours.text}${holiday ? ` (${holiday} is a holiday)` : ''}`;
  return { condition, held, detail, actual, expected: hours.text, ...(holiday ? { closedByHoliday: holiday } : {}) };
}

/** Any one of the wanted tags among the conversation's, case-insensitively; `expected` names the one found when it held. */
function checkTags(wanted: string[], tags: readonly string[]): RouteCheck {
  const all = wanted.join(', ');
  const actual = tags.length === 0 ? null : tags.join(', ');
  if (actual === null) return { condition: 'tags', held: false, detail: `no tags (needs one of ${all})`, actual, expected: all };
  const have = new Set(tags.map((tag) => tag.toLowerCase()));
  const found = wanted.find((tag) => have.has(tag.toLowerCase()));
  if (found === undefined) return { condition: 'tags', held: false, detail: `tags ${actual} include none of ${all}`, actual, expected: all };
  return { condition: 'tags', held: true, detail: `tags ${actual} include ${found}`, actual, expected: found };
}

export function matchRoute(rule: Pick<RouteRule, 'bots' | 'when'>, input: RoutingInput): RouteMatch {
  const { when } = rule;
  const checks: RouteCheck[] = [checkBot(rule.bots, input.botId)];
  if (when.chatTypes) checks.push(checkList('chat_type', 'chat type', input.chatType, when.chatTypes, when.chatTypes.includes(input.chatType)));
  if (when.startPayload) checks.push(checkPattern('start_payload', when.startPayload, input.startPayload));
  if (when.text) checks.push(checkPattern('text', when.text, input.firstText));
  if (when.textContains) checks.push(checkContains(when.textContains, input.firstText));
  if (when.languages) {
    const language = input.language;
    const held = language !== null && when.languages.some((tag) => primaryLanguage(tag) === primaryLanguage(language));
    checks.push(checkList('language', 'language', language, when.languages, held));
  }
  if (when.hours) checks.push(checkHours('hours', when.hours, input.nowMs));
  if (when.outsideHours) checks.push(checkHours('outside_hours', when.outsideHours, input.nowMs));
  if (when.tags) checks.push(checkTags(when.tags, input.tags ?? []));
  return { matched: checks.every((check) => check.held), checks };
}
