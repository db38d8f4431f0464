/**
 * `/admin/ui/analytics`: the bridge's own analytics (docs/analytics.md) for a period — today, the
 * last 7 or 30 days, or dates of one's own — in one cut (bot, portal, line, operator, route,
 * deep-link source, day, hour): first response and response times (median, p90), volumes,
 * unanswered conversations, SLA breaches within working hours; charts by day and by hour
 * (uPlot, /admin/assets/analytics.js reading the page's JSON island). The same report as
 * `npm run bridge -- report` (src/analytics/compute-report.ts).
 *
 * Operator names are people's names: a viewer sees them masked, as every name.
 */
import { assetUrl } from '../assets.ts';
import type { ChartData } from '../analytics-charts.ts';
import { computeReport } from '../../analytics/compute-report.ts';
import { DIMENSIONS, DIMENSION_NAMES, type Dimension } from '../../analytics/dimensions.ts';
import type { AnalyticsReport, Figures, ReportRow } from '../../analytics/report-aggregator.ts';
import { formatDuration, localTimeText, REPORT_COLUMNS, rowLabel } from '../../analytics/report-format.ts';
import { parseReportRequest, PERIOD_PRESETS, type ReportRequest } from '../../analytics/report-request.ts';
import { analyticsSettingsOf, workingTimeOf, type AnalyticsSettings } from '../../analytics/report-settings.ts';
import { ZonedCalendar } from '../../analytics/zoned-calendar.ts';
import type { AdminPage, PageContext } from '../page.ts';
import { filtersOf } from '../query-href.ts';
import { renderView } from '../render.ts';
import { ANALYTICS_VIEW } from '../views/analytics.ts';

const PRESET_NAMES = {
  today: { ru: 'Сегодня', en: 'Today' },
  '7d': { ru: '7 дней', en: '7 days' },
  '30d': { ru: '30 дней', en: '30 days' },
  custom: { ru: 'Свой период', en: 'Custom' },
} as const;

const MINUTE_S = 60;

