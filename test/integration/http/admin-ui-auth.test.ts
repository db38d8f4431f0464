/**
 * The admin web UI's access rules through HTTP (Fastify inject), on both engines: no session →
 * the login; a login sets an HttpOnly SameSite=Strict cookie whose token the store keeps only
 * hashed; pages carry the security headers; five wrong passwords lock the account (the right one
 * is then refused too) until 15 minutes pass or `unlock`; every form needs the session's CSRF
 * token and may not come from another site (403 BRG_ERR_ADMIN_CSRF, nothing done); a viewer
 * cannot post (403 BRG_ERR_ADMIN_FORBIDDEN) and sees phones masked; logout and idle expiry end
 * the session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { LOCKOUT_MS, SESSION_IDLE_MS } from '../../../src/admin/access.ts';
import { hashPassword } from '../../../src/admin/password.ts';
import { configSchema, type BridgeConfigData } from '../../../src/config/schema.ts';
import { buildApp } from '../../../src/http/app.ts';
import { adminUiPlugin, SESSION_COOKIE } from '../../../src/http/plugins/admin-ui.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const ADMIN_PASSWORD = 'правильный-пароль-1';
const VIEWER_PASSWORD = 'viewer-password-22';
const HOST = 'bridge.test';
const OWN = `http://${HOST}`;

interface Session {
  cookie: string;
  csrf: string;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded', host: HOST };

function cookieOf(res: LightMyRequestResponse, name: string): string | undefined {
  const raw = res.headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return all.find((c) => c.startsWith(`${name}=`));
}

const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

for (const engine of testEngines()) {
  describe(`admin UI access (${engine.name})`, () => {
    const clock = new ManualClock();
    let store: Store;
    let config: BridgeConfigData;
    let app: FastifyInstance;
    let pokes = 0;
    const logLines: string[] = [];

    const deadLetter = async (error: string) => {
      const id = await store.jobs.enqueue({ kind: 'bitrix24.event', conversationKey: `c-${Math.random()}`, payload: {} });
      // Jobs replayed by an earlier test are pending before it: they are done now (as a runner would do them).
      for (;;) {
        const job = (await store.jobs.claim({ workerId: 'w', leaseMs: 1_000 }))!;
        if (job.id !== id) {
          await store.jobs.complete(job);
          continue;
        }
        await store.jobs.markDead(job, { code: 'BRG_ERR_CLIENT_BLOCKED', message: error, response: null });
        return id;
      }
    };
    const logIn = async (username: string, password: string, extra: Record<string, string> = {}) => app.inject({
      method: 'POST', url: '/admin/login', headers: { ...FORM, origin: OWN, ...extra }, payload: form({ username, password, next: '/admin/ui/dead-letters' }),
    });
    const session = async (username: string, password: string): Promise<Session> => {
      const res = await logIn(username, password);
      assert.equal(res.statusCode, 303, res.body);
      const cookie = cookieOf(res, SESSION_COOKIE)!.split(';')[0]!;
      const page = await app.inject({ method: 'GET', url: '/admin/', headers: { cookie, host: HOST } });
      return { cookie, csrf: csrfIn(page.body) };
    };
    const post = (s: Session, url: string, fields: Record<string, string>, headers: Record<string, string> = { origin: OWN }) => app.inject({
      method: 'POST', url, headers: { ...FORM, cookie: s.cookie, ...headers }, payload: form(fields),
    });

    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock });
      config = configSchema.parse({ security: { secret_key: TEST_SECRET_KEY } });
      await store.adminUsers.add('anna', 'admin', await hashPassword(ADMIN_PASSWORD));
      await store.adminUsers.add('victor', 'viewer', await hashPassword(VIEWER_PASSWORD));
      app = buildApp({ plugins: [adminUiPlugin({ deps: {
        store, config: () => config, nowMs: () => clock.nowMs(), journal: store.journal, policy: () => config.privacy, log: createLogger({ destination: { write: (line: string) => void logLines.push(line) } }),
        poke: () => { pokes += 1; },
      } })] });
      await app.ready();
    });
    after(async () => {
      await app.close();
      await store.close();
      await engine.dropAll();
    });

    test('without a session a page redirects to the login with the way back; the login page is Russian', async () => {
      const res = await app.inject({ method: 'GET', url: '/admin/ui/dead-letters?code=X', headers: { host: HOST } });
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, `/admin/login?next=${encodeURIComponent('/admin/ui/dead-letters?code=X')}`);
      const login = await app.inject({ method: 'GET', url: res.headers.location as string, headers: { host: HOST } });
      assert.equal(login.statusCode, 200);
      assert.match(login.body, /Имя пользователя/);
      assert.match(login.body, /name="next" value="\/admin\/ui\/dead-letters\?code=X"/);
      assert.equal((await app.inject({ method: 'GET', url: '/admin/', headers: { host: HOST } })).statusCode, 303);
      // A `next` to another site is not followed.
      const away = await app.inject({ method: 'GET', url: '/admin/login?next=//evil.example/x', headers: { host: HOST } });
      assert.match(away.body, /name="next" value="\/admin\/"/);
    });

    test('a login sets an HttpOnly SameSite=Strict cookie for /admin; the store keeps only its hash; pages carry the security headers', async () => {
      const res = await logIn('anna', ADMIN_PASSWORD);
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, '/admin/ui/dead-letters');
      const cookie = cookieOf(res, SESSION_COOKIE)!;
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.match(cookie, /Path=\/admin/);
      assert.doesNotMatch(cookie, /Secure/, 'plain HTTP and an http public_url: no Secure flag');
      const token = cookie.split(';')[0]!.split('=')[1]!;
      assert.ok(!logLines.some((l) => l.includes(token)), 'no session token in the log');
      const rows = await store.db.selectFrom('admin_sessions').selectAll().execute();
      assert.ok(rows.length >= 1);
      assert.ok(rows.every((r) => r.token_hash !== token && !JSON.stringify(r).includes(token)), 'the token itself is not stored');
      const page = await app.inject({ method: 'GET', url: '/admin/', headers: { cookie: cookie.split(';')[0]!, host: HOST } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<html lang="ru">/);
      assert.match(page.body, /Обзор/);
      assert.match(page.body, /anna \(администратор\)/);
      assert.match(String(page.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/);
      assert.equal(page.headers['x-frame-options'], 'DENY');
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.ok(page.headers['referrer-policy']);
      // English on request, remembered in a cookie.
      const en = await app.inject({ method: 'GET', url: '/admin/?lang=en', headers: { cookie: cookie.split(';')[0]!, host: HOST } });
      assert.match(en.body, /<html lang="en">/);
      assert.match(en.body, /Overview/);
      assert.match(cookieOf(en, 'bridge_admin_lang') ?? '', /^bridge_admin_lang=en/);
    });

    test('the session cookie is Secure when public_url is https', async () => {
      const before = config;
      config = configSchema.parse({ security: { secret_key: TEST_SECRET_KEY }, server: { public_url: 'https://bridge.example.ru' } });
      try {
        const res = await app.inject({
          method: 'POST', url: '/admin/login', headers: { ...FORM, origin: 'https://bridge.example.ru' }, payload: form({ username: 'anna', password: ADMIN_PASSWORD }),
        });
        assert.equal(res.statusCode, 303);
        assert.match(cookieOf(res, SESSION_COOKIE)!, /Secure/);
      } finally {
        config = before;
      }
    });

    test('five wrong passwords in a row lock the account: the right one is refused until 15 minutes pass', async () => {
      await store.adminUsers.add('lena', 'admin', await hashPassword(ADMIN_PASSWORD));
      for (let i = 1; i <= 4; i++) {
        const res = await logIn('lena', `wrong-password-${i}`);
        assert.equal(res.statusCode, 401);
        assert.match(res.body, /Неверное имя пользователя или пароль/);
        assert.match(res.body, /BRG_ERR_ADMIN_LOGIN_FAILED/);
        assert.equal(cookieOf(res, SESSION_COOKIE), undefined);
      }
      const fifth = await logIn('lena', 'wrong-password-5');
      assert.match(fifth.body, /Учётная запись заблокирована до/);
      const right = await logIn('lena', ADMIN_PASSWORD);
      assert.equal(right.statusCode, 401);
      assert.match(right.body, /заблокирована/);
      assert.match(right.body, /user unlock lena/);
      assert.match(right.body, /BRG_ERR_ADMIN_LOCKED/);
      assert.equal(cookieOf(right, SESSION_COOKIE), undefined);
      await clock.advance(LOCKOUT_MS + 1);
      assert.equal((await logIn('lena', ADMIN_PASSWORD)).statusCode, 303, 'the lock ends by itself');
      // `user unlock` lifts a lock at once.
      for (let i = 0; i < 5; i++) await logIn('lena', 'wrong-password');
      assert.equal((await logIn('lena', ADMIN_PASSWORD)).statusCode, 401);
      assert.equal(await store.adminUsers.unlock('lena'), true);
      assert.equal((await logIn('lena', ADMIN_PASSWORD)).statusCode, 303);
      // An unknown name is refused like a wrong password.
      const unknown = await logIn('nobody', ADMIN_PASSWORD);
      assert.equal(unknown.statusCode, 401);
      assert.match(unknown.body, /Неверное имя пользователя или пароль/);
      assert.match(unknown.body, /BRG_ERR_ADMIN_LOGIN_FAILED/);
      // A form without the password is bad input: 400 naming its code.
      const incomplete = await logIn('lena', '');
      assert.equal(incomplete.statusCode, 400);
      assert.match(incomplete.body, /BRG_ERR_ADMIN_LOGIN_INCOMPLETE/);
      // The log has each failure, the lock and the logins, never a password.
      const lena = logLines.map((l) => JSON.parse(l) as { msg: string; admin?: string; failures?: number }).filter((l) => l.admin === 'lena');
      assert.deepEqual(lena.slice(0, 6).map((l) => [l.msg, l.failures]), [
        ...[1, 2, 3, 4].map((n) => ['admin UI: login failed', n]),
        ['admin UI: account locked after repeated wrong passwords', undefined],
        ['admin UI: login to a locked account refused', undefined],
      ]);
      assert.ok(lena.some((l) => l.msg === 'admin UI: logged in'));
      assert.ok(!logLines.some((l) => l.includes(ADMIN_PASSWORD) || l.includes('wrong-password')), 'no password in the log');
    });

    test('a form without the session\'s token, or from another site, is refused with 403 BRG_ERR_ADMIN_CSRF and does nothing', async () => {
      const s = await session('anna', ADMIN_PASSWORD);
      assert.ok(s.csrf.length > 20);
      const id = await deadLetter('клиент остановил бота');
      const refusals = [
        await post(s, '/admin/ui/dead-letters', { action: 'replay', id: String(id) }),
        await post(s, '/admin/ui/dead-letters', { action: 'replay', id: String(id), _csrf: 'x'.repeat(s.csrf.length) }),
        await post(s, '/admin/ui/dead-letters', { action: 'replay', id: String(id), _csrf: s.csrf }, { origin: 'http://evil.example' }),
        await post(s, '/admin/ui/dead-letters', { action: 'replay', id: String(id), _csrf: s.csrf }, { origin: 'null' }),
        await post(s, '/admin/ui/dead-letters', { action: 'replay', id: String(id), _csrf: s.csrf }, { referer: 'http://evil.example/page' }),
        await post(s, '/admin/ui/dead-letters', { action: 'replay', id: String(id), _csrf: s.csrf }, { 'sec-fetch-site': 'cross-site' }),
        // Without the cookie (SameSite kept it back) a cross-site form is still a 403, not a login page.
        await app.inject({ method: 'POST', url: '/admin/logout', headers: { ...FORM, origin: 'http://evil.example' }, payload: form({}) }),
      ];
      for (const res of refusals) {
        assert.equal(res.statusCode, 403, res.body);
        assert.match(res.body, /BRG_ERR_ADMIN_CSRF/);
      }
      assert.equal((await store.jobs.get(id))?.state, 'dead', 'nothing was replayed');
      assert.equal(pokes, 0);
      // The same form from the UI itself goes through (Origin ours, or no Origin/Referer at all).
      const ok = await post(s, '/admin/ui/dead-letters', { action: 'replay', id: String(id), _csrf: s.csrf });
      assert.equal(ok.statusCode, 303);
      assert.equal(ok.headers.location, '/admin/ui/dead-letters?replayed=1');
      assert.equal((await store.jobs.get(id))?.state, 'pending');
      assert.equal(pokes, 1, 'the runner was woken');
      const noHeaders = await post(s, '/admin/ui/dead-letters', { action: 'replay_all', _csrf: s.csrf }, {});
      assert.equal(noHeaders.statusCode, 303);
    });

    test('a viewer reads with phones masked but cannot post (403 BRG_ERR_ADMIN_FORBIDDEN); an admin sees the phone', async () => {
      const id = await deadLetter('MAX refused the reply to +79161234567');
      const viewer = await session('victor', VIEWER_PASSWORD);
      const page = await app.inject({ method: 'GET', url: '/admin/ui/dead-letters', headers: { cookie: viewer.cookie, host: HOST } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /victor \(наблюдатель\)/);
      assert.match(page.body, /\+7 \*\*\* \*\*\*-\*\*-67/);
      assert.doesNotMatch(page.body, /79161234567/);
      assert.doesNotMatch(page.body, /name="action" value="replay"/, 'no replay buttons for a viewer');
      const refused = await post(viewer, '/admin/ui/dead-letters', { action: 'replay', id: String(id), _csrf: viewer.csrf });
      assert.equal(refused.statusCode, 403);
      assert.match(refused.body, /BRG_ERR_ADMIN_FORBIDDEN/);
      assert.equal((await store.jobs.get(id))?.state, 'dead');
      const admin = await session('anna', ADMIN_PASSWORD);
      const adminPage = await app.inject({ method: 'GET', url: '/admin/ui/dead-letters', headers: { cookie: admin.cookie, host: HOST } });
      assert.match(adminPage.body, /\+79161234567/);
      // A viewer may still log out.
      const out = await post(viewer, '/admin/logout', { _csrf: viewer.csrf });
      assert.equal(out.statusCode, 303);
    });

    test('logout deletes the session; a session idle for 12 hours ends', async () => {
      const s = await session('anna', ADMIN_PASSWORD);
      const sessionsBefore = (await store.db.selectFrom('admin_sessions').select('token_hash').execute()).length;
      const out = await post(s, '/admin/logout', { _csrf: s.csrf });
      assert.equal(out.statusCode, 303);
      assert.equal(out.headers.location, '/admin/login');
      assert.match(cookieOf(out, SESSION_COOKIE) ?? '', /Expires=Thu, 01 Jan 1970/);
      assert.equal((await store.db.selectFrom('admin_sessions').select('token_hash').execute()).length, sessionsBefore - 1);
      assert.equal((await app.inject({ method: 'GET', url: '/admin/', headers: { cookie: s.cookie, host: HOST } })).statusCode, 303);
      const idle = await session('anna', ADMIN_PASSWORD);
      await clock.advance(SESSION_IDLE_MS - 60_000);
      assert.equal((await app.inject({ method: 'GET', url: '/admin/', headers: { cookie: idle.cookie, host: HOST } })).statusCode, 200, 'used within 12 h: still on');
      await clock.advance(SESSION_IDLE_MS - 60_000);
      assert.equal((await app.inject({ method: 'GET', url: '/admin/', headers: { cookie: idle.cookie, host: HOST } })).statusCode, 200, 'each use pushes the expiry');
      await clock.advance(SESSION_IDLE_MS + 1);
      assert.equal((await app.inject({ method: 'GET', url: '/admin/', headers: { cookie: idle.cookie, host: HOST } })).statusCode, 303, 'idle for 12 h: ended');
    });

    test('assets: our stylesheet and uPlot, cached for a year under their hash', async () => {
      const page = await app.inject({ method: 'GET', url: '/admin/login', headers: { host: HOST } });
      const css = /href="(\/admin\/assets\/admin\.css\?v=[0-9a-f]+)"/.exec(page.body)?.[1];
      assert.ok(css);
      const res = await app.inject({ method: 'GET', url: css });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /text\/css/);
      assert.match(String(res.headers['cache-control']), /immutable/);
      const uplot = await app.inject({ method: 'GET', url: '/admin/assets/uplot.js' });
      assert.equal(uplot.statusCode, 200);
      assert.match(uplot.body, /uPlot/);
      assert.ok(uplot.body.length < 100_000, 'a small script, not a bundle');
      assert.equal((await app.inject({ method: 'GET', url: '/admin/assets/..%2Fpackage.json' })).statusCode, 404);
    });
  });
}
