import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hoursVerdict, isWithinHours, localMoment, parseWorkingHours } from '../../../../src/domain/routing/working-hours.ts';
import { hours, utc } from './helpers.ts';

const OFFICE = hours({ days: 'mon-fri', from: '09:00', to: '18:00' });

test('the days are read as a range, a comma list, a YAML list, or a range that wraps past Sunday', () => {
  assert.deepEqual(hours({ days: 'mon-fri', from: '09:00', to: '18:00' }).days, ['mon', 'tue', 'wed', 'thu', 'fri']);
  assert.deepEqual(hours({ days: 'mon,wed,fri', from: '09:00', to: '18:00' }).days, ['mon', 'wed', 'fri']);
  assert.deepEqual(hours({ days: 'sat-sun', from: '09:00', to: '18:00' }).days, ['sat', 'sun']);
  assert.deepEqual(hours({ days: ['tue', 'mon'], from: '09:00', to: '18:00' }).days, ['mon', 'tue']);
  assert.deepEqual(hours({ days: 'fri-mon', from: '09:00', to: '18:00' }).days, ['mon', 'fri', 'sat', 'sun']);
  assert.deepEqual(hours({ days: 'Mon - Wed, sun', from: '09:00', to: '18:00' }).days, ['mon', 'tue', 'wed', 'sun']);
});

test('the time zone defaults to Europe/Moscow, and the text says the hours as written', () => {
  assert.equal(OFFICE.timeZone, 'Europe/Moscow');
  assert.equal(OFFICE.text, 'mon-fri 09:00–18:00 Europe/Moscow');
  assert.equal(OFFICE.fromMinuteOfDay, 540);
  assert.equal(OFFICE.toMinuteOfDay, 1080);
});

test('every malformed key is a problem at its own path that says what to write', () => {
  const parsed = parseWorkingHours({ days: ['mon', 'funday'], from: '24:00', to: '25:00', time_zone: 'Europe/Moskva', holidays: ['2026-01-01', '2026-02-30', '01.05.2026'] });
  assert.equal(parsed.ok, false);
  const problems = parsed.ok ? [] : parsed.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
  assert.deepEqual(problems, [
    'days.1: "funday" is not a day or a range of days; write mon, tue, wed, thu, fri, sat or sun, a range such as mon-fri, or a list such as mon,wed,fri',
    'from: "24:00" is not a start time; write HH:MM from 00:00 to 23:59, e.g. from: "09:00"',
    'to: "25:00" is not an end time; write HH:MM from 00:00 to 24:00, e.g. to: "18:00"',
    'time_zone: "Europe/Moskva" is not a time zone; write an IANA zone name such as Europe/Moscow, Asia/Yekaterinburg or UTC',
    'holidays.1: "2026-02-30" is not a date; write YYYY-MM-DD in quotes, e.g. "2026-01-01"',
    'holidays.2: "01.05.2026" is not a date; write YYYY-MM-DD in quotes, e.g. "2026-01-01"',
  ]);
});

test('from equal to to is refused with the way to write a whole day; 00:00–24:00 is the whole day', () => {
  const parsed = parseWorkingHours({ days: 'mon', from: '10:00', to: '10:00' });
  assert.deepEqual(parsed.ok ? [] : parsed.problems, [
    { path: ['to'], message: 'equals from (10:00), which would be no time or all day; for the whole day write from: "00:00", to: "24:00"' },
  ]);
  const allDay = hours({ days: 'mon', from: '00:00', to: '24:00' });
  assert.equal(isWithinHours(allDay, utc('2026-03-29T21:00')), true, 'Monday 00:00 in Moscow');
  assert.equal(isWithinHours(allDay, utc('2026-03-30T20:59')), true, 'Monday 23:59 in Moscow');
  assert.equal(isWithinHours(allDay, utc('2026-03-30T21:00')), false, 'Tuesday 00:00 in Moscow');
});

test('local time comes from the zone: Moscow is UTC+3, the weekday is the local one', () => {
  assert.deepEqual(localMoment('Europe/Moscow', utc('2026-03-27T21:30')), { date: '2026-03-28', weekday: 'sat', minuteOfDay: 30 });
  assert.deepEqual(localMoment('Asia/Vladivostok', utc('2026-03-27T14:00')), { date: '2026-03-28', weekday: 'sat', minuteOfDay: 0 });
  assert.deepEqual(localMoment('UTC', utc('2026-03-29T00:00')), { date: '2026-03-29', weekday: 'sun', minuteOfDay: 0 });
});

