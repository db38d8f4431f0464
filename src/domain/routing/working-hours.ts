/**
 * Working hours of a route (`when.hours`, `when.outside_hours`): which weekdays, from
 * when to when, in which time zone, and which dates are holidays.
 *
 * Local time comes from Intl (`formatToParts` in the zone), never from a fixed UTC
 * offset, so a zone with daylight saving (Europe/Berlin) keeps 09:00 at 09:00 local
 * across the change; Europe/Moscow, the default, has had none since 2014.
 *
 * A window whose `from` is after its `to` (22:00–06:00) runs overnight and belongs to
 * the day it starts: with days mon-fri, Friday 23:00 and Saturday 03:00 are inside,
 * Monday 03:00 is not (Sunday's night is not a working night). A holiday closes the
 * window that starts on it, the night after included. `to` may be 24:00 (end of the day);
 * `from` equal to `to` is refused, since it could mean either nothing or everything.
 */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
/** Week order, Monday first (ISO 8601). */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** The zone of hours that do not name one: most of our integrators' operators sit in it. */
export const DEFAULT_TIME_ZONE = 'Europe/Moscow';

const MINUTES_PER_HOUR = 60;
const MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR;
const MS_PER_DAY = 86_400_000;

/** The hours as the configuration writes them (src/config/route-schema.ts). */
export interface WorkingHoursSpec {
  /** `mon-fri`, `mon,wed,fri`, `sat-sun`, `fri-mon` (wraps), or a list of those. */
  days: string | string[];
  /** `HH:MM`, 00:00–23:59. */
  from: string;
  /** `HH:MM`, 00:00–24:00; before `from`: an overnight window. */
  to: string;
  /** An IANA zone name; default Europe/Moscow. */
  time_zone?: string;
  /** Local dates `YYYY-MM-DD` on which the hours do not hold. */
  holidays?: string[];
}

export interface WorkingHours {
  /** Unique, in week order. */
  days: Weekday[];
  /** Minutes after local midnight, 0–1439. */
  fromMinuteOfDay: number;
  /** Minutes after local midnight, 1–1440; below `fromMinuteOfDay`: the window ends the next day. */
  toMinuteOfDay: number;
  timeZone: string;
  /** Local dates (`YYYY-MM-DD` in `timeZone`). */
  holidays: string[];
  /** The hours as written, for explanations: `mon-fri 09:00–18:00 Europe/Moscow`. */
  text: string;
}

/** A problem with one key of the hours; `path` is relative to the hours object. */
export interface HoursProblem {
  path: Array<string | number>;
  message: string;
}

export type ParsedHours = { ok: true; hours: WorkingHours } | { ok: false; problems: HoursProblem[] };

const DAYS_FIX = 'write mon, tue, wed, thu, fri, sat or sun, a range such as mon-fri, or a list such as mon,wed,fri';

function dayNamed(name: string): Weekday | null {
  return WEEKDAYS.find((day) => day === name) ?? null;
}

/** One item of `days` ("mon", "mon-fri", "fri-mon") → its weekdays, or a message. */
function daysOfItem(item: string): Weekday[] | string {
  const text = item.trim().toLowerCase();
  const range = /^([a-z]+)\s*-\s*([a-z]+)$/.exec(text);
  const [first, last] = range ? [range[1] ?? '', range[2] ?? ''] : [text, text];
  const start = dayNamed(first);
  const end = dayNamed(last);
  if (text === '') return `an empty day; ${DAYS_FIX}`;
  if (start === null || end === null) return `"${item}" is not a day or a range of days; ${DAYS_FIX}`;
  const out: Weekday[] = [];
  // A range wraps past Sunday: fri-mon is fri, sat, sun, mon.
  for (let i = WEEKDAYS.indexOf(start); ; i = (i + 1) % WEEKDAYS.length) {
    out.push(WEEKDAYS[i] as Weekday);
    if (WEEKDAYS[i] === end) return out;
  }
}

function parseDays(days: string | string[], problems: HoursProblem[]): Weekday[] {
  const items = Array.isArray(days)
    ? days.map((text, i) => ({ text, path: ['days', i] }))
    : days.split(',').map((text) => ({ text, path: ['days'] }));
  const found = new Set<Weekday>();
  if (items.length === 0) problems.push({ path: ['days'], message: `is empty; ${DAYS_FIX}` });
  for (const item of items) {
    const result = daysOfItem(item.text);
    if (typeof result === 'string') problems.push({ path: item.path, message: result });
    else for (const day of result) found.add(day);
  }
  return WEEKDAYS.filter((day) => found.has(day));
}

/** `HH:MM` → minutes after midnight, or null; 24:00 only where `allowEndOfDay`. */
function minuteOfDay(text: string, allowEndOfDay: boolean): number | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const minutes = Number(match[1]) * MINUTES_PER_HOUR + Number(match[2]);
  if (Number(match[2]) >= MINUTES_PER_HOUR) return null;
  return minutes < MINUTES_PER_DAY || (allowEndOfDay && minutes === MINUTES_PER_DAY) ? minutes : null;
}

