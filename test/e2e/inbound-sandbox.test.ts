/**
 * End to end over HTTP (bridge + both emulators, SQLite): installing the app
 * sets up the connector; a client's message in MAX appears in the Open Line with
 * a CRM lead; a redelivered update changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';
import { testEngines } from '../helpers/databases.ts';
import { until } from '../helpers/e2e.ts';
import { untilIdle } from '../helpers/settled.ts';

for (const engine of testEngines()) {
  describe(`inbound end to end (${engine.name})`, () => {
    let sandbox: Sandbox;
    const dir = mkdtempSync(join(tmpdir(), 'bridge-e2e-'));


    const b24 = async (path: string) => (await (await fetch(`${sandbox.bitrix24.controlUrl}${path}`)).json()) as Record<string, unknown>;
    const maxCtl = (path: string, body: unknown) =>
      fetch(`${sandbox.max.controlUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    before(async () => {
      sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir, databaseUrl: await engine.createDatabase() });
    });
    after(async () => {
      await sandbox.close();
      await engine.dropAll();
      rmSync(dir, { recursive: true, force: true });
    });

    test('install sets up the connector on a line and binds events once', async () => {
      const state = await until(async () => {
        const s = (await b24('/state')) as { portals: Array<{ lines: Array<{ ID: string; connectors: string[] }> }> };
        return s.portals[0]?.lines.some((l) => l.connectors.includes('max_bridge')) ? s : undefined;
      });
      assert.ok(state);
      // Events are bound after the line is activated: wait for the last step of the setup job.
      const bindings = await until(async () => {
        const list = (await b24('/portals/0/bindings')).bindings as Array<{ event: string }>;
        return list.some((b) => b.event === 'ONAPPUNINSTALL') ? list : undefined;
      });
      assert.equal(bindings.filter((b) => b.event === 'ONIMCONNECTORMESSAGEADD').length, 1);
    });

    test('a client message in MAX appears in the Open Line, formatted, with a CRM lead', async () => {
      await maxCtl('/bot-started', { user: { user_id: 5001, first_name: 'Иван', last_name: 'Петров' }, payload: 'utm_source=site' });
      await maxCtl('/messages', { user: { user_id: 5001 }, text: 'Здравствуйте, нужна помощь', markup: [{ type: 'strong', from: 0, length: 12 }] });
      const chat = await until(async () => {
        const chats = (await b24('/portals/0/chats')).chats as Array<{ messages: Array<{ text: string }>; crm: { LEAD: number }; externalUser: { name: string } }>;
        return chats.find((c) => c.messages.some((m) => m.text.includes('нужна помощь')));
      });
      assert.equal(chat.messages.at(-1)?.text, '[b]Здравствуйте[/b], нужна помощь');
      assert.equal(chat.externalUser.name, 'Иван');
      // The line's CRM tracker binds a lead seconds after the message (spec bitrix24-rest §6).
      const bound = await until(async () => {
        const chats = (await b24('/portals/0/chats')).chats as Array<{ chatId: number; crm: { LEAD: number } }>;
        const lead = chats.find((c) => c.chatId === (chat as unknown as { chatId: number }).chatId)?.crm.LEAD ?? 0;
        return lead > 0 ? lead : undefined;
      });
      assert.ok(bound > 0, 'the CRM tracker created a lead');
    });

    test('a redelivered update changes nothing', async () => {
      const before = (await b24('/portals/0/chats')).chats as Array<{ messages: unknown[] }>;
      const count = before.reduce((n, c) => n + c.messages.length, 0);
      const updates = ((await (await fetch(`${sandbox.max.controlUrl}/updates`)).json()) as { updates: Array<{ update: Record<string, unknown> }> }).updates;
      const created = updates.find((u) => u.update.update_type === 'message_created')!.update;
      const res = await fetch(`${sandbox.bridge!.url}/max/webhook/sandbox`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': 'sandbox_webhook_secret' }, body: JSON.stringify(created),
      });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { duplicate: boolean }).duplicate, true);
      await untilIdle(sandbox.bridge!, sandbox);
      const afterChats = (await b24('/portals/0/chats')).chats as Array<{ messages: unknown[] }>;
      assert.equal(afterChats.reduce((n, c) => n + c.messages.length, 0), count);
    });

    type LineChat = { chatId: number; messages: Array<{ text: string; deleted: boolean; externalIds: string[] }>; crm: { LEAD: number }; externalUser: { phone?: string } };
    const lineChats = async () => (await b24('/portals/0/chats')).chats as LineChat[];
    const lineTexts = async () => (await lineChats()).flatMap((c) => c.messages.filter((m) => !m.deleted).map((m) => m.text));

    test('bot_started carries its deep-link payload into the line', async () => {
      const texts = await until(async () => {
        const t = await lineTexts();
        return t.some((x) => x.includes('utm_source=site')) ? t : undefined;
      });
      assert.ok(texts.includes('Клиент запустил бота (источник: utm_source=site)'));
    });

    test('edit and delete in MAX update and delete the message in the line', async () => {
      const sent = (await (await maxCtl('/messages', { user: { user_id: 5001 }, text: 'опечатка' })).json()) as { message: { body: { mid: string } } };
      const mid = sent.message.body.mid;
      await until(async () => ((await lineTexts()).includes('опечатка') ? true : undefined));
      await fetch(`${sandbox.max.controlUrl}/messages/${mid}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'исправлено' }) });
      await until(async () => ((await lineTexts()).includes('исправлено') ? true : undefined));
      await fetch(`${sandbox.max.controlUrl}/messages/${mid}`, { method: 'DELETE' });
      await until(async () => ((await lineTexts()).includes('исправлено') ? undefined : true));
    });

    test('contact, location and share arrive as readable text; the contact phone reaches the client card', async () => {
      await maxCtl('/messages', { user: { user_id: 5001 }, attachments: [{ type: 'contact', name: 'Иван Петров', phone: '+79991234567' }] });
      await maxCtl('/messages', { user: { user_id: 5001 }, attachments: [{ type: 'location', latitude: 55.751244, longitude: 37.618423 }] });
      await maxCtl('/messages', { user: { user_id: 5001 }, attachments: [{ type: 'share', url: 'https://example.ru/a', title: 'Статья' }] });
      const texts = await until(async () => {
        const t = await lineTexts();
        return t.some((x) => x.startsWith('Ссылка')) ? t : undefined;
      });
      assert.ok(texts.includes('Контакт: Иван Петров, +79991234567'));
      assert.ok(texts.some((t) => t.startsWith('Геопозиция: [url=https://yandex.ru/maps/?pt=37.618423,55.751244')));
      assert.ok(texts.includes('Ссылка: [url=https://example.ru/a]Статья[/url]'));
      assert.equal((await lineChats())[0]?.externalUser.phone, '+79991234567');
    });

    test('a pressed button is shown to the operator and answered in MAX', async () => {
      const res = await fetch(`${sandbox.max.baseUrl}/messages?user_id=5001`, {
        method: 'POST', headers: { authorization: 'sandbox-bot-token', 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Оценить?', attachments: [{ type: 'inline_keyboard', payload: { buttons: [[{ type: 'callback', text: 'Отлично', payload: 'rate_5' }]] } }] }),
      });
      const mid = ((await res.json()) as { message: { body: { mid: string } } }).message.body.mid;
      const pressed = (await (await maxCtl('/callbacks', { user_id: 5001, mid, payload: 'rate_5' })).json()) as { callback: { callback_id: string } };
      await until(async () => ((await lineTexts()).includes('Клиент нажал кнопку: «Отлично»') ? true : undefined));
      const answers = await until(async () => {
        const cb = (await (await fetch(`${sandbox.max.controlUrl}/callbacks/${pressed.callback.callback_id}`)).json()) as { answers: unknown[] };
        return cb.answers.length > 0 ? cb.answers : undefined;
      });
      assert.deepEqual(answers, [{ notification: 'Принято' }]);
    });

    test('bot_stopped blocks the conversation and tells the operator', async () => {
      await maxCtl('/bot-stopped', { user_id: 5001 });
      await until(async () => ((await lineTexts()).some((t) => t.startsWith('Клиент остановил бота')) ? true : undefined));
      const conv = await sandbox.bridge!.store.db.selectFrom('conversations').selectAll().executeTakeFirstOrThrow();
      assert.equal(conv.state, 'blocked');
      assert.match(conv.source_json ?? '', /utm_source=site/);
    });

    test('after ONIMCONNECTORLINEDELETE nothing more is sent to that line; reinstall restores it without duplicate bindings', async () => {
      await maxCtl('/bot-started', { user: { user_id: 6001, first_name: 'Ольга' } });
      // Let that update reach the line first, so the deletion below races with nothing.
      await until(async () => ((await b24('/portals/0/chats')).chats as Array<{ externalUser: { name?: string } }>).some((c) => c.externalUser.name === 'Ольга') ? true : undefined);
      const state = (await b24('/state')) as { portals: Array<{ lines: Array<{ ID: string; connectors: string[] }> }> };
      const line = state.portals[0]!.lines.find((l) => l.connectors.includes('max_bridge'))!;
      await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/lines/${line.ID}`, { method: 'DELETE' });
      await until(async () => {
        const row = await sandbox.bridge!.store.db.selectFrom('lines').selectAll().where('line_id', '=', Number(line.ID)).executeTakeFirst();
        return row?.state === 'paused' ? true : undefined;
      });
      const requestsBefore = ((await b24('/requests')).requests as Array<{ method: string }>).filter((r) => r.method === 'imconnector.send.messages').length;
      await maxCtl('/messages', { user: { user_id: 6001 }, text: 'пока линии нет' });
      // Taken in and queued: its item waits in the paused line's outbox.
      await untilIdle(sandbox.bridge!, sandbox);
      const requestsAfter = ((await b24('/requests')).requests as Array<{ method: string }>).filter((r) => r.method === 'imconnector.send.messages').length;
      assert.equal(requestsAfter, requestsBefore, 'no send to a deleted line');
      // Reinstall: the setup job finds or creates a line named MAX and binds events again, idempotently.
      await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/install`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'local.sandbox.bridge', handlerUrl: `${sandbox.bridge!.url}/bitrix24/install/sandbox` }),
      });
      await until(async () => ((await lineTexts()).includes('пока линии нет') ? true : undefined), 30_000);
      const bindings = (await b24('/portals/0/bindings')).bindings as Array<{ event: string }>;
      assert.equal(bindings.filter((b) => b.event === 'ONIMCONNECTORMESSAGEADD').length, 1);
    });

    test('NOT_ACTIVE_LINE (a lost STATUSDELETE event) pauses the line and reports it on /ready instead of burning retries', async () => {
      await fetch(`${sandbox.bitrix24.controlUrl}/events`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dropRate: 1 }) });
      const state = (await b24('/state')) as { portals: Array<{ lines: Array<{ ID: string; connectors: string[] }> }> };
      const line = state.portals[0]!.lines.find((l) => l.connectors.includes('max_bridge'))!;
      await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/lines/${line.ID}/deactivate`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ connector: 'max_bridge' }),
      });
      await fetch(`${sandbox.bitrix24.controlUrl}/events`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dropRate: 0 }) });
      await maxCtl('/bot-started', { user: { user_id: 7001, first_name: 'Пётр' } });
      const health = await until(async () => {
        const res = await fetch(`${sandbox.bridge!.url}/ready`);
        return res.status === 503 ? ((await res.json()) as { problems: string[] }) : undefined;
      });
      assert.deepEqual(health.problems, [`линия ${line.ID} портала sandbox приостановлена: Bitrix24 answered NOT_ACTIVE_LINE`]);
      const sends = ((await b24('/requests')).requests as Array<{ method: string }>).filter((r) => r.method === 'imconnector.send.messages').length;
      await untilIdle(sandbox.bridge!, sandbox);
      const later = ((await b24('/requests')).requests as Array<{ method: string }>).filter((r) => r.method === 'imconnector.send.messages').length;
      assert.equal(later, sends, 'no retry storm against the inactive line');
    });

    test('maintenance restores a dropped MAX subscription, removes stale ones, and re-activates a switched-off line', async () => {
      const bridgeUrl = sandbox.bridge!.url;
      const api = (method: string, path: string, body?: unknown) => fetch(`${sandbox.max.baseUrl}${path}`, {
        method, headers: { authorization: 'sandbox-bot-token', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
      });
      await api('DELETE', `/subscriptions?url=${encodeURIComponent(`${bridgeUrl}/max/webhook/sandbox`)}`);
      await api('POST', '/subscriptions', { url: `${bridgeUrl}/max/webhook/old-bot`, secret: 'old_secret' });
      const report = await sandbox.bridge!.maintain();
      assert.deepEqual(report.resubscribed, ['sandbox']);
      assert.deepEqual(report.removedStale, [`${bridgeUrl}/max/webhook/old-bot`]);
      assert.equal(report.reactivated.length, 1, 'the line switched off in the previous test is active again');
      const subs = ((await (await api('GET', '/subscriptions')).json()) as { subscriptions: Array<{ url: string }> }).subscriptions.map((x) => x.url);
      assert.deepEqual(subs, [`${bridgeUrl}/max/webhook/sandbox`]);
      assert.equal((await fetch(`${bridgeUrl}/ready`)).status, 200);
      await until(async () => ((await lineTexts()).some((t) => t.startsWith('Клиент запустил бота')) && (await lineChats()).length >= 3 ? true : undefined));
    });
  });
}
