/**
 * `npm run bridge -- report [--period today|7d|30d] [--from <time>] [--to <time>]
 * [--by bot|portal|line|operator|route|source|day|hour] [--json] [--lang ru|en]`: the
 * analytics report of a period from the store the configuration names (docs/analytics.md):
 * first response and response times (median, p90), volumes, unanswered conversations, SLA
 * breaches within working hours, in one cut. A table in Russian by default; --json prints the
 * report as one JSON object (src/analytics/report-aggregator.ts, AnalyticsReport).
 *
 * Exit 0: done (also for an empty period); 1: reading failed; 2: bad usage or a configuration
 * error (nothing is opened).
 */
import { parseArgs } from 'node:util';
import { computeReport } from '../analytics/compute-report.ts';
import { DIMENSION_NAMES } from '../analytics/dimensions.ts';
import { parseReportRequest, REPORT_PARAMETERS } from '../analytics/report-request.ts';
import { summaryLines, textTable, type ReportLang } from '../analytics/report-format.ts';
import { analyticsSettingsOf, workingTimeOf } from '../analytics/report-settings.ts';
import { ZonedCalendar } from '../analytics/zoned-calendar.ts';
import { formatConfigErrors, loadConfigFromProcess } from '../config/load-from-process.ts';
import { openCliStore } from './cli-store.ts';

export const REPORT_USAGE = [
  'Использование / usage:',
  '  npm run bridge -- report [--period today|7d|30d] [--from <time>] [--to <time>] [--by <cut>] [--json] [--lang ru|en]',
  '    аналитика за период: время первого ответа и ответа (медиана, p90), объёмы, диалоги без ответа, нарушения SLA',
  '    / the analytics of a period: first response and response times, volumes, unanswered conversations, SLA breaches',
  '',
  'Параметры / options:',
  `  --period   ${REPORT_PARAMETERS.period}`,
  `  --from     ${REPORT_PARAMETERS.from}`,
  `  --to       ${REPORT_PARAMETERS.to}`,
  `  --by       ${REPORT_PARAMETERS.by}`,
  '  --json     отчёт одним JSON-объектом / the report as one JSON object',
  '  --lang     ru (по умолчанию / default) или en',
  '',
  'Exit 0: done; 1: reading failed; 2: usage or configuration. docs/analytics.md defines each figure.',
].join('\n');

function fail(message: string): number {
  console.error(`report: ${message}\n\n${REPORT_USAGE}`);
  return 2;
}

export async function reportCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args, strict: true, allowPositionals: false,
      options: {
        period: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, by: { type: 'string' },
        json: { type: 'boolean', default: false }, lang: { type: 'string', default: 'ru' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return fail(`${err instanceof Error ? err.message : String(err)}; fix: use the options below`);
  }
  if (values.help) {
    console.log(REPORT_USAGE);
    return 0;
  }
  if (values.lang !== 'ru' && values.lang !== 'en') return fail(`--lang ${values.lang}: must be ru or en`);
  const lang: ReportLang = values.lang;
  const loaded = loadConfigFromProcess();
  if (!loaded.ok) {
    console.error(formatConfigErrors(loaded.errors));
    return 2;
  }
  const settings = analyticsSettingsOf(loaded.config.analytics);
  const calendar = new ZonedCalendar(settings.timeZone);
  const parsed = parseReportRequest({ period: values.period, from: values.from, to: values.to, by: values.by }, Date.now(), calendar);
  if (!parsed.ok) return fail(`${parsed.problems.map((p) => p.replace(/^(from|to|by|period)\b/, '--$1')).join('; ')}`);
  const { request } = parsed;
  const opened = await openCliStore('report');
  if (!opened.ok) return opened.exitCode;
  try {
    const report = await computeReport(opened.store.analytics, {
      fromMs: request.fromMs, toMs: request.toMs, nowMs: Date.now(), by: [request.by], workingTime: workingTimeOf(settings), sla: settings.sla,
    });
    if (values.json) {
      console.log(JSON.stringify({ ...report, from: new Date(report.fromMs).toISOString(), to: new Date(report.toMs).toISOString(), workingHours: settings.workingHours.text }));
      return 0;
    }
    const rows = report.by[request.by] ?? [];
    console.log([
      ...summaryLines(report, settings.workingHours.text, calendar, lang),
      '',
      rows.length > 0 ? textTable(request.by, rows, DIMENSION_NAMES[request.by][lang], lang) : lang === 'ru' ? 'За период данных нет.' : 'Nothing in this period.',
    ].join('\n'));
    return 0;
  } catch (err) {
    console.error(`report: чтение не удалось / reading failed: ${err instanceof Error ? err.message : String(err)}; fix: check that the database answers (npm run bridge -- check-config), then run it again`);
    return 1;
  } finally {
    await opened.store.close();
  }
}
