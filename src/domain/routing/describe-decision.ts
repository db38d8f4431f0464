/**
 * A routing decision in a few human lines, for the journal, the admin UI and
 * `npm run bridge -- route explain`: the routes passed over (each with the first condition that
 * failed), the conditions that took the conversation, and the line chosen (with any
 * paused line passed over and why). Russian first: most operators read it.
 *
 *   маршрут vip: start_payload «vip_42» подходит под ^vip_
 *   линия msk:3 приостановлена (connector inactive) — выбрана запасная spb:2
 */
import type { ConsideredRoute, RouteDecision } from './decide-route.ts';
import type { RouteCheck } from './match-route.ts';
import { targetLabel, type RoutePick, type RouteTarget } from './route-rule.ts';

export type DescribeLanguage = 'ru' | 'en';

interface Words {
  line: (target: RouteTarget) => string;
  check: (check: RouteCheck) => string;
  routeMatched: (route: string, checks: string) => string;
  routeFailed: (route: string, check: string) => string;
  noConditions: string;
  paused: (label: string, reason: string) => string;
  chosen: (label: string, pick: RoutePick | null) => string;
  fallback: (label: string) => string;
  fallbackPausedToo: (reason: string) => string;
  noFallback: (label: string) => string;
}

const ruLine = (t: RouteTarget) => (t.lineId === null ? `${t.portalId} (линия портала)` : targetLabel(t));
const enLine = (t: RouteTarget) => (t.lineId === null ? `${t.portalId} (the portal's line)` : targetLabel(t));

function ruCheck(c: RouteCheck): string {
  const q = (text: string) => `«${text}»`;
  const holiday = c.closedByHoliday ? ` (${c.closedByHoliday} — праздник)` : '';
  switch (c.condition) {
    case 'bot':
      if (c.expected === '*') return `любой бот (${c.actual})`;
      return c.held ? `бот ${c.actual}` : `бот ${c.actual} не из ${c.expected}`;
    case 'chat_type':
      return c.held ? `тип чата ${c.actual}` : `тип чата ${c.actual}, нужен ${c.expected}`;
    case 'start_payload':
    case 'text': {
      const label = c.condition === 'text' ? 'текст' : 'start_payload';
      if (c.actual === null) return `${c.condition === 'text' ? 'текста' : 'start_payload'} нет (нужно ${c.expected})`;
      return `${label} ${q(c.actual)} ${c.held ? 'подходит' : 'не подходит'} под ${c.expected}`;
    }
    case 'text_contains':
      if (c.actual === null) return `текста нет (нужно одно из: ${c.expected})`;
      return c.held ? `текст содержит ${q(c.expected)}` : `текст ${q(c.actual)} не содержит ни одного из: ${c.expected}`;
    case 'language':
      if (c.actual === null) return `язык неизвестен (нужен ${c.expected})`;
      return `язык ${c.actual} ${c.held ? 'из' : 'не из'} ${c.expected}`;
    case 'hours':
    case 'outside_hours': {
      const within = c.condition === 'hours' ? c.held : !c.held;
      return `сейчас ${c.actual} — ${within ? 'в часах' : 'вне часов'} ${c.expected}${holiday}`;
    }
    case 'tags':
      if (c.actual === null) return `меток нет (нужна одна из: ${c.expected})`;
      return c.held ? `метка ${q(c.expected)}` : `метки ${c.actual} — ни одной из: ${c.expected}`;
  }
}

function enCheck(c: RouteCheck): string {
  const q = (text: string) => JSON.stringify(text);
  const holiday = c.closedByHoliday ? ` (${c.closedByHoliday} is a holiday)` : '';
  switch (c.condition) {
    case 'bot':
      if (c.expected === '*') return `any bot (${c.actual})`;
      return c.held ? `bot ${c.actual}` : `bot ${c.actual} is not one of ${c.expected}`;
    case 'chat_type':
      return c.held ? `chat type ${c.actual}` : `chat type ${c.actual}, needs ${c.expected}`;
    case 'start_payload':
    case 'text':
      if (c.actual === null) return `no ${c.condition} (needs ${c.expected})`;
      return `${c.condition} ${q(c.actual)} ${c.held ? 'matches' : 'does not match'} ${c.expected}`;
    case 'text_contains':
      if (c.actual === null) return `no text (needs one of: ${c.expected})`;
      return c.held ? `text contains ${q(c.expected)}` : `text ${q(c.actual)} contains none of: ${c.expected}`;
    case 'language':
      if (c.actual === null) return `language unknown (needs ${c.expected})`;
      return `language ${c.actual} ${c.held ? 'is one of' : 'is not one of'} ${c.expected}`;
    case 'hours':
    case 'outside_hours': {
      const within = c.condition === 'hours' ? c.held : !c.held;
      return `now ${c.actual} — ${within ? 'within' : 'outside'} ${c.expected}${holiday}`;
    }
    case 'tags':
      if (c.actual === null) return `no tags (needs one of: ${c.expected})`;
      return c.held ? `tag ${q(c.expected)}` : `tags ${c.actual} include none of: ${c.expected}`;
  }
}

