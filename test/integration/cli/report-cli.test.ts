/**
 * `npm run bridge -- report` (src/cli/report.ts): bad input is refused with exit 2 and a message
 * naming the fix, before any store is opened; over the scripted week of
 * test/fixtures/analytics-scenario.ts (written into a SQLite file first) it prints the
 * hand-worked figures as a Russian table, an English one, and JSON.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AnalyticsReport } from '../../../src/analytics/report-aggregator.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { assertCut, writeScenario } from '../../helpers/analytics-report.ts';
import { TEST_SECRET_KEY } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { EXPECTED, msk } from '../../fixtures/analytics-scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'report-cli-'));
const env = { DATABASE_URL: join(dir, 'bridge.sqlite'), BRIDGE_SECRET_KEY: TEST_SECRET_KEY };

const run = (args: string[], extra: Record<string, string> = env) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'report', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...extra } });

before(async () => {
  const clock = new ManualClock(msk('2026-03-04 00:00'));
  const store = await openStore({ databaseUrl: env.DATABASE_URL, secretKey: TEST_SECRET_KEY, clock });
  try {
    await writeScenario(store, clock);
  } finally {
    await store.close();
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('report: bad input names the fix and exits 2, opening nothing', () => {
  const untouched = { ...env, DATABASE_URL: join(dir, 'never.sqlite') };
  const cases: Array<[string[], RegExp]> = [
    [['--by', 'client'], /--by: "client" is not the cut: bot, portal, line, operator, route, source, day, hour/],
    [['--period', 'week'], /--period: "week" is not today, 7d, 30d/],
    [['--from', 'вчера'], /--from: "вчера" is not a start: a date \(2026-12-01/],
    [['--from', '2026-03-05', '--to', '2026-03-01'], /to must be later than from/],
    [['--lang', 'de'], /--lang de: must be ru or en/],
    [['--format', 'csv'], /Unknown option '--format'/],
  ];
  for (const [args, message] of cases) {
    const r = run(args, untouched);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /npm run bridge -- report \[--period/, 'the usage follows');
  }
  assert.equal(existsSync(untouched.DATABASE_URL), false, 'no database was made');
  const help = run(['--help'], untouched);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--by\s+the cut: bot, portal/);
  const listing = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'help'], { encoding: 'utf8' });
  assert.match(listing.stdout, /report \[--by …\]\s+аналитика/, 'listed by npm run bridge -- help');
});

test('report --json gives the week\'s hand-worked figures', () => {
  const r = run(['--from', '2026-03-05', '--to', '2026-03-09', '--by', 'operator', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as AnalyticsReport & { from: string; to: string };
  assert.equal(report.from, '2026-03-04T21:00:00.000Z', 'a date is the whole Moscow day');
  assert.equal(report.to, '2026-03-09T21:00:00.000Z', 'to the end of the last day');
  assert.deepEqual(report.total, EXPECTED.total);
  assertCut(report, 'operator');
  assert.deepEqual(Object.keys(report.by), ['operator'], 'one cut');
});

test('report prints a Russian table by default, English with --lang en', () => {
  const ru = run(['--from', '2026-03-05', '--to', '2026-03-09', '--by', 'bot']);
  assert.equal(ru.status, 0, ru.stderr);
  assert.match(ru.stdout, /^Отчёт 2026-03-05 00:00 — 2026-03-10 00:00 \(Europe\/Moscow\)/);
  assert.match(ru.stdout, /Первый ответ: медиана 30 мин, p90 2 д 2 ч \(3\); нарушений SLA 2/);
  assert.match(ru.stdout, /Ответ: медиана 25 мин, p90 2 д 6 ч \(6\); нарушений SLA 2/);
  assert.match(ru.stdout, /^Бот\s+Диалоги\s+Входящие\s+Ответы\s+1-й ответ, медиана/m);
  // sales: 3 conversations, 5 in, 4 out, first response median 113910 s, p90 204942 s, response median 20 min.
  assert.match(ru.stdout, /^sales\s+3\s+5\s+4\s+1 д 7 ч\s+2 д 8 ч\s+20 мин\s+2 д 2 ч\s+1\s+2\s+2$/m);
  assert.match(ru.stdout, /^support\s+3\s+4\s+3\s+30 мин\s+30 мин\s+30 мин\s+1 д 12 ч\s+0\s+0\s+0$/m);
  const en = run(['--from', '2026-03-05', '--to', '2026-03-09', '--by', 'bot', '--lang', 'en']);
  assert.equal(en.status, 0, en.stderr);
  assert.match(en.stdout, /^Bot\s+Conversations\s+In\s+Replies/m);
  assert.match(en.stdout, /^sales\s+3\s+5\s+4\s+1 d 7 h/m);
  const empty = run(['--from', '2026-01-10', '--to', '2026-01-11', '--by', 'route']);
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stdout, /За период данных нет\./);
});