/** Whether Intl knows the zone (it throws RangeError for one it does not). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Whether `text` is a real calendar date written `YYYY-MM-DD` (2026-02-30 is not). */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Date(ms).toISOString().slice(0, 10) === text;
}

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / MINUTES_PER_HOUR)).padStart(2, '0')}:${String(minutes % MINUTES_PER_HOUR).padStart(2, '0')}`;

/** Checks the hours as written and compiles them; every problem names its key and what to write. */
export function parseWorkingHours(spec: WorkingHoursSpec): ParsedHours {
  const problems: HoursProblem[] = [];
  const days = parseDays(spec.days, problems);
  const from = minuteOfDay(spec.from, false);
  const to = minuteOfDay(spec.to, true);
  if (from === null) problems.push({ path: ['from'], message: `"${spec.from}" is not a start time; write HH:MM from 00:00 to 23:59, e.g. from: "09:00"` });
  if (to === null) problems.push({ path: ['to'], message: `"${spec.to}" is not an end time; write HH:MM from 00:00 to 24:00, e.g. to: "18:00"` });
  if (from !== null && from === to) {
    problems.push({ path: ['to'], message: `equals from (${hhmm(from)}), which would be no time or all day; for the whole day write from: "00:00", to: "24:00"` });
  }
  const timeZone = spec.time_zone ?? DEFAULT_TIME_ZONE;
  if (!isKnownTimeZone(timeZone)) {
    problems.push({ path: ['time_zone'], message: `"${timeZone}" is not a time zone; write an IANA zone name such as Europe/Moscow, Asia/Yekaterinburg or UTC` });
  }
  const holidays = spec.holidays ?? [];
  holidays.forEach((date, i) => {
    if (!isCalendarDate(date)) problems.push({ path: ['holidays', i], message: `"${date}" is not a date; write YYYY-MM-DD in quotes, e.g. "2026-01-01"` });
  });
  if (problems.length > 0 || from === null || to === null) return { ok: false, problems };
  const daysText = Array.isArray(spec.days) ? spec.days.join(',') : spec.days;
  const text = `${daysText} ${hhmm(from)}–${hhmm(to)} ${timeZone}`;
  return { ok: true, hours: { days, fromMinuteOfDay: from, toMinuteOfDay: to, timeZone, holidays: [...new Set(holidays)], text } };
}

/** A moment as a wall clock in a zone shows it. */
export interface LocalMoment {
  /** `YYYY-MM-DD`. */
  date: string;
  weekday: Weekday;
  /** Minutes after local midnight, 0–1439. */
  minuteOfDay: number;
}

// One formatter per zone: building one costs far more than using it.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function weekdayOfDate(date: string): Weekday {
  const sundayFirst = new Date(`${date}T00:00:00Z`).getUTCDay();
  return WEEKDAYS[(sundayFirst + WEEKDAYS.length - 1) % WEEKDAYS.length] as Weekday;
}

/** The local date, weekday and time of `nowMs` in `timeZone`. */
export function localMoment(timeZone: string, nowMs: number): LocalMoment {
  const parts: Record<string, string> = {};
  for (const part of formatterOf(timeZone).formatToParts(nowMs)) parts[part.type] = part.value;
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return { date, weekday: weekdayOfDate(date), minuteOfDay: Number(parts.hour) * MINUTES_PER_HOUR + Number(parts.minute) };
}

function dayBefore(date: string): string {
  return new Date(new Date(`${date}T00:00:00Z`).getTime() - MS_PER_DAY).toISOString().slice(0, 10);
}

export interface HoursVerdict {
  within: boolean;
  local: LocalMoment;
  /** The holiday (`YYYY-MM-DD`) that closed a window which would otherwise hold now; null if none did. */
  closedByHoliday: string | null;
}

/** Whether `nowMs` falls inside the hours, and why (for explanations). */
export function hoursVerdict(hours: WorkingHours, nowMs: number): HoursVerdict {
  const local = localMoment(hours.timeZone, nowMs);
  const { fromMinuteOfDay: from, toMinuteOfDay: to } = hours;
  // The day whose window covers this minute, if any: today's, or (overnight) yesterday's.
  let windowDate: string | null = null;
  if (from < to) {
    if (hours.days.includes(local.weekday) && local.minuteOfDay >= from && local.minuteOfDay < to) windowDate = local.date;
  } else if (local.minuteOfDay >= from && hours.days.includes(local.weekday)) {
    windowDate = local.date;
  } else if (local.minuteOfDay < to) {
    const yesterday = dayBefore(local.date);
    if (hours.days.includes(weekdayOfDate(yesterday))) windowDate = yesterday;
  }
  if (windowDate === null) return { within: false, local, closedByHoliday: null };
  if (hours.holidays.includes(windowDate)) return { within: false, local, closedByHoliday: windowDate };
  return { within: true, local, closedByHoliday: null };
}

export function isWithinHours(hours: WorkingHours, nowMs: number): boolean {
  return hoursVerdict(hours, nowMs).within;
}

/** `2026-03-27 fri 09:30`: a local moment for explanations. */
export function localMomentText(local: LocalMoment): string {
  return `${local.date} ${local.weekday} ${hhmm(local.minuteOfDay)}`;
}