const PICK_RU: Record<RoutePick, string> = { weight: 'по весам', round_robin: 'по очереди', fewest_open: 'меньше всего открытых' };
const PICK_EN: Record<RoutePick, string> = { weight: 'by weight', round_robin: 'in turn', fewest_open: 'fewest open' };

const WORDS: Record<DescribeLanguage, Words> = {
  ru: {
    line: ruLine,
    check: ruCheck,
    routeMatched: (route, checks) => `маршрут ${route}: ${checks}`,
    routeFailed: (route, check) => `маршрут ${route} не подошёл: ${check}`,
    noConditions: 'без условий (маршрут по умолчанию)',
    paused: (label, reason) => `линия ${label} приостановлена (${reason})`,
    chosen: (label, pick) => `выбрана линия ${label}${pick ? ` (${PICK_RU[pick]})` : ''}`,
    fallback: (label) => `выбрана запасная ${label}`,
    fallbackPausedToo: (reason) => `; она тоже приостановлена (${reason}): сообщения ждут в ней`,
    noFallback: (label) => `запасной нет: сообщения ждут в ${label}`,
  },
  en: {
    line: enLine,
    check: enCheck,
    routeMatched: (route, checks) => `route ${route}: ${checks}`,
    routeFailed: (route, check) => `route ${route} did not match: ${check}`,
    noConditions: 'no conditions (the default route)',
    paused: (label, reason) => `line ${label} is paused (${reason})`,
    chosen: (label, pick) => `line ${label} chosen${pick ? ` (${PICK_EN[pick]})` : ''}`,
    fallback: (label) => `fallback ${label} chosen`,
    fallbackPausedToo: (reason) => `; it is paused too (${reason}): messages wait there`,
    noFallback: (label) => `no fallback: messages wait on ${label}`,
  },
};

function targetLine(decision: RouteDecision, w: Words): string {
  const label = w.line(decision.target);
  let outcome: string;
  if (decision.via === 'fallback') outcome = w.fallback(label) + (decision.pausedReason === null ? '' : w.fallbackPausedToo(decision.pausedReason));
  else if (decision.pausedReason !== null) outcome = w.noFallback(label);
  else outcome = w.chosen(label, decision.via === 'pick' ? decision.pick : null);
  const paused = decision.skipped.map((s) => w.paused(w.line(s.target), s.reason));
  return paused.length === 0 ? outcome : `${paused.join(', ')} — ${outcome}`;
}

export function describeDecision(decision: RouteDecision, lang: DescribeLanguage): string[] {
  return [...describeConsidered(decision.considered, lang), targetLine(decision, WORDS[lang])];
}

/**
 * The routes tried, one line each: for a route passed over the first condition that failed,
 * for the one that matched the conditions that took the conversation. describeDecision's
 * lines without the target; alone, for "no route matched".
 */
export function describeConsidered(considered: readonly ConsideredRoute[], lang: DescribeLanguage): string[] {
  const w = WORDS[lang];
  const lines: string[] = [];
  for (const route of considered) {
    if (!route.matched) {
      const failed = route.checks.find((check) => !check.held);
      if (failed) lines.push(w.routeFailed(route.route, w.check(failed)));
      continue;
    }
    // The bot held for the route to be tried at all; the conditions say why it won.
    const said = route.checks.filter((check) => check.condition !== 'bot');
    lines.push(w.routeMatched(route.route, said.length === 0 ? w.noConditions : said.map(w.check).join('; ')));
  }
  return lines;
}
