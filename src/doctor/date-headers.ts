/**
 * The `Date` header of every answer the doctor's calls got, with when the call went and came
 * back by our clock: the clock-skew check (checks/clock-skew.ts) compares the two. A `Date`
 * header has whole seconds, so a reading is good to about a second plus half the round trip.
 */
import type { Clock } from '../domain/clock.ts';

export type DateSide = 'max' | 'bitrix24';

export interface DateReading {
  side: DateSide;
  host: string;
  /** The server's time by its Date header, ms. */
  serverMs: number;
  /** Our time halfway through the call, ms. */
  ourMs: number;
  roundTripMs: number;
}

export class DateHeaders {
  private readonly readings: DateReading[] = [];

  record(reading: DateReading): void {
    this.readings.push(reading);
  }

  list(): readonly DateReading[] {
    return this.readings;
  }

  /** A fetch that records the Date header of each answer as coming from `side`. */
  observingFetch(side: DateSide, clock: Clock, fetchFn: typeof fetch = fetch): typeof fetch {
    return async (input, init) => {
      const sentMs = clock.nowMs();
      const res = await fetchFn(input, init);
      const receivedMs = clock.nowMs();
      const serverMs = Date.parse(res.headers.get('date') ?? '');
      if (Number.isFinite(serverMs)) {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        this.record({ side, host: new URL(url).host, serverMs, ourMs: (sentMs + receivedMs) / 2, roundTripMs: receivedMs - sentMs });
      }
      return res;
    };
  }
}
