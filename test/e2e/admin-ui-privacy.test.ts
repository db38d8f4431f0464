/**
 * 152-ФЗ in the admin UI, in a real browser (Debian's Chromium driven by playwright-core)
 * against a running bridge with both emulators (the sandbox): a client writes, an operator
 * answers, the client's phone is known; an administrator sees the phone and the name in the list
 * of conversations and on the conversation's page, a viewer sees `+7 *** ***-**-67` and
 * `М*** И***` in the same places and the real ones nowhere on the page; both pages render
 * without console errors; every look is in the journal (who, role, when) and on the page
 * ("Кто смотрел").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { CHROMIUM_MISSING, launchChromium } from '../../scripts/chromium.ts';
import { hashPassword } from '../../src/admin/password.ts';
import { startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';
import { parseConversationId, type ConversationId } from '../../src/domain/ids.ts';
import { postOk, until, waitForSetup } from '../helpers/e2e.ts';

const ADMIN = { username: 'anna', password: 'пароль-администратора-1' };
const VIEWER = { username: 'victor', password: 'пароль-наблюдателя-22' };
const CLIENT = { user_id: 7301, first_name: 'Мария', last_name: 'Иванова' };
const PHONE = '+79161234567';
const MASKED_PHONE = '+7 *** ***-**-67';

describe('admin UI privacy in Chromium: a viewer sees the mask where an admin sees the phone', { skip: CHROMIUM_MISSING }, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let conversationId: ConversationId;
  const dir = mkdtempSync(join(tmpdir(), 'bridge-admin-privacy-'));
  const bridgeUrl = () => sandbox.bridge!.url;
  const store = () => sandbox.bridge!.store;

  /** A signed-in page of its own browser context, collecting console errors. */
  async function signedIn(who: { username: string; password: string }): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    await page.goto(`${bridgeUrl()}/admin/ui/conversations`);
    await page.fill('#username', who.username);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    assert.equal(new URL(page.url()).pathname, '/admin/ui/conversations');
    return { page, errors, close: () => context.close() };
  }

  /** What one reader sees of the client: in the list, then on the conversation's page (opened by its link). */
  async function look(who: { username: string; password: string }) {
    const { page, errors, close } = await signedIn(who);
    const row = page.locator(`tr[data-conversation="${conversationId}"]`);
    const inList = { phone: await row.locator('.client-phone').textContent(), name: await row.locator('.client-name').textContent() };
    const listText = await page.locator('main').textContent();
    await Promise.all([page.waitForNavigation(), row.locator('a.client-name').click()]);
    assert.equal(decodeURIComponent(new URL(page.url()).pathname), `/admin/ui/conversations/${conversationId}`);
    assert.match((await page.locator('h1').textContent()) ?? '', /Диалог/);
    const onPage = { phone: await page.locator('dd.client-phone').textContent(), name: await page.locator('dd.client-name').textContent() };
    const pageText = await page.locator('main').textContent();
    const html = await page.content();
    await close();
    return { inList, onPage, listText: listText ?? '', pageText: pageText ?? '', html, errors };
  }

  before(async () => {
    sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir });
    await waitForSetup(sandbox.bitrix24.controlUrl);
    await store().adminUsers.add(ADMIN.username, 'admin', await hashPassword(ADMIN.password));
    await store().adminUsers.add(VIEWER.username, 'viewer', await hashPassword(VIEWER.password));
    browser = await launchChromium();
    // A client writes, an operator answers; the client's phone is known (shared as a contact when the CRM asks for it).
    await postOk(`${sandbox.max.controlUrl}/messages`, { user: CLIENT, text: 'Здравствуйте, где мой заказ?' });
    const portal = sandbox.bitrix24.context.portals[0]!;
    const chat = await until(() => [...portal.chats.values()].find((c) => c.externalUserId === String(CLIENT.user_id)));
    await postOk(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, { text: 'Добрый день! Заказ в пути.' });
    conversationId = parseConversationId(chat.externalChatId)!;
    assert.ok(conversationId, chat.externalChatId);
    await until(async () => ((await store().conversationList.list({ search: String(CLIENT.user_id) })).rows[0]?.lastOut ? true : undefined));
    await store().conversations.setClientPhone(conversationId, PHONE);
  });
  after(async () => {
    await browser?.close();
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the admin sees the phone and the name; the viewer sees +7 *** ***-**-67 and М*** И*** in the same places; each look is journaled', { timeout: 120_000 }, async () => {
    const startedMs = Date.now();
    const admin = await look(ADMIN);
    assert.deepEqual(admin.inList, { phone: PHONE, name: 'Мария Иванова' });
    assert.deepEqual(admin.onPage, { phone: PHONE, name: 'Мария Иванова' });
    assert.match(admin.pageText, /Добрый день! Заказ в пути\./, 'the dialogue, both ways');
    assert.deepEqual(admin.errors, []);

    const viewer = await look(VIEWER);
    assert.deepEqual(viewer.inList, { phone: MASKED_PHONE, name: 'М*** И***' });
    assert.deepEqual(viewer.onPage, { phone: MASKED_PHONE, name: 'М*** И***' });
    for (const text of [viewer.listText, viewer.pageText, viewer.html]) {
      assert.ok(!text.includes(PHONE) && !text.includes('79161234567'), 'the phone is nowhere on a viewer\'s page');
      assert.ok(!text.includes('Иванова'), 'nor the last name');
    }
    assert.match(viewer.pageText, /Вы наблюдатель/);
    assert.deepEqual(viewer.errors, []);
    // "Кто смотрел" on the viewer's page lists the admin's look before it.
    assert.match(viewer.pageText, /Кто смотрел[\s\S]*victor[\s\S]*наблюдатель[\s\S]*anna[\s\S]*администратор/);

    const looks = (await store().journal.search({ conversationId, side: 'admin', limit: 100 })).rows
      .filter((r) => r.endpoint === 'conversation').map((r) => ({ ...(JSON.parse(r.requestBody ?? '{}') as object), atMs: r.atMs, method: r.method, client: r.maxUserId }));
    assert.deepEqual(looks.map(({ atMs: _, ...rest }) => rest), [
      { viewer: 'victor', role: 'viewer', page: 'conversation', method: 'VIEW', client: String(CLIENT.user_id) },
      { viewer: 'anna', role: 'admin', page: 'conversation', method: 'VIEW', client: String(CLIENT.user_id) },
    ]);
    assert.ok(looks.every((l) => l.atMs >= startedMs && l.atMs <= Date.now()), 'when: the time of each look');
  });
});
