/**
 * The admin UI's Diagnostics page (`/admin/ui/doctor`) in Chromium against the sandbox: the
 * overview links to it; an admin runs the checks with a button (all green on the healthy
 * sandbox, and the overview then shows the outcome); with the bot's token revoked the same
 * button shows max.token failed, with the fix; a viewer sees the last run but no button; no
 * console errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { CHROMIUM_MISSING, launchChromium } from '../../scripts/chromium.ts';
import { hashPassword } from '../../src/admin/password.ts';
import { SANDBOX_BOT_TOKEN, startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';
import { until, waitForSetup } from '../helpers/e2e.ts';

const ADMIN = { username: 'irina', password: 'пароль-администратора-7' };
const VIEWER = { username: 'oleg', password: 'пароль-наблюдателя-77' };

describe('admin UI: Diagnostics', { skip: CHROMIUM_MISSING }, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'bridge-doctor-admin-'));
  const errors: string[] = [];

  async function loggedIn(who: { username: string; password: string }): Promise<Page> {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    await page.goto(`${sandbox.bridge!.url}/admin/`);
    await page.fill('#username', who.username);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    return page;
  }

  const statuses = (page: Page) => page.$$eval('#doctor-results tr[data-check]', (rows) => rows.map((r) => [r.getAttribute('data-check'), r.getAttribute('data-status')]));

  before(async () => {
    sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir });
    await waitForSetup(sandbox.bitrix24.controlUrl);
    await until(async () => ((await sandbox.bridge!.store.readiness.lineStates()).length > 0 ? true : undefined));
    await sandbox.bridge!.store.adminUsers.add(ADMIN.username, 'admin', await hashPassword(ADMIN.password));
    await sandbox.bridge!.store.adminUsers.add(VIEWER.username, 'viewer', await hashPassword(VIEWER.password));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an admin runs the checks from the overview\'s link: all green on the sandbox; a revoked token shows failed with the fix', async () => {
    const page = await loggedIn(ADMIN);
    assert.match(await page.textContent('#diagnostics') ?? '', /Диагностика/);
    await Promise.all([page.waitForNavigation(), page.click('#doctor-link')]);
    assert.equal(new URL(page.url()).pathname, '/admin/ui/doctor');
    assert.ok(await page.$('#doctor-none'));
    await Promise.all([page.waitForNavigation(), page.click('#run-doctor')]);
    assert.equal(new URL(page.url()).pathname, '/admin/ui/doctor');
    const rows = await statuses(page);
    assert.ok(rows.length >= 10, JSON.stringify(rows));
    assert.deepEqual(rows.filter(([, status]) => status !== 'ok' && status !== 'skip'), []);
    assert.ok(rows.some(([id, status]) => id === 'max.token' && status === 'ok'));
    assert.ok(rows.some(([id, status]) => id === 'bitrix24.connector' && status === 'ok'));
    assert.equal((await page.textContent('#doctor-status'))?.trim(), 'всё в порядке');
    await page.goto(`${sandbox.bridge!.url}/admin/`);
    assert.match(await page.textContent('main') ?? '', /Последняя проверка .*в порядке \d+, предупреждений 0, ошибок 0/s);

    await fetch(`${sandbox.max.controlUrl}/bots/100000/token`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'reissued-token-0123456789' }) });
    try {
      await page.goto(`${sandbox.bridge!.url}/admin/ui/doctor?lang=en`);
      await Promise.all([page.waitForNavigation(), page.click('#run-doctor')]);
      const row = await page.$('#doctor-results tr[data-check="max.token"]');
      assert.equal(await row?.getAttribute('data-status'), 'fail');
      assert.match(await row?.textContent() ?? '', /MAX refuses the token of bot sandbox.*What to do: Issue a new bot token/s);
      assert.equal((await page.textContent('#doctor-status'))?.trim(), 'failures');
    } finally {
      await fetch(`${sandbox.max.controlUrl}/bots/100000/token`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: SANDBOX_BOT_TOKEN }) });
    }
  });

  test('a viewer sees the last run but cannot start one', async () => {
    const page = await loggedIn(VIEWER);
    await page.goto(`${sandbox.bridge!.url}/admin/ui/doctor`);
    assert.equal(await page.$('#run-doctor'), null);
    assert.match(await page.textContent('main') ?? '', /Запустить проверку может администратор/);
    assert.ok((await statuses(page)).length >= 10);
    assert.deepEqual(errors, []);
  });
});
