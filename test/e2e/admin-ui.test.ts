/**
 * The admin web UI in a real browser (Debian's Chromium driven by playwright-core) against a
 * running bridge with both emulators (the sandbox): login and logout; every page in the
 * navigation renders with Russian text and no console errors, for an admin and a viewer; a dead
 * letter made for real (an operator's reply to a client who had stopped the bot) is replayed from
 * the UI once the client is back, and reaches the client in MAX; five wrong passwords lock the
 * account (the right one then fails too); a form posted from another site is refused (403) and
 * changes nothing; a viewer cannot post.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_MISSING, launchChromium } from '../../scripts/chromium.ts';
import { hashPassword } from '../../src/admin/password.ts';
import { pageUrl } from '../../src/admin/page.ts';
import { ADMIN_PAGES } from '../../src/admin/pages/index.ts';
import { startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';
import { postOk, until, waitForSetup } from '../helpers/e2e.ts';

const ADMIN = { username: 'anna', password: 'пароль-администратора-1' };
const VIEWER = { username: 'victor', password: 'пароль-наблюдателя-22' };
const LOCKED = { username: 'lena', password: 'пароль-лены-333' };
const CYRILLIC = /[А-Яа-яЁё]/;

describe('admin UI in Chromium', { skip: CHROMIUM_MISSING }, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let evil: Server;
  const dir = mkdtempSync(join(tmpdir(), 'bridge-admin-ui-'));
  const bridgeUrl = () => sandbox.bridge!.url;
  const store = () => sandbox.bridge!.store;

  const portal = () => sandbox.bitrix24.context.portals[0]!;
  const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
  const botTexts = (userId: number) => {
    const chat = [...sandbox.max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
    return (chat?.mids ?? []).map((mid) => sandbox.max.world.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
  };
  const conversationState = async (userId: number) => (await store().db.selectFrom('conversations').select('state').where('max_user_id', '=', String(userId)).executeTakeFirst())?.state;
  const deadCount = async () => (await store().deadLetters.list(1_000)).length;

  /** A new browser context (its own cookies) with a page whose console errors are collected. */
  async function newPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    return { context, page, errors };
  }

  async function logIn(page: Page, who: { username: string; password: string }, path = '/admin/') {
    await page.goto(`${bridgeUrl()}${path}`);
    assert.match(new URL(page.url()).pathname, /^\/admin\/login$/);
    await page.fill('#username', who.username);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
  }

  before(async () => {
    sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir });
    await waitForSetup(sandbox.bitrix24.controlUrl);
    await store().adminUsers.add(ADMIN.username, 'admin', await hashPassword(ADMIN.password));
    await store().adminUsers.add(VIEWER.username, 'viewer', await hashPassword(VIEWER.password));
    await store().adminUsers.add(LOCKED.username, 'admin', await hashPassword(LOCKED.password));
    browser = await launchChromium();
    // Another site: a page that posts a form to the bridge as soon as it opens (a CSRF attempt).
    evil = createServer((req, res) => {
      const target = new URL(req.url ?? '/', 'http://x').searchParams.get('target') ?? '';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><form id="f" method="post" action="${target}"><input name="action" value="replay_all"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    // Some conversations, so the pages have something to show.
    for (const [userId, name] of [[7001, 'Мария'], [7002, 'Олег']] as const) {
      await postOk(`${sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: name }, text: `Здравствуйте, это ${name}` });
      const chat = await until(() => lineChatOf(userId));
      await postOk(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, { text: `Добрый день, ${name}!` });
      await until(() => (botTexts(userId).length > 0 ? true : undefined));
    }
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (evil ? evil.close(resolve) : resolve(undefined)));
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('login and logout', { timeout: 60_000 }, async () => {
    const { context, page, errors } = await newPage();
    await logIn(page, ADMIN);
    assert.equal(new URL(page.url()).pathname, '/admin/');
    assert.equal(await page.locator('h1').textContent(), 'Обзор');
    assert.match((await page.locator('header .user').textContent()) ?? '', /anna \(администратор\)/);
    const cookie = (await context.cookies()).find((c) => c.name === 'bridge_admin_session')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    await Promise.all([page.waitForNavigation(), page.click('header form button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/admin/login');
    assert.equal((await context.cookies()).some((c) => c.name === 'bridge_admin_session'), false, 'the cookie is gone');
    await page.goto(`${bridgeUrl()}/admin/ui/dead-letters`);
    assert.equal(new URL(page.url()).pathname, '/admin/login', 'logged out: back to the login');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('every page in the navigation renders in Russian without console errors, for an admin and a viewer; English on request', { timeout: 120_000 }, async () => {
    const navPages = ADMIN_PAGES.filter((p) => p.nav);
    assert.ok(navPages.length >= 2);
    for (const who of [ADMIN, VIEWER]) {
      const { context, page, errors } = await newPage();
      await logIn(page, who);
      const role = who === ADMIN ? 'admin' : 'viewer';
      for (const p of navPages.filter((x) => (x.roles ?? ['admin', 'viewer']).includes(role))) {
        const res = await page.goto(`${bridgeUrl()}${pageUrl(p.path)}`);
        assert.equal(res?.status(), 200, `${pageUrl(p.path)} as ${role}`);
        const title = (await page.locator('h1').textContent()) ?? '';
        assert.match(title, CYRILLIC, `${pageUrl(p.path)}: a Russian title, got "${title}"`);
        assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
        assert.equal(await page.locator('header nav a.current').textContent(), p.nav!.ru, `${pageUrl(p.path)} is marked in the navigation`);
        assert.match((await page.locator('main').textContent()) ?? '', CYRILLIC);
      }
      assert.deepEqual(errors, [], `console errors as ${role}`);
      await page.goto(`${bridgeUrl()}/admin/?lang=en`);
      assert.equal(await page.locator('h1').textContent(), 'Overview');
      await page.goto(`${bridgeUrl()}/admin/ui/dead-letters`);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the language is remembered');
      await context.close();
    }
  });

  test('a dead letter replayed from the UI reaches the client', { timeout: 120_000 }, async () => {
    const userId = 7101;
    await postOk(`${sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: 'Ирина' }, text: 'Здравствуйте' });
    const chat = await until(() => lineChatOf(userId));
    // The client stops the bot; the operator's reply cannot go: a dead letter, no retries.
    await postOk(`${sandbox.max.controlUrl}/bot-stopped`, { user_id: userId });
    await until(async () => ((await conversationState(userId)) === 'blocked' ? true : undefined));
    await postOk(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, { text: 'Вы ещё здесь?' });
    const dead = await until(async () => (await store().deadLetters.list(1_000)).find((l) => l.errorCode === 'BRG_ERR_CLIENT_BLOCKED'));
    // The client is back.
    await postOk(`${sandbox.max.controlUrl}/bot-started`, { user: { user_id: userId } });
    await until(async () => ((await conversationState(userId)) === 'active' ? true : undefined));
    assert.equal(botTexts(userId).some((t) => t.endsWith('Вы ещё здесь?')), false);

    const { context, page, errors } = await newPage();
    await logIn(page, ADMIN, '/admin/ui/dead-letters');
    assert.equal(new URL(page.url()).pathname, '/admin/ui/dead-letters', 'the login led back to the page asked for');
    const row = page.locator(`#dead-letters tr[data-id="${dead.id}"]`);
    assert.match((await row.textContent()) ?? '', /BRG_ERR_CLIENT_BLOCKED/);
    await Promise.all([page.waitForNavigation(), row.locator('button[type=submit]').click()]);
    assert.match(page.url(), /replayed=1/);
    assert.match((await page.locator('p.notice').textContent()) ?? '', /Поставлено в очередь заново: 1/);
    await until(() => (botTexts(userId).some((t) => t.endsWith('Вы ещё здесь?')) ? true : undefined));
    assert.equal((await store().deadLetters.list(1_000)).some((l) => l.id === dead.id), false, 'no longer a dead letter');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('five wrong passwords lock the account: the right password then fails too', { timeout: 60_000 }, async () => {
    const { context, page } = await newPage();
    await page.goto(`${bridgeUrl()}/admin/login`);
    for (let i = 1; i <= 5; i++) {
      await page.fill('#username', LOCKED.username);
      await page.fill('#password', `неверный-пароль-${i}`);
      await Promise.all([page.waitForNavigation(), page.click('#login')]);
      assert.equal(new URL(page.url()).pathname, '/admin/login');
    }
    await page.fill('#username', LOCKED.username);
    await page.fill('#password', LOCKED.password);
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    assert.equal(new URL(page.url()).pathname, '/admin/login', 'not let in');
    assert.match((await page.locator('#login-error').textContent()) ?? '', /Учётная запись заблокирована до .*user unlock lena/);
    assert.equal((await context.cookies()).some((c) => c.name === 'bridge_admin_session'), false);
    await context.close();
  });

  test('a form posted from another site is refused with 403 and changes nothing', { timeout: 60_000 }, async () => {
    const { context, page } = await newPage();
    await logIn(page, ADMIN);
    // A dead letter the forged "replay all" would replay.
    const userId = 7201;
    await postOk(`${sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: 'Глеб' }, text: 'Здравствуйте' });
    const chat = await until(() => lineChatOf(userId));
    await postOk(`${sandbox.max.controlUrl}/bot-stopped`, { user_id: userId });
    await until(async () => ((await conversationState(userId)) === 'blocked' ? true : undefined));
    await postOk(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, { text: 'Ответ, который не дойдёт' });
    await until(async () => ((await deadCount()) > 0 ? true : undefined));
    const deadBefore = await deadCount();
    const evilPort = (evil.address() as { port: number }).port;
    // The same host on another port (same site: the cookie goes along; the origin differs), and another host name (another site).
    for (const evilOrigin of [`http://127.0.0.1:${evilPort}`, `http://localhost:${evilPort}`]) {
      for (const target of [`${bridgeUrl()}/admin/ui/dead-letters`, `${bridgeUrl()}/admin/logout`]) {
        const answered = page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST');
        await page.goto(`${evilOrigin}/?target=${encodeURIComponent(target)}`);
        const res = await answered;
        assert.equal(res.status(), 403, `${evilOrigin} → ${target}`);
        assert.match(await res.text(), /BRG_ERR_ADMIN_CSRF/);
      }
    }
    assert.equal(await deadCount(), deadBefore, 'nothing was replayed');
    await page.goto(`${bridgeUrl()}/admin/`);
    assert.equal(new URL(page.url()).pathname, '/admin/', 'still logged in: the forged logout did nothing');
    await context.close();
  });

  test('a viewer sees no replay buttons and a form posted anyway is refused (403)', { timeout: 60_000 }, async () => {
    await until(async () => ((await deadCount()) > 0 ? true : undefined));
    const deadBefore = await deadCount();
    const { context, page, errors } = await newPage();
    await logIn(page, VIEWER, '/admin/ui/dead-letters');
    assert.equal(await page.locator('#dead-letters button').count(), 0);
    assert.equal(await page.locator('#replay-all').count(), 0);
    // The viewer builds the admin's form by hand, with their own session's token.
    const answered = page.waitForResponse((r) => r.url() === `${bridgeUrl()}/admin/ui/dead-letters` && r.request().method() === 'POST');
    await page.evaluate(`(() => {
      const f = document.createElement('form'); f.method = 'post'; f.action = '/admin/ui/dead-letters';
      for (const [k, v] of [['_csrf', document.querySelector('input[name=_csrf]').value], ['action', 'replay_all']]) {
        const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i);
      }
      document.body.appendChild(f); f.submit();
    })()`);
    const res = await answered;
    assert.equal(res.status(), 403);
    assert.match(await res.text(), /BRG_ERR_ADMIN_FORBIDDEN/);
    assert.equal(await deadCount(), deadBefore, 'nothing was replayed');
    assert.deepEqual(errors.filter((e) => !/status of 403/.test(e)), []);
    await context.close();
  });
});