test('within and outside office hours in Moscow: from is inside, to is not', () => {
  assert.equal(isWithinHours(OFFICE, utc('2026-03-27T05:59')), false, 'Friday 08:59');
  assert.equal(isWithinHours(OFFICE, utc('2026-03-27T06:00')), true, 'Friday 09:00');
  assert.equal(isWithinHours(OFFICE, utc('2026-03-27T14:59')), true, 'Friday 17:59');
  assert.equal(isWithinHours(OFFICE, utc('2026-03-27T15:00')), false, 'Friday 18:00');
  assert.equal(isWithinHours(OFFICE, utc('2026-03-28T09:00')), false, 'Saturday 12:00');
});

test('an overnight window belongs to the day it starts', () => {
  const nights = hours({ days: 'mon-fri', from: '22:00', to: '06:00' });
  assert.equal(isWithinHours(nights, utc('2026-03-27T19:00')), true, 'Friday 22:00');
  assert.equal(isWithinHours(nights, utc('2026-03-28T00:00')), true, 'Saturday 03:00: Friday night');
  assert.equal(isWithinHours(nights, utc('2026-03-28T03:00')), false, 'Saturday 06:00');
  assert.equal(isWithinHours(nights, utc('2026-03-28T19:30')), false, 'Saturday 22:30: not a working night');
  assert.equal(isWithinHours(nights, utc('2026-03-30T00:00')), false, 'Monday 03:00: Sunday night');
  assert.equal(isWithinHours(nights, utc('2026-03-30T12:00')), false, 'Monday 15:00');
  assert.equal(isWithinHours(nights, utc('2026-03-30T19:00')), true, 'Monday 22:00');
});

test('on a holiday the hours do not hold, and the night after it is closed too', () => {
  const office = hours({ days: 'mon-fri', from: '09:00', to: '18:00', holidays: ['2026-03-27'] });
  assert.deepEqual(hoursVerdict(office, utc('2026-03-27T07:30')), {
    within: false, local: { date: '2026-03-27', weekday: 'fri', minuteOfDay: 630 }, closedByHoliday: '2026-03-27',
  });
  assert.equal(isWithinHours(office, utc('2026-03-26T07:30')), true, 'the Thursday before is a working day');
  assert.equal(hoursVerdict(office, utc('2026-03-27T17:00')).closedByHoliday, null, 'outside the window anyway');
  const nights = hours({ days: 'mon-fri', from: '22:00', to: '06:00', holidays: ['2026-03-26'] });
  assert.equal(isWithinHours(nights, utc('2026-03-27T00:00')), false, 'Friday 03:00 belongs to the Thursday holiday');
  assert.equal(isWithinHours(nights, utc('2026-03-27T19:00')), true, 'Friday 22:00');
});

test('Europe/Berlin keeps 09:00 local across the change to summer time (2026-03-29)', () => {
  const berlin = hours({ days: 'mon-fri', from: '09:00', to: '18:00', time_zone: 'Europe/Berlin' });
  // The same UTC time of day answers differently on either side of the change.
  assert.equal(isWithinHours(berlin, utc('2026-03-27T07:30')), false, 'Friday 08:30 CET');
  assert.equal(isWithinHours(berlin, utc('2026-03-30T07:30')), true, 'Monday 09:30 CEST');
  assert.equal(isWithinHours(berlin, utc('2026-03-27T16:30')), true, 'Friday 17:30 CET');
  assert.equal(isWithinHours(berlin, utc('2026-03-30T16:30')), false, 'Monday 18:30 CEST');
  // And back in autumn (2026-10-25).
  assert.equal(isWithinHours(berlin, utc('2026-10-23T07:30')), true, 'Friday 09:30 CEST');
  assert.equal(isWithinHours(berlin, utc('2026-10-26T07:30')), false, 'Monday 08:30 CET');
});

test('Europe/Berlin: an overnight window spans the night the clocks go forward', () => {
  const saturdayNight = hours({ days: 'sat', from: '22:00', to: '06:00', time_zone: 'Europe/Berlin' });
  assert.equal(isWithinHours(saturdayNight, utc('2026-03-28T20:59')), false, 'Saturday 21:59 CET');
  assert.equal(isWithinHours(saturdayNight, utc('2026-03-28T21:00')), true, 'Saturday 22:00 CET');
  assert.equal(isWithinHours(saturdayNight, utc('2026-03-29T01:30')), true, 'Sunday 03:30 CEST');
  assert.equal(isWithinHours(saturdayNight, utc('2026-03-29T03:59')), true, 'Sunday 05:59 CEST');
  assert.equal(isWithinHours(saturdayNight, utc('2026-03-29T04:00')), false, 'Sunday 06:00 CEST (05:00 at a fixed +01:00)');
});
