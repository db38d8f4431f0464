/**
 * Analytics end to end (bridge + both emulators over HTTP, SQLite and PostgreSQL): a real
 * operator reply sent through the outbound pipeline is recorded with who wrote it (the
 * Bitrix24 user and the name of the line's signature), the line's own welcome as `system`;
 * the report counts the reply as the conversation's first response, by that operator, and the
 * running bridge's /metrics shows it. On
 * SQLite the Analytics page is also opened in Chromium: it shows the operator, draws its three
 * uPlot charts, and logs no console error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHROMIUM_MISSING, launchChromium } from '../../scripts/chromium.ts';
import { computeReport } from '../../src/analytics/compute-report.ts';
import { analyticsSettingsOf, workingTimeOf } from '../../src/analytics/report-settings.ts';
import { hashPassword } from '../../src/admin/password.ts';
import { analyticsSchema } from '../../src/config/analytics-schema.ts';
import { conversationIdParts, parseConversationId } from '../../src/domain/ids.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, sandboxFor, until } from '../helpers/e2e.ts';
import { sample, scrape } from '../helpers/metrics.ts';


for (const engine of testEngines()) {
  describe(`analytics end to end (${engine.name})`, () => {
    const sandboxOf = sandboxFor(engine, 'bridge-e2e-analytics-');
    const portal = () => sandboxOf().bitrix24.context.portals[0]!;
    const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    const botTexts = (userId: number) => {
      const chat = [...sandboxOf().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
      return (chat?.mids ?? []).map((mid) => sandboxOf().max.world.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
    };
    const startedMs = Date.now();

    test('an operator reply is recorded with its operator, the line\'s welcome as system; the report counts it', async () => {
      const store = sandboxOf().bridge!.store;
      await postOk(`${sandboxOf().max.controlUrl}/messages`, { user: { user_id: 6301, first_name: 'Пётр' }, text: 'Здравствуйте, где мой заказ?' });
      const chat = await until(() => lineChatOf(6301));
      const conversationId = parseConversationId(chat.externalChatId)!;
      await postOk(`${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/system`, { kind: 'welcome' });
      await until(() => (botTexts(6301).length === 1 ? true : undefined));
      await postOk(`${sandboxOf().bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, { text: 'Добрый день! Заказ уже в пути.' });
      await until(() => (botTexts(6301).length === 2 ? true : undefined));
      const parts = await until(async () => {
        const rows = await store.db.selectFrom('outbound_parts').select(['bitrix_message_id', 'actor', 'operator_id', 'operator_name'])
          .where('conversation_id', '=', conversationId).orderBy('id').execute();
        return rows.length === 2 ? rows : undefined;
      });
      assert.deepEqual(parts.map((p) => [p.actor, p.operator_id, p.operator_name]), [
        ['system', null, null],
        ['operator', String(chat.operatorId), 'Анна Смирнова'],
      ]);
      const settings = analyticsSettingsOf(analyticsSchema.parse({ working_hours: { days: 'mon-sun', from: '00:00', to: '24:00' } }));
      const now = Date.now();
      const report = await computeReport(store.analytics, { fromMs: startedMs, toMs: now + 1, nowMs: now + 1, by: ['operator', 'bot'], workingTime: workingTimeOf(settings), sla: settings.sla });
      assert.equal(report.total.messagesIn, 1);
      assert.equal(report.total.repliesOut, 1, 'the welcome is not a reply');
      assert.equal(report.total.unanswered, 0);
      assert.equal(report.total.firstResponse.count, 1);
      const operator = report.by.operator?.[0];
      assert.equal(operator?.key, String(chat.operatorId));
      assert.equal(operator?.name, 'Анна Смирнова');
      assert.equal(operator?.figures.firstResponse.count, 1);
      assert.ok((operator?.figures.firstResponse.medianSeconds ?? -1) >= 0);
      // The same in the running bridge's /metrics (the last 24 hours, by bot).
      const { botId } = conversationIdParts(conversationId);
      const { text } = await scrape(sandboxOf().bridge!.url);
      assert.equal(sample(text, 'bridge_conversations_unanswered', { bot: botId }), 0);
      assert.ok((sample(text, 'bridge_first_response_seconds', { bot: botId, quantile: '0.5' }) ?? -1) >= 0, 'a first response in the last 24 h');
      assert.equal(sample(text, 'bridge_sla_breaches', { bot: botId, kind: 'first_response' }), 0);
    });

    test('the Analytics page in Chromium: the operator in its table, three charts drawn, no console errors', {
      skip: engine.name !== 'sqlite' ? 'the browser once is enough' : CHROMIUM_MISSING,
    }, async () => {
      const store = sandboxOf().bridge!.store;
      await store.adminUsers.add('olga', 'admin', await hashPassword('пароль-аналитика-7'));
      const browser = await launchChromium();
      try {
        const page = await (await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 900 } })).newPage();
        const errors: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(e.message));
        const url = `${sandboxOf().bridge!.url}/admin/ui/analytics?period=today&by=operator`;
        await page.goto(url);
        await page.fill('#username', 'olga');
        await page.fill('#password', 'пароль-аналитика-7');
        await Promise.all([page.waitForNavigation(), page.click('#login')]);
        assert.equal(new URL(page.url()).pathname, '/admin/ui/analytics');
        // A string, evaluated in the page (the test is compiled without DOM types).
        await page.waitForFunction("document.querySelectorAll('.uplot canvas').length === 3", undefined, { timeout: 15_000 });
        assert.match(await page.textContent('#analytics-by-operator') ?? '', /Анна Смирнова \(\d+\)/);
        assert.match(await page.textContent('h1') ?? '', /Аналитика/);
        // The legend names the series in Russian.
        assert.match(await page.textContent('#chart-volume-days') ?? '', /Сообщения клиентов[\s\S]*Ответы операторов/);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    });
  });
}
