/**
 * The report's period and cut as people ask for them (src/analytics/report-request.ts), and
 * the quantile rule (src/analytics/duration-sample.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DurationSample, quantileOfSorted } from '../../../src/analytics/duration-sample.ts';
import { parseReportRequest, parseReportTime } from '../../../src/analytics/report-request.ts';
import { ZonedCalendar } from '../../../src/analytics/zoned-calendar.ts';

const calendar = new ZonedCalendar('Europe/Moscow');
const msk = (text: string) => Date.parse(`${text}+03:00`);
const NOW = msk('2026-03-10T12:00:00');

test('presets: today, 7 days and 30 days start at a local midnight and end now; 7d is the default', () => {
  const ok = (params: Record<string, string | undefined>) => {
    const r = parseReportRequest(params, NOW, calendar);
    assert.ok(r.ok, JSON.stringify(r));
    return r.request;
  };
  assert.deepEqual(ok({ period: 'today' }), { fromMs: msk('2026-03-10T00:00:00'), toMs: NOW, by: 'day', period: 'today' });
  assert.deepEqual(ok({}), { fromMs: msk('2026-03-04T00:00:00'), toMs: NOW, by: 'day', period: '7d' });
  assert.equal(ok({ period: '30d', by: 'operator' }).fromMs, msk('2026-02-09T00:00:00'));
});

test('custom periods: a date is a whole local day; local times and instants as written', () => {
  const r = parseReportRequest({ from: '2026-03-05', to: '2026-03-09', by: 'bot' }, NOW, calendar);
  assert.ok(r.ok);
  assert.deepEqual(r.request, { fromMs: msk('2026-03-05T00:00:00'), toMs: msk('2026-03-10T00:00:00'), by: 'bot', period: 'custom' });
  assert.equal(parseReportTime('2026-03-05T09:30', calendar, false), msk('2026-03-05T09:30:00'));
  assert.equal(parseReportTime('2026-03-05T09:30:00Z', calendar, true), Date.parse('2026-03-05T09:30:00Z'));
  const open = parseReportRequest({ from: '2026-03-09T12:00:00+03:00' }, NOW, calendar);
  assert.ok(open.ok);
  assert.equal(open.request.toMs, NOW, 'to defaults to now');
});

test('bad input names the parameter and what it takes', () => {
  const problems = (params: Record<string, string | undefined>) => {
    const r = parseReportRequest(params, NOW, calendar);
    assert.ok(!r.ok);
    return r.problems.join('\n');
  };
  assert.match(problems({ by: 'client' }), /by: "client" is not the cut: bot, portal, line, operator, route, source, day, hour/);
  assert.match(problems({ period: 'week' }), /period: "week" is not today, 7d, 30d/);
  assert.match(problems({ from: 'yesterday' }), /from: "yesterday" is not a start: a date/);
  assert.match(problems({ from: '2026-02-30' }), /from: "2026-02-30"/);
  assert.match(problems({ from: '2026-03-05', to: '2026-03-01' }), /to must be later than from/);
  assert.match(problems({ from: '2024-01-01', to: '2026-01-01' }), /longer than 366 days/);
  assert.match(problems({ period: 'today', from: '2026-03-01' }), /from and to are for period=custom/);
  assert.match(problems({ period: 'custom' }), /from is required for a custom period/);
  assert.match(problems({ lang: 'en' }), /unknown parameter "lang"/);
});

test('quantiles interpolate between the nearest values; an empty group has none', () => {
  assert.equal(quantileOfSorted([], 0.5), null);
  assert.equal(quantileOfSorted([7], 0.9), 7);
  assert.equal(quantileOfSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileOfSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9.1);
  const sample = new DurationSample();
  for (const ms of [3_000, 1_000, 2_000]) sample.add(ms);
  assert.deepEqual(sample.summary(), { count: 3, medianSeconds: 2, p90Seconds: 2.8 });
});

test('past its capacity a sample stays that size and its quantiles stay close', () => {
  const sample = new DurationSample(1_000);
  // 0…99,999 ms shuffled deterministically: the true median is ~50 s, the p90 ~90 s.
  for (let i = 0; i < 100_000; i += 1) sample.add((i * 7_919) % 100_000);
  assert.equal(sample.count, 100_000);
  const { medianSeconds, p90Seconds } = sample.summary();
  assert.ok(Math.abs((medianSeconds ?? 0) - 50) < 5, `median ${medianSeconds}`);
  assert.ok(Math.abs((p90Seconds ?? 0) - 90) < 3, `p90 ${p90Seconds}`);
});
