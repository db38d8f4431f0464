/**
 * The sandbox round trip in a real browser (Debian's Chromium driven by
 * playwright-core): on the client page a client starts the bot, writes a
 * message, sends a file and presses a button; everything appears on the
 * operator page's Open Line; the operator's reply appears on the client page
 * and is shown as delivered on the operator page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser } from 'playwright-core';
import { CHROMIUM_MISSING, launchChromium } from '../../scripts/chromium.ts';
import { startSandboxWithBridge, SANDBOX_BOT_TOKEN, type Sandbox } from '../../src/cli/sandbox.ts';


describe('sandbox round trip in Chromium', { skip: CHROMIUM_MISSING }, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'bridge-browser-'));

  before(async () => {
    sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir });
    // Playwright starts Chromium with a fresh temporary profile each time.
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('client message, file and button press reach the operator; the reply reaches the client, delivered', { timeout: 120_000 }, async () => {
    const client = await browser.newPage();
    const operator = await browser.newPage();
    await client.goto(`${sandbox.max.controlUrl}/ui`);
    await operator.goto(`${sandbox.bitrix24.controlUrl}/ui`);
    await client.locator('#bot option').first().waitFor({ state: 'attached' });
    await client.fill('#uid', '5501');
    await client.fill('#uname', 'Мария');
    await client.click('#start');
    await client.fill('#text', 'Здравствуйте, где мой заказ?');
    await client.click('#send button[type=submit]');
    // The operator opens the new dialog in the Open Line.
    await operator.locator('.chat', { hasText: 'Мария' }).click({ timeout: 30_000 });
    await operator.locator('#msgs .m.in', { hasText: 'Здравствуйте, где мой заказ?' }).waitFor({ timeout: 30_000 });
    // A file from the client.
    await client.setInputFiles('#file', { name: 'чек.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 чек') });
    await client.click('#send button[type=submit]');
    await operator.locator('#msgs a', { hasText: 'чек.pdf' }).waitFor({ timeout: 30_000 });
    // The operator answers; the client sees it, the operator sees it delivered.
    await operator.fill('#text', '[b]Заказ[/b] в пути');
    await operator.click('#reply button[type=submit]');
    await client.locator('#log .msg.bot', { hasText: 'Заказ в пути' }).waitFor({ timeout: 30_000 });
    // "доставлено" is a substring of "не доставлено": wait until no operator message says the latter.
    // (A string, evaluated in the page: the test itself is compiled without DOM types.)
    await operator.waitForFunction(
      `(() => { const out = [...document.querySelectorAll('#msgs .m.out')];
        return out.some((e) => e.textContent.includes('Заказ')) && !out.some((e) => e.textContent.includes('не доставлено')); })()`,
      undefined, { timeout: 30_000 },
    );
    assert.equal(await operator.locator('#msgs .m.out', { hasText: 'не доставлено' }).count(), 0);
    // A button press: the bot (through the MAX API) offers a choice; the client presses it.
    const chats = ((await (await fetch(`${sandbox.max.controlUrl}/state`)).json()) as { chats: Array<{ chat_id: number; user_id: number }> }).chats;
    const chatId = chats.find((c) => c.user_id === 5501)!.chat_id;
    await fetch(`${sandbox.max.baseUrl}/messages?chat_id=${chatId}`, {
      method: 'POST', headers: { authorization: SANDBOX_BOT_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Оцените ответ', attachments: [{ type: 'inline_keyboard', payload: { buttons: [[{ type: 'callback', text: 'Отлично', payload: 'rate_5' }]] } }] }),
    });
    await client.locator('#log button.cb', { hasText: 'Отлично' }).click({ timeout: 30_000 });
    await operator.locator('#msgs .m.in', { hasText: 'Клиент нажал кнопку: «Отлично»' }).waitFor({ timeout: 30_000 });
    await client.screenshot({ path: join(dir, 'client.png') });
  });
});
