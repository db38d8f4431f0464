/**
 * The admin UI's Analytics page through HTTP (Fastify inject) over the scripted week of
 * test/fixtures/analytics-scenario.ts, on both engines: the summary and the tables carry the
 * hand-worked figures, the charts' JSON island the figures by day and hour, a viewer sees the
 * operators' names masked, a period that does not parse is a 400 naming the fix, and the chart
 * script is served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ChartData } from '../../../src/admin/analytics-charts.ts';
import { hashPassword } from '../../../src/admin/password.ts';
import { configSchema, type BridgeConfigData } from '../../../src/config/schema.ts';
import { buildApp } from '../../../src/http/app.ts';
import { adminUiPlugin, SESSION_COOKIE } from '../../../src/http/plugins/admin-ui.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { writeScenario } from '../../helpers/analytics-report.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { PERIOD, msk } from '../../fixtures/analytics-scenario.ts';

const HOST = 'bridge.test';
const PASSWORD = 'пароль-аналитика-1';
const WEEK = '/admin/ui/analytics?period=custom&from=2026-03-05&to=2026-03-09';

for (const engine of testEngines()) {
  describe(`admin UI analytics page (${engine.name})`, () => {
    const clock = new ManualClock(msk('2026-03-04 00:00'));
    let store: Store;
    let app: FastifyInstance;
    const cookies: Record<string, string> = {};

    const get = (who: 'anna' | 'victor', url: string) => app.inject({ method: 'GET', url, headers: { host: HOST, cookie: cookies[who] ?? '' } });
    const cells = (html: string, tableId: string, label: RegExp) => {
      const table = new RegExp(`<table id="${tableId}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
      const row = table.split('<tr>').find((r) => label.test(/<td class="nowrap">([^<]*)<\/td>/.exec(r)?.[1] ?? ''));
      assert.ok(row, `${tableId} has a row ${label}`);
      return [...row.matchAll(/<td class="num nowrap">([^<]*)<\/td>/g)].map((m) => m[1]);
    };

    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock });
      await writeScenario(store, clock);
      await clock.advance(PERIOD.nowMs - clock.nowMs());
      const config: BridgeConfigData = configSchema.parse({ security: { secret_key: TEST_SECRET_KEY } });
      await store.adminUsers.add('anna', 'admin', await hashPassword(PASSWORD));
      await store.adminUsers.add('victor', 'viewer', await hashPassword(PASSWORD));
      app = buildApp({ plugins: [adminUiPlugin({ deps: {
        store, config: () => config, nowMs: () => clock.nowMs(), journal: store.journal, policy: () => config.privacy, log: silentLogger(), poke: () => undefined,
      } })] });
      await app.ready();
      for (const username of ['anna', 'victor'] as const) {
        const res = await app.inject({
          method: 'POST', url: '/admin/login', headers: { 'content-type': 'application/x-www-form-urlencoded', host: HOST, origin: `http://${HOST}` },
          payload: new URLSearchParams({ username, password: PASSWORD, next: '/admin/' }).toString(),
        });
        assert.equal(res.statusCode, 303, res.body);
        const raw = res.headers['set-cookie'];
        cookies[username] = (Array.isArray(raw) ? raw : [raw ?? '']).find((c) => c.startsWith(`${SESSION_COOKIE}=`))!.split(';')[0]!;
      }
    });
    after(async () => {
      await app.close();
      await store.close();
      await engine.dropAll();
    });

    test('the week by operator: summary cards, tables by operator, day and hour, in Russian', async () => {
      const res = await get('anna', `${WEEK}&by=operator`);
      assert.equal(res.statusCode, 200, res.body);
      const html = res.body;
      assert.match(html, /<title>[^<]*Аналитика/);
      assert.match(html, /Период: 2026-03-05 00:00 — 2026-03-10 00:00 \(Europe\/Moscow\)/);
      assert.match(html, /data-figure="first-response"><div class="muted small">Первый ответ, медиана<\/div><div class="big">30 мин<\/div><div class="small muted">p90 2 д 2 ч; новых диалогов с ответом: 3/);
      assert.match(html, /data-figure="response">[\s\S]*?<div class="big">25 мин<\/div>/);
      assert.match(html, /data-figure="volume">[\s\S]*?<div class="big">9 \/ 7<\/div>/);
      assert.match(html, /data-figure="unanswered">[\s\S]*?<div class="big">1<\/div>/);
      assert.match(html, /data-figure="sla">[\s\S]*?<div class="big">2 \/ 2<\/div>/);
      // Анна (7): 2 conversations, —, 3 replies, first 16 min / 27 min 12 s, response 25 min / 1 d 7 h, —, 0, 1.
      assert.deepEqual(cells(html, 'analytics-by-operator', /^Анна \(7\)$/), ['2', '—', '3', '16 мин', '27 мин 12 с', '25 мин', '1 д 7 ч', '—', '0', '1']);
      assert.deepEqual(cells(html, 'analytics-by-day', /^2026-03-06 пт$/), ['1', '1', '1', '2 д 15 ч', '2 д 15 ч', '2 д 15 ч', '2 д 15 ч', '0', '1', '0']);
      assert.deepEqual(cells(html, 'analytics-by-hour', /^16:00$/), ['1', '1', '0', '—', '—', '—', '—', '1', '1', '1']);
      assert.match(html, /<script src="\/admin\/assets\/uplot\.js\?v=[0-9a-f]{12}" defer><\/script>/);
      assert.match(html, /<script src="\/admin\/assets\/analytics\.js\?v=[0-9a-f]{12}" defer><\/script>/);
      assert.doesNotMatch(html, /<script>(?!<)/, 'no inline script');
      const island = /<script type="application\/json" id="analytics-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
      assert.ok(island);
      const data = JSON.parse(island) as ChartData;
      assert.deepEqual(data.days.x, ['03-05 чт', '03-06 пт', '03-07 сб', '03-08 вс', '03-09 пн']);
      assert.deepEqual(data.days.in, [5, 1, 1, 0, 2]);
      assert.deepEqual(data.days.out, [4, 1, 0, 0, 2]);
      assert.deepEqual(data.days.median, [4, 3795, 2703, null, 30], 'minutes: 240 s, 227700 s, 162180 s, none, 1800 s');
      assert.equal(data.hours.x.length, 24);
      assert.equal(data.hours.in[10], 3);
      assert.equal(data.hours.out[9], 4);
    });

    test('English on request; a preset period; a viewer sees operators\' names masked', async () => {
      const en = await get('anna', '/admin/ui/analytics?period=7d&by=bot&lang=en');
      assert.equal(en.statusCode, 200, en.body);
      assert.match(en.body, /First response, median/);
      assert.match(en.body, /Period: 2026-03-04 00:00 — 2026-03-10 12:00 \(Europe\/Moscow\)/);
      assert.match(en.body, /<input type="date" id="from" name="from" value="2026-03-04">/);
      const viewer = await get('victor', `${WEEK}&by=operator`);
      assert.equal(viewer.statusCode, 200);
      assert.doesNotMatch(viewer.body, /Анна|Борис/);
      assert.match(viewer.body, /<td class="nowrap">[^<]*\(7\)<\/td>/, 'the Bitrix24 user id stays');
    });

    test('a period that does not parse is a 400 naming the fix; the chart script is served', async () => {
      const bad = await get('anna', '/admin/ui/analytics?period=custom&from=2026-03-09&to=2026-03-01');
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /id="analytics-problems"[\s\S]*to must be later than from/);
      const cut = await get('anna', '/admin/ui/analytics?by=client');
      assert.equal(cut.statusCode, 400);
      assert.match(cut.body, /by: &quot;client&quot; is not the cut: bot, portal, line/);
      const script = await app.inject({ method: 'GET', url: '/admin/assets/analytics.js', headers: { host: HOST } });
      assert.equal(script.statusCode, 200);
      assert.match(String(script.headers['content-type']), /javascript/);
      assert.match(script.body, /new uPlot\(opts/);
    });
  });
}
