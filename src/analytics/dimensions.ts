/**
 * The cuts of a report (docs/analytics.md, "Cuts"): by the conversation's bot, portal, line,
 * route and deep-link source, by the operator who answered, and by the local day and hour of
 * day. Pure.
 */

export const DIMENSIONS = ['bot', 'portal', 'line', 'operator', 'route', 'source', 'day', 'hour'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Cuts that are the conversation's own (one value per conversation). */
export const CONVERSATION_DIMENSIONS = ['bot', 'portal', 'line', 'route', 'source'] as const satisfies readonly Dimension[];
export type ConversationDimension = (typeof CONVERSATION_DIMENSIONS)[number];

export function isDimension(text: string): text is Dimension {
  return (DIMENSIONS as readonly string[]).includes(text);
}

/** What a report knows of one conversation: its id and its cuts now (null: none). */
export interface ConversationFacts {
  id: string;
  bot: string | null;
  portal: string | null;
  line: string | null;
  route: string | null;
  /** The deep-link payload the client started the bot with (`?start=…`); null: none. */
  source: string | null;
}

/** The name of each cut, Russian and English (table headers, the page's picker). */
export const DIMENSION_NAMES: Readonly<Record<Dimension, { ru: string; en: string }>> = {
  bot: { ru: 'Бот', en: 'Bot' },
  portal: { ru: 'Портал', en: 'Portal' },
  line: { ru: 'Линия', en: 'Line' },
  operator: { ru: 'Оператор', en: 'Operator' },
  route: { ru: 'Маршрут', en: 'Route' },
  source: { ru: 'Источник', en: 'Source' },
  day: { ru: 'День', en: 'Day' },
  hour: { ru: 'Час', en: 'Hour' },
};

/** How a row without a value is named (a conversation routed before routes had names, no deep link, an unknown operator). */
export const NO_VALUE_NAMES: Readonly<Record<Dimension, { ru: string; en: string }>> = {
  bot: { ru: '(неизвестен)', en: '(unknown)' },
  portal: { ru: '(неизвестен)', en: '(unknown)' },
  line: { ru: '(неизвестна)', en: '(unknown)' },
  operator: { ru: '(не записан)', en: '(not recorded)' },
  route: { ru: '(без имени)', en: '(unnamed)' },
  source: { ru: '(без ссылки)', en: '(no deep link)' },
  day: { ru: '—', en: '—' },
  hour: { ru: '—', en: '—' },
};
