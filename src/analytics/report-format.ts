/**
 * A report in words: durations as people read them ("4 мин 30 с"), each cut's row names, and
 * the columns of the report's tables — the same for the CLI's text table (src/cli/report.ts)
 * and the admin page (src/admin/views/analytics.ts). Russian first, English when asked. Pure.
 */
import { NO_VALUE_NAMES, type Dimension } from './dimensions.ts';
import type { AnalyticsReport, Figures, ReportRow } from './report-aggregator.ts';
import type { ZonedCalendar } from './zoned-calendar.ts';

export type ReportLang = 'ru' | 'en';

const UNITS = {
  ru: { s: 'с', min: 'мин', h: 'ч', d: 'д' },
  en: { s: 's', min: 'min', h: 'h', d: 'd' },
} as const;

/** `4 мин 30 с`, `2 ч 15 мин`, `2 д 15 ч` (two units at most); `—` for none. */
export function formatDuration(seconds: number | null, lang: ReportLang): string {
  if (seconds === null) return '—';
  const u = UNITS[lang];
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} ${u.s}`;
  const whole = Math.round(seconds);
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string) => (small > 0 ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`);
  if (whole < 60) return `${whole} ${u.s}`;
  if (whole < 3_600) return pair(Math.floor(whole / 60), u.min, whole % 60, u.s);
  if (whole < 86_400) return pair(Math.floor(whole / 3_600), u.h, Math.floor((whole % 3_600) / 60), u.min);
  return pair(Math.floor(whole / 86_400), u.d, Math.floor((whole % 86_400) / 3_600), u.h);
}

const WEEKDAYS = {
  ru: ['вс', 'пн', 'вт', 'ср', 'чт', 'пт', 'сб'],
  en: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
} as const;

/** How a row of a cut is named: `2026-03-05 чт`, `09:00`, `Анна (7)`, `(без ссылки)`… */
export function rowLabel(dimension: Dimension, row: ReportRow, lang: ReportLang): string {
  if (row.key === null) return NO_VALUE_NAMES[dimension][lang];
  if (dimension === 'day') return `${row.key} ${WEEKDAYS[lang][new Date(`${row.key}T00:00:00Z`).getUTCDay()]}`;
  if (dimension === 'hour') return `${row.key.padStart(2, '0')}:00`;
  if (dimension === 'operator') {
    const byName = row.key.startsWith('name:');
    if (byName) return row.key.slice('name:'.length);
    return row.name ? `${row.name} (${row.key})` : `id ${row.key}`;
  }
  return row.key;
}

export interface ReportColumn {
  key: string;
  ru: string;
  en: string;
  /** The cell's text. */
  text(figures: Figures, lang: ReportLang): string;
  /** Durations and counts align right. */
  numeric: boolean;
}

const count = (v: number | null) => (v === null ? '—' : String(v));

export const REPORT_COLUMNS: readonly ReportColumn[] = [
  { key: 'conversations', ru: 'Диалоги', en: 'Conversations', numeric: true, text: (f) => count(f.conversations) },
  { key: 'in', ru: 'Входящие', en: 'In', numeric: true, text: (f) => count(f.messagesIn) },
  { key: 'out', ru: 'Ответы', en: 'Replies', numeric: true, text: (f) => count(f.repliesOut) },
  { key: 'first_median', ru: '1-й ответ, медиана', en: 'First response, median', numeric: true, text: (f, l) => formatDuration(f.firstResponse.medianSeconds, l) },
  { key: 'first_p90', ru: '1-й ответ, p90', en: 'First response, p90', numeric: true, text: (f, l) => formatDuration(f.firstResponse.p90Seconds, l) },
  { key: 'response_median', ru: 'Ответ, медиана', en: 'Response, median', numeric: true, text: (f, l) => formatDuration(f.response.medianSeconds, l) },
  { key: 'response_p90', ru: 'Ответ, p90', en: 'Response, p90', numeric: true, text: (f, l) => formatDuration(f.response.p90Seconds, l) },
  { key: 'unanswered', ru: 'Без ответа', en: 'Unanswered', numeric: true, text: (f) => count(f.unanswered) },
  { key: 'sla_first', ru: 'SLA 1-го ответа нарушен', en: 'First-response SLA breaches', numeric: true, text: (f) => count(f.slaBreaches.firstResponse) },
  { key: 'sla_response', ru: 'SLA ответа нарушен', en: 'Response SLA breaches', numeric: true, text: (f) => count(f.slaBreaches.response) },
];

/** `2026-03-05 00:00` in the report's zone. */
export function localTimeText(ms: number, calendar: ZonedCalendar): string {
  const local = calendar.at(ms);
  const hh = String(Math.floor(local.minuteOfDay / 60)).padStart(2, '0');
  const mm = String(local.minuteOfDay % 60).padStart(2, '0');
  return `${local.date} ${hh}:${mm}`;
}

/** The summary lines above the tables. */
export function summaryLines(report: AnalyticsReport, workingHoursText: string, calendar: ZonedCalendar, lang: ReportLang): string[] {
  const t = report.total;
  const d = (s: number | null) => formatDuration(s, lang);
  const period = `${localTimeText(report.fromMs, calendar)} — ${localTimeText(report.toMs, calendar)} (${report.timeZone})`;
  if (lang === 'en') {
    return [
      `Report ${period}; working hours ${workingHoursText}; SLA: first response ${d(report.sla.firstResponseSeconds)}, response ${d(report.sla.responseSeconds)}`,
      `Conversations ${t.conversations}, client messages ${t.messagesIn}, operator replies ${t.repliesOut}, unanswered now ${t.unanswered}`,
      `First response: median ${d(t.firstResponse.medianSeconds)}, p90 ${d(t.firstResponse.p90Seconds)} (${t.firstResponse.count}); SLA breaches ${t.slaBreaches.firstResponse}`,
      `Response: median ${d(t.response.medianSeconds)}, p90 ${d(t.response.p90Seconds)} (${t.response.count}); SLA breaches ${t.slaBreaches.response}`,
    ];
  }
  return [
    `Отчёт ${period}; рабочие часы ${workingHoursText}; SLA: первый ответ ${d(report.sla.firstResponseSeconds)}, ответ ${d(report.sla.responseSeconds)}`,
    `Диалогов ${t.conversations}, сообщений клиентов ${t.messagesIn}, ответов операторов ${t.repliesOut}, без ответа сейчас ${t.unanswered}`,
    `Первый ответ: медиана ${d(t.firstResponse.medianSeconds)}, p90 ${d(t.firstResponse.p90Seconds)} (${t.firstResponse.count}); нарушений SLA ${t.slaBreaches.firstResponse}`,
    `Ответ: медиана ${d(t.response.medianSeconds)}, p90 ${d(t.response.p90Seconds)} (${t.response.count}); нарушений SLA ${t.slaBreaches.response}`,
  ];
}

/** A text table: the cut's name column, then REPORT_COLUMNS; numbers aligned right. */
export function textTable(dimension: Dimension, rows: readonly ReportRow[], dimensionName: string, lang: ReportLang): string {
  const header = [dimensionName, ...REPORT_COLUMNS.map((c) => c[lang])];
  const body = rows.map((r) => [rowLabel(dimension, r, lang), ...REPORT_COLUMNS.map((c) => c.text(r.figures, lang))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
