/**
 * Working time between two moments (src/analytics/working-time.ts) and the zoned calendar
 * under it: a night, a weekend, holidays, an overnight window, a zone with daylight saving.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWorkingHours, type WorkingHoursSpec } from '../../../src/domain/routing/working-hours.ts';
import { WorkingTime } from '../../../src/analytics/working-time.ts';
import { ZonedCalendar, addDays } from '../../../src/analytics/zoned-calendar.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

function workingTime(spec: Partial<WorkingHoursSpec> = {}): WorkingTime {
  const parsed = parseWorkingHours({ days: 'mon-fri', from: '09:00', to: '18:00', time_zone: 'Europe/Moscow', ...spec });
  assert.ok(parsed.ok);
  return new WorkingTime(parsed.hours);
}

const msk = (text: string) => Date.parse(`${text}+03:00`);

test('17:55 answered at 09:10 the next morning waited 15 minutes of working time', () => {
  const wt = workingTime();
  // Thu 2026-03-05 → Fri 2026-03-06.
  assert.equal(wt.between(msk('2026-03-05T17:55:00'), msk('2026-03-06T09:10:00')), 15 * MIN);
});

test('a weekend counts nothing; Friday evening to Monday morning is the two edges', () => {
  const wt = workingTime();
  assert.equal(wt.between(msk('2026-03-07T10:00:00'), msk('2026-03-08T20:00:00')), 0, 'Saturday to Sunday');
  assert.equal(wt.between(msk('2026-03-06T17:00:00'), msk('2026-03-09T10:00:00')), 2 * HOUR);
  assert.equal(wt.between(msk('2026-03-06T12:00:00'), msk('2026-03-06T12:00:00')), 0, 'no time');
  assert.equal(wt.between(msk('2026-03-06T12:00:00'), msk('2026-03-06T11:00:00')), 0, 'end before start');
  // A whole working week: five days of nine hours.
  assert.equal(wt.between(msk('2026-03-02T00:00:00'), msk('2026-03-09T00:00:00')), 45 * HOUR);
});

test('a holiday has no working time', () => {
  const wt = workingTime({ holidays: ['2026-03-09'] });
  assert.equal(wt.between(msk('2026-03-06T17:00:00'), msk('2026-03-10T10:00:00')), 2 * HOUR, 'Fri 17–18 and Tue 09–10; Monday off');
  assert.equal(wt.windowOf('2026-03-09'), null);
});

test('an overnight window belongs to the day it starts', () => {
  const wt = workingTime({ days: 'mon-fri', from: '22:00', to: '06:00' });
  // Fri 22:00 → Sat 06:00 is Friday's; Sunday night is not a working night.
  assert.equal(wt.between(msk('2026-03-06T20:00:00'), msk('2026-03-07T08:00:00')), 8 * HOUR);
  assert.equal(wt.between(msk('2026-03-08T20:00:00'), msk('2026-03-09T03:00:00')), 0);
  // Started on Monday 23:00, answered Tuesday 01:00: within Monday's night.
  assert.equal(wt.between(msk('2026-03-09T23:00:00'), msk('2026-03-10T01:00:00')), 2 * HOUR);
});

test('round the clock: every minute counts', () => {
  const wt = workingTime({ days: 'mon-sun', from: '00:00', to: '24:00' });
  assert.equal(wt.between(msk('2026-03-06T17:55:00'), msk('2026-03-09T09:10:00')), msk('2026-03-09T09:10:00') - msk('2026-03-06T17:55:00'));
});

test('a zone with daylight saving keeps 09:00 at 09:00 local across the change', () => {
  // Europe/Berlin moves to summer time on Sunday 2026-03-29: UTC+1 before, UTC+2 after.
  const wt = workingTime({ time_zone: 'Europe/Berlin' });
  assert.deepEqual(wt.windowOf('2026-03-27'), [Date.parse('2026-03-27T08:00:00Z'), Date.parse('2026-03-27T17:00:00Z')]);
  assert.deepEqual(wt.windowOf('2026-03-30'), [Date.parse('2026-03-30T07:00:00Z'), Date.parse('2026-03-30T16:00:00Z')]);
  assert.equal(wt.between(Date.parse('2026-03-27T16:00:00Z'), Date.parse('2026-03-30T08:00:00Z')), 2 * HOUR);
});

test('the zoned calendar: local day and hour, the start of a local day, dates forward and back', () => {
  const calendar = new ZonedCalendar('Europe/Moscow');
  assert.deepEqual(calendar.at(msk('2026-03-09T23:50:30')), { date: '2026-03-09', hour: 23, minuteOfDay: 23 * 60 + 50 });
  assert.deepEqual(calendar.at(Date.parse('2026-03-09T21:00:00Z')), { date: '2026-03-10', hour: 0, minuteOfDay: 0 });
  assert.equal(calendar.dayStartMs('2026-03-10'), Date.parse('2026-03-09T21:00:00Z'));
  assert.equal(calendar.startOfDayMs(msk('2026-03-10T12:34:00')), msk('2026-03-10T00:00:00'));
  assert.equal(addDays('2026-03-01', -1), '2026-02-28');
  assert.equal(addDays('2026-12-31', 1), '2027-01-01');
  const kathmandu = new ZonedCalendar('Asia/Kathmandu');
  assert.deepEqual(kathmandu.at(Date.parse('2026-03-09T18:14:00Z')), { date: '2026-03-09', hour: 23, minuteOfDay: 23 * 60 + 59 }, 'UTC+5:45');
  assert.equal(kathmandu.dayStartMs('2026-03-10'), Date.parse('2026-03-09T18:15:00Z'));
});
