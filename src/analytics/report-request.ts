/**
 * A report as people ask for it — the CLI's `--from --to --by` and the admin page's
 * `?period=7d&by=bot` (or `period=custom&from=…&to=…`) — checked and turned into a period and a
 * cut. Each problem names the parameter and what it takes. Pure.
 *
 * Times: a date (`2026-12-01`) is that whole local day in `analytics.time_zone` — as `from`
 * its start, as `to` its end (so `--from 2026-12-01 --to 2026-12-07` is seven days); a local
 * time without an offset (`2026-12-01T09:00`) is read in that zone too; ISO 8601 with an
 * offset (`2026-12-01T09:00:00+03:00`, `…Z`) is that instant, `to` exclusive.
 */
import { DIMENSIONS, isDimension, type Dimension } from './dimensions.ts';
import { addDays, type ZonedCalendar } from './zoned-calendar.ts';

export const PERIOD_PRESETS = ['today', '7d', '30d', 'custom'] as const;
export type PeriodPreset = (typeof PERIOD_PRESETS)[number];

/** The longest period one report covers: a year (and a leap day). */
export const MAX_PERIOD_DAYS = 366;
const MS_PER_DAY = 86_400_000;

export interface ReportRequest {
  fromMs: number;
  toMs: number;
  by: Dimension;
  /** The preset chosen, or 'custom' for a period given by from/to. */
  period: PeriodPreset;
}

export type ReportRequestResult = { ok: true; request: ReportRequest } | { ok: false; problems: string[] };

/** The parameters, with what each takes (the CLI's help and the problems quote these). */
export const REPORT_PARAMETERS: Readonly<Record<'from' | 'to' | 'by' | 'period', string>> = {
  from: 'start: a date (2026-12-01, the whole day in analytics.time_zone), a local time 2026-12-01T09:00, or ISO 8601 with an offset (2026-12-01T09:00:00+03:00)',
  to: 'end: the same forms; a date counts to the end of that day, an instant is exclusive; default: now',
  by: `the cut: ${DIMENSIONS.join(', ')} (default day)`,
  period: `today, 7d, 30d (default 7d: today and the 6 days before) or custom (from/to)`,
};

/** `from` or `to` as written → Unix ms in the zone's calendar; null when it is none of the forms. */
export function parseReportTime(text: string, calendar: ZonedCalendar, end: boolean): number | null {
  const trimmed = text.trim();
  const date = /^(\d{4}-\d\d-\d\d)$/.exec(trimmed)?.[1];
  if (date !== undefined) return isDate(date) ? calendar.dayStartMs(end ? addDays(date, 1) : date) : null;
  const local = /^(\d{4}-\d\d-\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?$/.exec(trimmed);
  if (local) {
    const [, day = '', hh = '', mm = '', ss = '0'] = local;
    if (!isDate(day) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) return null;
    return calendar.utcOf(day, Number(hh) * 60 + Number(mm)) + Number(ss) * 1_000;
  }
  if (!/^\d{4}-\d\d-\d\dT.*(Z|[+-]\d\d:?\d\d)$/.test(trimmed)) return null;
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : null;
}

function isDate(text: string): boolean {
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/** The period a preset names at `nowMs`: from the start of the first local day, up to now. */
export function presetRange(preset: Exclude<PeriodPreset, 'custom'>, nowMs: number, calendar: ZonedCalendar): { fromMs: number; toMs: number } {
  const days = preset === 'today' ? 1 : preset === '7d' ? 7 : 30;
  return { fromMs: calendar.dayStartMs(addDays(calendar.at(nowMs).date, 1 - days)), toMs: nowMs };
}

export function parseReportRequest(params: Readonly<Record<string, string | undefined>>, nowMs: number, calendar: ZonedCalendar): ReportRequestResult {
  const problems: string[] = [];
  const { from, to, by = 'day' } = params;
  for (const name of Object.keys(params)) {
    if (params[name] !== undefined && !(name in REPORT_PARAMETERS)) problems.push(`unknown parameter "${name}"; the parameters are ${Object.keys(REPORT_PARAMETERS).join(', ')}`);
  }
  const period = params.period ?? (from !== undefined || to !== undefined ? 'custom' : '7d');
  if (!(PERIOD_PRESETS as readonly string[]).includes(period)) problems.push(`period: "${period.slice(0, 40)}" is not ${REPORT_PARAMETERS.period}`);
  if (!isDimension(by)) problems.push(`by: "${by.slice(0, 40)}" is not ${REPORT_PARAMETERS.by}`);
  let range: { fromMs: number; toMs: number } | null = null;
  if (period === 'custom') {
    const fromMs = from === undefined ? undefined : parseReportTime(from, calendar, false);
    const toMs = to === undefined ? nowMs : parseReportTime(to, calendar, true);
    if (from === undefined) problems.push(`from is required for a custom period: ${REPORT_PARAMETERS.from}`);
    else if (fromMs === null) problems.push(`from: "${from.slice(0, 40)}" is not a ${REPORT_PARAMETERS.from}`);
    if (to !== undefined && toMs === null) problems.push(`to: "${to.slice(0, 40)}" is not an ${REPORT_PARAMETERS.to}`);
    if (typeof fromMs === 'number' && typeof toMs === 'number') {
      if (toMs <= fromMs) problems.push('to must be later than from');
      else if (toMs - fromMs > MAX_PERIOD_DAYS * MS_PER_DAY) problems.push(`the period is longer than ${MAX_PERIOD_DAYS} days; ask for a shorter one (a report per quarter or per month)`);
      else range = { fromMs, toMs };
    }
  } else if ((PERIOD_PRESETS as readonly string[]).includes(period)) {
    if (from !== undefined || to !== undefined) problems.push(`from and to are for period=custom; drop them or drop period=${period}`);
    range = presetRange(period as Exclude<PeriodPreset, 'custom'>, nowMs, calendar);
  }
  if (problems.length > 0 || range === null || !isDimension(by)) return { ok: false, problems };
  return { ok: true, request: { ...range, by, period: period as PeriodPreset } };
}
