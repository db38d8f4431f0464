/**
 * `npm run screenshots`: a picture of each page of the admin UI's navigation, for the docs
 * (docs/screenshots/<page>.png, 1280×800; the overview is overview.png). It starts the sandbox
 * (both emulators and the bridge, on free ports, in a temporary folder), writes a few
 * conversations through the emulators as a client and an operator would (deep-link sources,
 * replies, one client left waiting, one reply to a client who stopped the bot: a dead letter),
 * logs in as the sandbox's admin in Chromium (/usr/bin/chromium, or CHROMIUM_PATH) and takes the
 * pictures. Run it again after a page changes; the pictures are committed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromium } from './chromium.ts';
import { pageUrl } from '../src/admin/page.ts';
import { ADMIN_PAGES } from '../src/admin/pages/index.ts';
import { HANDLED_EVENTS } from '../src/bitrix24/connector-setup.ts';
import { parseConversationId } from '../src/domain/ids.ts';
import { startSandboxWithBridge, type Sandbox } from '../src/cli/sandbox.ts';

const OUT_DIR = resolve('docs/screenshots');
const VIEWPORT = { width: 1280, height: 800 };
const WAIT_MS = 60_000;

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`screenshots: waited ${WAIT_MS / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`screenshots: ${url} answered ${res.status}: ${await res.text()}`);
}

/** A few conversations through the emulators: clients write (some from a deep link), operators answer. */
async function fill(sandbox: Sandbox): Promise<void> {
  const portal = sandbox.bitrix24.context.portals[0]!;
  await until(async () => {
    const { bindings } = (await (await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/bindings`)).json()) as { bindings: Array<{ event: string }> };
    return HANDLED_EVENTS.every((event) => bindings.some((b) => b.event === event)) ? true : undefined;
  }, 'the portal\'s setup');
  const lineChat = (userId: number) => until(() => [...portal.chats.values()].find((c) => c.externalUserId === String(userId)), `the line chat of ${userId}`);
  const botTexts = (userId: number) => {
    const chat = [...sandbox.max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
    return (chat?.mids ?? []).map((mid) => sandbox.max.world.messages.get(mid)!).filter((m) => m.fromBot).length;
  };
  const clients = [
    { id: 7301, first: 'Мария', last: 'Иванова', payload: 'promo_spring', says: 'Здравствуйте! Где мой заказ № 1042?', answer: 'Добрый день, Мария! Заказ передан в доставку, привезут завтра с 10 до 14.' },
    { id: 7302, first: 'Олег', last: 'Петров', payload: null, says: 'Можно оплатить картой при получении?', answer: 'Да, картой или наличными курьеру.' },
    { id: 7303, first: 'Анна', last: 'Смирнова', payload: 'site_header', says: 'Хочу вернуть товар, он не подошёл по размеру.', answer: 'Конечно: оформите возврат в личном кабинете, курьер заберёт бесплатно.' },
    { id: 7304, first: 'Игорь', last: 'Соколов', payload: 'site_header', says: 'Перезвоните мне, пожалуйста: +7 916 123-45-67', answer: null },
  ];
  for (const c of clients) {
    const user = { user_id: c.id, first_name: c.first, last_name: c.last };
    if (c.payload) await post(`${sandbox.max.controlUrl}/bot-started`, { user, payload: c.payload });
    await post(`${sandbox.max.controlUrl}/messages`, { user, text: c.says });
    const chat = await lineChat(c.id);
    if (!c.answer) continue;
    const before = botTexts(c.id);
    await post(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, { text: c.answer });
    await until(() => (botTexts(c.id) > before ? true : undefined), `the reply to ${c.id}`);
  }
  await post(`${sandbox.max.controlUrl}/messages`, { user: { user_id: 7303, first_name: 'Анна', last_name: 'Смирнова' }, text: 'Спасибо!' });
  // A reply to a client who stopped the bot: a dead letter.
  const gone = { user_id: 7305, first_name: 'Вера', last_name: 'Кузнецова' };
  await post(`${sandbox.max.controlUrl}/messages`, { user: gone, text: 'Добрый вечер' });
  const goneChat = await lineChat(7305);
  await post(`${sandbox.max.controlUrl}/bot-stopped`, { user_id: 7305 });
  const store = sandbox.bridge!.store;
  const goneId = parseConversationId(goneChat.externalChatId)!;
  await until(async () => ((await store.conversations.get(goneId))?.state === 'blocked' ? true : undefined), 'the stopped bot');
  await post(`${sandbox.bitrix24.controlUrl}/portals/0/chats/${goneChat.chatId}/reply`, { text: 'Вы ещё здесь?' });
  await until(async () => ((await store.deadLetters.list(10)).length > 0 ? true : undefined), 'the dead letter');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-screenshots-'));
  const sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir, adminUser: true });
  const browser = await launchChromium();
  try {
    await fill(sandbox);
    const admin = sandbox.admin!;
    const context = await browser.newContext({ viewport: VIEWPORT, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
    const page = await context.newPage();
    await page.goto(admin.url);
    await page.fill('#username', admin.username);
    await page.fill('#password', admin.password);
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    mkdirSync(OUT_DIR, { recursive: true });
    for (const p of ADMIN_PAGES.filter((x) => x.nav).sort((a, b) => a.nav!.order - b.nav!.order)) {
      const name = p.path === '' ? 'overview' : p.path.replace(/\//g, '-');
      await page.goto(`${sandbox.bridge!.url}${pageUrl(p.path)}`, { waitUntil: 'networkidle' });
      const file = join(OUT_DIR, `${name}.png`);
      await page.screenshot({ path: file });
      console.log(`${pageUrl(p.path)} → ${file}`);
    }
  } finally {
    await browser.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
