/**
 * Days and hours as a wall clock in one time zone shows them: the day and hour of day a
 * message falls in, and the moment a local date and time is. Pure (Intl only).
 *
 * Intl's `formatToParts` costs microseconds per call, and a report asks for the local day of
 * every message: the answer is cached per quarter of an hour (every zone's offset is a whole
 * number of quarter hours, so a quarter never straddles a change of day or offset). The cache
 * holds one entry per quarter hour the report touches (a month: under 3,000).
 */
import { localMoment } from '../domain/routing/working-hours.ts';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
const QUARTER_MS = 15 * MS_PER_MINUTE;

export interface LocalDayHour {
  /** `YYYY-MM-DD`. */
  date: string;
  /** 0–23. */
  hour: number;
  /** Minutes after local midnight, 0–1439. */
  minuteOfDay: number;
}

/** `date` plus `days` (negative: back), both `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * MS_PER_DAY).toISOString().slice(0, 10);
}

export class ZonedCalendar {
  private readonly quarters = new Map<number, { date: string; minuteOfDay: number }>();

  constructor(readonly timeZone: string) {}

  /** The local date, hour and minute of `ms`. */
  at(ms: number): LocalDayHour {
    const quarter = Math.floor(ms / QUARTER_MS);
    let base = this.quarters.get(quarter);
    if (!base) {
      const local = localMoment(this.timeZone, quarter * QUARTER_MS);
      base = { date: local.date, minuteOfDay: local.minuteOfDay };
      this.quarters.set(quarter, base);
    }
    const minuteOfDay = base.minuteOfDay + Math.floor((ms - quarter * QUARTER_MS) / MS_PER_MINUTE);
    return { date: base.date, hour: Math.floor(minuteOfDay / 60), minuteOfDay };
  }

  /** How far the zone's clock is ahead of UTC at `ms` (whole minutes). */
  private offsetMs(ms: number): number {
    const floored = ms - (((ms % MS_PER_MINUTE) + MS_PER_MINUTE) % MS_PER_MINUTE);
    const local = this.at(floored);
    return Date.parse(`${local.date}T00:00:00Z`) + local.minuteOfDay * MS_PER_MINUTE - floored;
  }

  /**
   * The moment the local clock shows `date` at `minuteOfDay` (1440 and above roll into the
   * following days). A time skipped by a daylight-saving change reads as the moment after it.
   */
  utcOf(date: string, minuteOfDay: number): number {
    const naive = Date.parse(`${date}T00:00:00Z`) + minuteOfDay * MS_PER_MINUTE;
    const first = naive - this.offsetMs(naive);
    const second = naive - this.offsetMs(first);
    return second === first ? first : Math.max(first, second);
  }

  /** The start of local day `date`. */
  dayStartMs(date: string): number {
    return this.utcOf(date, 0);
  }

  /** The start of the local day `ms` falls in. */
  startOfDayMs(ms: number): number {
    return this.dayStartMs(this.at(ms).date);
  }
}
