/**
 * The doctor's pure findings: the clock against the sides' Date headers (the quickest answer
 * read; over 30 s warns, over 5 minutes fails; nothing to compare with is skipped), the
 * migrations (behind, ahead, current), the challenge the bridge answers, and how a report is
 * printed (a line per check, the fix under it, exit code from failures only) and given to
 * monitoring (JSON with both languages).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clockSkewChecks, SKEW_FAIL_MS, SKEW_WARN_MS } from '../../../src/doctor/checks/clock-skew.ts';
import { migrationsFinding } from '../../../src/doctor/checks/database.ts';
import { DateHeaders } from '../../../src/doctor/date-headers.ts';
import { formatReportText, reportJson } from '../../../src/doctor/format.ts';
import { exitCodeOf, failed, ok, skip, warned, words, type DoctorReport } from '../../../src/doctor/result.ts';
import { challengeAnswer, challengeKey, isChallengeAnswer } from '../../../src/domain/doctor-challenge.ts';
import { buildApp } from '../../../src/http/app.ts';
import { doctorChallengePlugin } from '../../../src/http/plugins/doctor-challenge.ts';
import { MIGRATIONS } from '../../../src/store/migrations.ts';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

function headersWith(readings: Array<{ side: 'max' | 'bitrix24'; skewMs: number; roundTripMs?: number }>): DateHeaders {
  const h = new DateHeaders();
  for (const r of readings) {
    // A Date header has whole seconds: the server's time cut down to the second.
    h.record({ side: r.side, host: `${r.side}.example`, serverMs: Math.floor((NOW + r.skewMs) / 1000) * 1000, ourMs: NOW, roundTripMs: r.roundTripMs ?? 20 });
  }
  return h;
}

test('clock: within 30 s is ok, over 30 s warns, over 5 minutes fails, per side; a side with no answer is skipped', () => {
  const results = clockSkewChecks(headersWith([{ side: 'max', skewMs: 2_000 }, { side: 'bitrix24', skewMs: -(SKEW_WARN_MS + 5_000) }]));
  assert.deepEqual(results.map((r) => [r.subject, r.status]), [['MAX', 'ok'], ['Bitrix24', 'warn']]);
  assert.match(results[1]!.problem.en, /^This machine's clock is 3[45]\.\d s ahead of Bitrix24/);
  assert.match(results[1]!.fix.en, /timedatectl set-ntp true/);
  const far = clockSkewChecks(headersWith([{ side: 'max', skewMs: SKEW_FAIL_MS + 60_000 }]));
  assert.deepEqual(far.map((r) => [r.subject, r.status]), [['MAX', 'fail'], ['Bitrix24', 'skip']]);
  assert.match(far[0]!.problem.ru, /^Часы этой машины отстают от MAX .* на 36\d\.\d с: больше 5 минут/);
});

test('clock: the quickest answer is the one read (a slow answer says little about the time)', () => {
  const results = clockSkewChecks(headersWith([{ side: 'max', skewMs: 120_000, roundTripMs: 9_000 }, { side: 'max', skewMs: 1_000, roundTripMs: 15 }]));
  assert.equal(results[0]!.status, 'ok');
  assert.equal((results[0]!.details as { readings: number }).readings, 2);
});

test('migrations: behind, ahead and current, each with what to do', () => {
  const latest = Math.max(...MIGRATIONS.map((m) => m.id));
  const behind = migrationsFinding('SQLite x', { appliedLatest: latest - 1, missing: [latest], unknown: [] });
  assert.equal(behind.status, 'fail');
  assert.match(behind.problem.en, new RegExp(`behind this version .* migration\\(s\\) ${latest} are not applied \\(it is at ${latest - 1}, this version expects ${latest}\\)`));
  assert.match(behind.fix.en, /Back the database up/);
  const ahead = migrationsFinding('SQLite x', { appliedLatest: latest + 1, missing: [], unknown: [latest + 1] });
  assert.equal(ahead.status, 'fail');
  assert.match(ahead.problem.ru, /впереди этой версии моста/);
  assert.match(ahead.fix.ru, /Откатить схему нельзя/);
  assert.equal(migrationsFinding('SQLite x', { appliedLatest: latest, missing: [], unknown: [] }).status, 'ok');
});

test('the challenge: the bridge answers the HMAC of the nonce under its key; a bad nonce is a 400; nothing cached', async () => {
  const key = challengeKey('challenge-unit-secret-0123456789');
  const app = buildApp({ plugins: [doctorChallengePlugin({ key })] });
  const nonce = 'abcdefghijklmnop_0123-XYZ';
  const res = await app.inject({ method: 'GET', url: `/doctor/challenge/${nonce}` });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'no-store');
  const { answer } = res.json() as { answer: string };
  assert.equal(answer, challengeAnswer(key, nonce));
  assert.ok(isChallengeAnswer(key, nonce, answer));
  assert.ok(!isChallengeAnswer(challengeKey('another-secret-0123456789abcdef'), nonce, answer));
  assert.ok(!isChallengeAnswer(key, `${nonce}x`, answer));
  const bad = await app.inject({ method: 'GET', url: '/doctor/challenge/short' });
  assert.equal(bad.statusCode, 400);
  assert.equal((bad.json() as { error: string }).error, 'BRG_ERR_INVALID_QUERY');
  await app.close();
});

const REPORT: DoctorReport = {
  mode: 'production', startedAtMs: NOW, durationMs: 1_234,
  results: [
    ok('max.token', 'bot main', words('Токен принят.', 'The token is accepted.')),
    warned('clock.skew', 'MAX', words('Часы отстают на 40 с.', 'The clock is 40 s behind.'), words('Включите NTP.', 'Turn NTP on.')),
    skip('public_url.address', 'https://127.0.0.1:8443', words('Адрес на этой же машине.', 'A loopback address.')),
  ],
};

test('the text: a line per check with its mark, the fix under a warning or failure, Russian or English; warnings exit 0, a failure exits 1', () => {
  const ru = formatReportText(REPORT, 'ru');
  assert.match(ru, /^✓ max\.token — bot main: Токен принят\.$/m);
  assert.match(ru, /^! clock\.skew — MAX: Часы отстают на 40 с\.\n {4}Что сделать: Включите NTP\.$/m);
  assert.match(ru, /^– public_url\.address/m);
  assert.match(ru, /Итого: в порядке 1, предупреждений 1, ошибок 0, пропущено 1\./);
  assert.match(formatReportText(REPORT, 'en'), /^! clock\.skew — MAX: The clock is 40 s behind\.\n {4}Fix: Turn NTP on\.$/m);
  assert.equal(exitCodeOf(REPORT), 0);
  const broken = { ...REPORT, results: [...REPORT.results, failed('max.subscription', 'bot main', words('Нет подписки.', 'No subscription.'), words('Перезапустите.', 'Restart.'))] };
  assert.equal(exitCodeOf(broken), 1);
  assert.match(formatReportText(broken, 'ru'), /^✗ max\.subscription — bot main: Нет подписки\.$/m);
});

test('the JSON: overall status, summary, and every check with both languages', () => {
  const json = reportJson(REPORT) as { status: string; summary: Record<string, number>; checks: Array<{ id: string; problem: { ru: string; en: string } }>; started_at: string };
  assert.equal(json.status, 'warn');
  assert.deepEqual(json.summary, { ok: 1, warn: 1, fail: 0, skip: 1 });
  assert.equal(json.started_at, '2026-12-04T12:00:00.000Z');
  assert.deepEqual(json.checks[0]!.problem, { ru: 'Токен принят.', en: 'The token is accepted.' });
});