/** A JSON island's text: `<` escaped so no `</script>` can end it early. */
function jsonIsland(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const minutes = (seconds: number | null) => (seconds === null ? null : Math.round((seconds / MINUTE_S) * 10) / 10);

function chartData(ctx: PageContext, report: AnalyticsReport): ChartData {
  const days = report.by.day ?? [];
  const hours = report.by.hour ?? [];
  return {
    labels: {
      in: ctx.t('Сообщения клиентов', 'Client messages'), out: ctx.t('Ответы операторов', 'Operator replies'),
      firstMedian: ctx.t('Первый ответ, медиана', 'First response, median'), median: ctx.t('Ответ, медиана', 'Response, median'),
      p90: ctx.t('Ответ, p90', 'Response, p90'), minutes: ctx.t('минуты', 'minutes'), count: ctx.t('сообщений', 'messages'),
      day: ctx.t('День', 'Day'), hour: ctx.t('Час', 'Hour'),
    },
    days: {
      x: days.map((r) => rowLabel('day', r, ctx.lang).slice(5)), in: days.map((r) => r.figures.messagesIn ?? 0), out: days.map((r) => r.figures.repliesOut),
      firstMedian: days.map((r) => minutes(r.figures.firstResponse.medianSeconds)), median: days.map((r) => minutes(r.figures.response.medianSeconds)),
      p90: days.map((r) => minutes(r.figures.response.p90Seconds)),
    },
    hours: { x: hours.map((r) => String(r.key).padStart(2, '0')), in: hours.map((r) => r.figures.messagesIn ?? 0), out: hours.map((r) => r.figures.repliesOut) },
  };
}

function cards(ctx: PageContext, report: AnalyticsReport) {
  const t = report.total;
  const d = (s: number | null) => formatDuration(s, ctx.lang);
  return [
    { key: 'first-response', label: ctx.t('Первый ответ, медиана', 'First response, median'), big: d(t.firstResponse.medianSeconds),
      detail: ctx.t(`p90 ${d(t.firstResponse.p90Seconds)}; новых диалогов с ответом: ${t.firstResponse.count}`, `p90 ${d(t.firstResponse.p90Seconds)}; new conversations answered: ${t.firstResponse.count}`) },
    { key: 'response', label: ctx.t('Ответ, медиана', 'Response, median'), big: d(t.response.medianSeconds),
      detail: ctx.t(`p90 ${d(t.response.p90Seconds)}; ответов на обращения: ${t.response.count}`, `p90 ${d(t.response.p90Seconds)}; runs answered: ${t.response.count}`) },
    { key: 'volume', label: ctx.t('Сообщения клиентов / ответы операторов', 'Client messages / operator replies'), big: `${t.messagesIn} / ${t.repliesOut}`,
      detail: ctx.t(`диалогов: ${t.conversations}`, `conversations: ${t.conversations}`) },
    { key: 'unanswered', label: ctx.t('Без ответа сейчас', 'Unanswered now'), big: String(t.unanswered),
      detail: ctx.t('диалогов, где последнее сообщение клиента ждёт ответа', 'conversations whose last client message waits for a reply') },
    { key: 'sla', label: ctx.t('Нарушения SLA', 'SLA breaches'), big: `${t.slaBreaches.firstResponse} / ${t.slaBreaches.response}`,
      detail: ctx.t(`первый ответ дольше ${d(report.sla.firstResponseSeconds)} / ответ дольше ${d(report.sla.responseSeconds)} рабочего времени`,
        `first response over ${d(report.sla.firstResponseSeconds)} / response over ${d(report.sla.responseSeconds)} of working time`) },
  ];
}

const cellsOf = (ctx: PageContext, f: Figures) => REPORT_COLUMNS.map((c) => c.text(f, ctx.lang));

function tableOf(ctx: PageContext, dimension: Dimension, rows: readonly ReportRow[], title: string) {
  const label = (r: ReportRow) => {
    const text = rowLabel(dimension, r, ctx.lang);
    // An operator's name is a person's: masked for a viewer (the Bitrix24 user id stays).
    return dimension === 'operator' && r.name ? text.replace(r.name, ctx.mask.name(r.name)) : text;
  };
  return {
    id: `analytics-by-${dimension}`, title, dimensionName: DIMENSION_NAMES[dimension][ctx.lang],
    note: dimension === 'operator' ? ctx.t('Входящие и «без ответа» к оператору не относятся; время ответа — того, кто ответил.', 'Client messages and unanswered are not an operator\'s; a response time is the replying operator\'s.') : null,
    rows: rows.map((r) => ({ label: label(r), cells: cellsOf(ctx, r.figures) })),
  };
}

/** The form's values: the request's (dates shown for a preset too), or what was typed when it did not parse. */
function formOf(request: ReportRequest | null, query: Partial<Record<string, string>>, calendar: ZonedCalendar) {
  if (!request) return { period: query.period ?? '7d', from: query.from ?? '', to: query.to ?? '', by: query.by ?? 'day' };
  const lastDay = calendar.at(Math.max(request.fromMs, request.toMs - 1)).date;
  return { period: request.period, from: calendar.at(request.fromMs).date, to: request.period === 'custom' && query.to === undefined ? '' : lastDay, by: request.by };
}

async function reportOf(ctx: PageContext, request: ReportRequest, settings: AnalyticsSettings) {
  const by = [...new Set<Dimension>([request.by, 'day', 'hour'])];
  const report = await computeReport(ctx.deps.store.analytics, {
    fromMs: request.fromMs, toMs: request.toMs, nowMs: ctx.nowMs, by, workingTime: workingTimeOf(settings), sla: settings.sla,
  });
  const calendar = new ZonedCalendar(settings.timeZone);
  const tables = [tableOf(ctx, request.by, report.by[request.by] ?? [], ctx.t(`По разрезу «${DIMENSION_NAMES[request.by].ru}»`, `By ${DIMENSION_NAMES[request.by].en.toLowerCase()}`))];
  if (request.by !== 'day') tables.push(tableOf(ctx, 'day', report.by.day ?? [], ctx.t('По дням', 'By day')));
  if (request.by !== 'hour') tables.push(tableOf(ctx, 'hour', report.by.hour ?? [], ctx.t('По часам суток', 'By hour of day')));
  return {
    periodText: `${ctx.t('Период', 'Period')}: ${localTimeText(report.fromMs, calendar)} — ${localTimeText(report.toMs, calendar)} (${report.timeZone})`,
    settingsText: ctx.t(`Рабочие часы: ${settings.workingHours.text}; цели SLA: первый ответ ${formatDuration(report.sla.firstResponseSeconds, 'ru')}, ответ ${formatDuration(report.sla.responseSeconds, 'ru')} (analytics в настройках).`,
      `Working hours: ${settings.workingHours.text}; SLA targets: first response ${formatDuration(report.sla.firstResponseSeconds, 'en')}, response ${formatDuration(report.sla.responseSeconds, 'en')} (analytics in the configuration).`),
    timeZone: report.timeZone, cards: cards(ctx, report), chartJson: jsonIsland(chartData(ctx, report)),
    columns: REPORT_COLUMNS.map((c) => c[ctx.lang]), totalCells: cellsOf(ctx, report.total), tables,
  };
}

export const analyticsPage: AdminPage = {
  path: 'analytics',
  nav: { ru: 'Аналитика', en: 'Analytics', order: 50 },
  async get(ctx) {
    const settings = analyticsSettingsOf(ctx.deps.config().analytics);
    const calendar = new ZonedCalendar(settings.timeZone);
    const query = filtersOf(ctx.query, ['period', 'from', 'to', 'by'] as const, 40);
    // A preset ignores the date fields (the form sends them always); dates without a period are a custom period.
    const params = query.period !== undefined && query.period !== 'custom' ? { period: query.period, by: query.by } : query;
    const parsed = parseReportRequest(params, ctx.nowMs, calendar);
    const request = parsed.ok ? parsed.request : null;
    const html = renderView(ANALYTICS_VIEW, {
      t: ctx.t,
      periods: PERIOD_PRESETS.map((p) => ({ value: p, label: PRESET_NAMES[p][ctx.lang] })),
      dimensions: DIMENSIONS.map((d) => ({ value: d, label: DIMENSION_NAMES[d][ctx.lang] })),
      form: formOf(request, query, calendar),
      problems: parsed.ok ? [] : parsed.problems,
      report: request ? await reportOf(ctx, request, settings) : null,
      assets: { uplotJs: assetUrl('uplot.js'), uplotCss: assetUrl('uplot.css'), chartsJs: assetUrl('analytics.js') },
    });
    const title = ctx.t('Аналитика', 'Analytics');
    return parsed.ok ? { title, html } : { status: 400, result: { title, html } };
  },
};

