/**
 * How much of a wait fell within working hours (`analytics.working_hours`): the SLA counts
 * only that. A client message at 17:55 on a Friday answered at 09:10 on Monday (mon-fri
 * 09:00–18:00) waited 5 + 10 = 15 minutes of working time. Pure.
 *
 * Each local day's window is the hours' `from`–`to` on that date (the next day's `to` for an
 * overnight window, which belongs to the day it starts, as in the routes' hours), none on a
 * day not listed or a holiday. Windows are cached per date: a report touches a few hundred.
 */
import { WEEKDAYS, type WorkingHours } from '../domain/routing/working-hours.ts';
import { addDays, ZonedCalendar } from './zoned-calendar.ts';

const MINUTES_PER_DAY = 1_440;

function weekdayOf(date: string): (typeof WEEKDAYS)[number] {
  const sundayFirst = new Date(`${date}T00:00:00Z`).getUTCDay();
  return WEEKDAYS[(sundayFirst + WEEKDAYS.length - 1) % WEEKDAYS.length] as (typeof WEEKDAYS)[number];
}

export class WorkingTime {
  private readonly windows = new Map<string, readonly [number, number] | null>();
  readonly calendar: ZonedCalendar;

  constructor(private readonly hours: WorkingHours) {
    this.calendar = new ZonedCalendar(hours.timeZone);
  }

  /** The working window that starts on local date `date` ([start, end) in Unix ms), or null. */
  windowOf(date: string): readonly [number, number] | null {
    const cached = this.windows.get(date);
    if (cached !== undefined) return cached;
    const { days, holidays, fromMinuteOfDay: from, toMinuteOfDay: to } = this.hours;
    const open = days.includes(weekdayOf(date)) && !holidays.includes(date);
    const window = open ? [this.calendar.utcOf(date, from), this.calendar.utcOf(date, from < to ? to : MINUTES_PER_DAY + to)] as const : null;
    this.windows.set(date, window);
    return window;
  }

  /** Milliseconds of working time within [startMs, endMs); 0 when end is not after start. */
  between(startMs: number, endMs: number): number {
    if (endMs <= startMs) return 0;
    const last = this.calendar.at(endMs).date;
    let total = 0;
    // From the day before: an overnight window started yesterday may cover the start.
    for (let date = addDays(this.calendar.at(startMs).date, -1); date <= last; date = addDays(date, 1)) {
      const window = this.windowOf(date);
      if (window) total += Math.max(0, Math.min(window[1], endMs) - Math.max(window[0], startMs));
    }
    return total;
  }
}
