/**
 * The `analytics` keys through the whole loader (YAML → checked configuration): optional, with
 * a Moscow working week and 300/900 s targets by default; the brief's shape validates; bad
 * values are named with their fix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyticsSettingsOf } from '../../../src/analytics/report-settings.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { errorFor, errorsOf, fileOf, okConfig, PROD_ENV } from './helpers.ts';

const ENV = { CONFIG_FILE: 'c.yaml', BRIDGE_SECRET_KEY: PROD_ENV.BRIDGE_SECRET_KEY, PUBLIC_URL: PROD_ENV.PUBLIC_URL };
const BASE = 'bots:\n  - id: a\n    token: a-token-0123456789\nbitrix24:\n  client_id: x\n  client_secret: y\nportals:\n  - id: p1\n';

test('without the section: Moscow, mon-fri 09:00–18:00, first response 300 s, response 900 s', () => {
  const { config } = okConfig(loadConfig(ENV, fileOf(BASE)));
  assert.deepEqual(config.analytics, {
    time_zone: 'Europe/Moscow', working_hours: { days: 'mon-fri', from: '09:00', to: '18:00' }, sla: { first_response_seconds: 300, response_seconds: 900 },
  });
  const settings = analyticsSettingsOf(config.analytics);
  assert.equal(settings.workingHours.text, 'mon-fri 09:00–18:00 Europe/Moscow');
  assert.deepEqual(settings.workingHours.days, ['mon', 'tue', 'wed', 'thu', 'fri']);
  assert.deepEqual(settings.sla, { firstResponseMs: 300_000, responseMs: 900_000 });
});

test('the written shape validates: a list of days, holidays, another zone, targets', () => {
  const yaml = `${BASE}analytics:
  time_zone: Asia/Yekaterinburg
  working_hours: { days: [mon, tue, wed, thu, fri, sat], from: "08:00", to: "20:00", holidays: ["2027-01-01"] }
  sla: { first_response_seconds: 120, response_seconds: 600 }
`;
  const settings = analyticsSettingsOf(okConfig(loadConfig(ENV, fileOf(yaml))).config.analytics);
  assert.equal(settings.timeZone, 'Asia/Yekaterinburg');
  assert.equal(settings.workingHours.timeZone, 'Asia/Yekaterinburg', 'the hours are in the section\'s zone');
  assert.deepEqual(settings.workingHours.holidays, ['2027-01-01']);
  assert.equal(settings.workingHours.fromMinuteOfDay, 8 * 60);
  assert.deepEqual(settings.sla, { firstResponseMs: 120_000, responseMs: 600_000 });
});

test('bad values are named with what to write', () => {
  const yaml = `${BASE}analytics:
  time_zone: Moscow
  working_hours: { days: weekdays, from: "9", to: "18:00" }
  sla: { first_response_seconds: 0, response_seconds: 900, warn_seconds: 60 }
`;
  const errors = errorsOf(loadConfig(ENV, fileOf(yaml)));
  assert.match(errorFor(errors, 'analytics.time_zone'), /"Moscow" is not a time zone; write an IANA zone name such as Europe\/Moscow/);
  assert.match(errorFor(errors, 'analytics.working_hours.days'), /"weekdays" is not a day or a range of days/);
  assert.match(errorFor(errors, 'analytics.working_hours.from'), /"9" is not a start time; write HH:MM/);
  assert.match(errorFor(errors, 'analytics.sla.first_response_seconds'), /seconds from 1 to 604800/);
  assert.ok(errors.some((e) => e.includes('warn_seconds')), 'an unknown key is named');
});
