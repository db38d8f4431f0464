/**
 * The Open Lines connector flow against the Bitrix24 emulator over HTTP:
 * install → register → activate → data.set → send.messages (session + CRM lead after the line's lag)
 * → operator reply event → delivery status → edit carries the external id;
 * line delete → LINEDELETE and NOT_ACTIVE_LINE.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { ctl, rest, startEmulatorWithApp, waitFor, type AppHandler, type EmulatorWithApp } from './helpers.ts';

describe('Bitrix24 emulator: connector flow', () => {
  let env: EmulatorWithApp;
  let emu: Bitrix24Emulator;
  let handler: AppHandler;
  let token: string;
  let base: string;
  const call = (method: string, params: Record<string, unknown>) => rest(base, method, params, token);

  before(async () => {
    env = await startEmulatorWithApp();
    ({ emu, handler, token, base } = env);
  });
  after(async () => {
    await env.close();
  });

  test('ONAPPINSTALL carries the real auth fields, form-encoded', async () => {
    const hit = handler.hits.find((h) => h.body.event === 'ONAPPINSTALL')!;
    assert.equal(hit.contentType, 'application/x-www-form-urlencoded');
    assert.match(hit.raw, /auth%5Baccess_token%5D=/);
    const auth = hit.body.auth as Record<string, string>;
    for (const key of ['access_token', 'refresh_token', 'expires_in', 'scope', 'domain', 'server_endpoint', 'client_endpoint', 'member_id', 'status', 'application_token', 'user_id']) {
      assert.ok(auth[key], `auth[${key}] present`);
    }
    assert.equal(auth.client_endpoint, `${base}/rest/`);
    assert.equal(auth.server_endpoint, `${emu.oauthUrl}/rest/`);
    assert.equal(auth.expires_in, '3600');
    assert.deepEqual(hit.body.data, { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'ru' });
  });

  test('register, activate, data.set, status, event.bind', async () => {
    const reg = await call('imconnector.register', {
      ID: 'max_bridge', NAME: 'MAX', ICON: { DATA_IMAGE: 'data:image/svg+xml,%3Csvg%3E%3C/svg%3E' }, PLACEMENT_HANDLER: 'https://bridge.example/settings',
    });
    assert.deepEqual(reg.body.result, { result: true });
    const dotted = await call('imconnector.register', { ID: 'max.bridge', NAME: 'x', ICON: { DATA_IMAGE: 'x' }, PLACEMENT_HANDLER: 'h' });
    assert.equal(dotted.status, 200);
    assert.equal((dotted.body.result as { error: string }).error, 'APPLICATION_REGISTRATION_ERROR_POINT');
    assert.equal((await call('imconnector.activate', { CONNECTOR: 'max_bridge', LINE: 1, ACTIVE: 1 })).body.result, true);
    assert.equal((await call('imconnector.connector.data.set', { CONNECTOR: 'max_bridge', LINE: 1, DATA: { ID: 'max', NAME: 'MAX', URL: 'https://max.ru' } })).body.result, true);
    const status = (await call('imconnector.status', { CONNECTOR: 'max_bridge', LINE: 1 })).body.result as Record<string, unknown>;
    assert.equal(status.STATUS, true);
    assert.equal(status.CONFIGURED, true);
    for (const event of ['ONIMCONNECTORMESSAGEADD', 'ONIMCONNECTORMESSAGEUPDATE', 'ONIMCONNECTORLINEDELETE']) {
      assert.equal((await call('event.bind', { event, handler: handler.url.replace('install', 'events') })).body.result, true);
    }
    const again = await call('event.bind', { event: 'ONIMCONNECTORMESSAGEADD', handler: handler.url.replace('install', 'events') });
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'ERROR_HANDLER_ALREADY_EXIST');
    assert.equal((await call('event.bind', { event: 'ONNOSUCHEVENT', handler: 'h' })).body.error, 'ERROR_EVENT_NOT_FOUND');
    assert.equal(((await call('event.get', {})).body.result as unknown[]).length, 3);
  });

  test('send.messages opens a session and creates a CRM lead; operator reply fires MESSAGEADD', async () => {
    // The tracker runs the line's lag after the message (2 s by default); crm.test.ts covers the lag itself.
    assert.equal((await ctl(emu.controlUrl, 'PATCH', '/portals/0/lines/1', { crmLagMs: 20 })).crmLagMs, 20);
    const sent = await call('imconnector.send.messages', {
      CONNECTOR: 'max_bridge', LINE: 1,
      MESSAGES: [{ user: { id: '5001', name: 'Иван', last_name: 'Петров', phone: '+7 999 123-45-67' }, message: { id: 'mid.1', date: 1795477449, text: 'Здравствуйте' }, chat: { id: '90000001' } }],
    });
    const item = ((sent.body.result as { DATA: { RESULT: Array<Record<string, unknown>> } }).DATA.RESULT)[0]!;
    assert.equal(item.SUCCESS, true);
    const session = item.session as { ID: string; CHAT_ID: string };
    assert.match(session.ID, /^\d+$/);
    await waitFor(() => (emu.context.pendingDeliveries().crmPending === 0 ? true : undefined));
    const chat = await ctl(emu.controlUrl, 'GET', `/portals/0/chats/${session.CHAT_ID}`);
    const leadId = (chat.crm as { LEAD: number }).LEAD;
    assert.ok(leadId > 0);
    const lead = (await call('crm.lead.get', { id: leadId })).body.result as { IM: Array<{ VALUE: string }>; PHONE: unknown[] };
    assert.equal(lead.IM[0]?.VALUE, 'imol|max_bridge|1|90000001|5001');
    const dup = (await call('crm.duplicate.findbycomm', { type: 'PHONE', values: ['89991234567'] })).body.result;
    assert.deepEqual(dup, { LEAD: [leadId] });

    const reply = await ctl(emu.controlUrl, 'POST', `/portals/0/chats/${session.CHAT_ID}/reply`, { text: 'Добрый день! [b]Чем помочь?[/b]' });
    const messageId = (reply.message as { id: number }).id;
    const event = await waitFor(() => handler.hits.find((h) => h.body.event === 'ONIMCONNECTORMESSAGEADD'));
    const data = event.body.data as { CONNECTOR: string; LINE: string; MESSAGES: Array<Record<string, Record<string, string>>> };
    assert.equal(data.CONNECTOR, 'max_bridge');
    assert.equal(data.LINE, '1');
    assert.equal(data.MESSAGES[0]?.im?.message_id, String(messageId));
    assert.equal(data.MESSAGES[0]?.chat?.id, '90000001');
    assert.equal(data.MESSAGES[0]?.message?.text, '[b]Анна Смирнова:[/b] [br]Добрый день! [b]Чем помочь?[/b]');
    assert.equal((event.body.auth as Record<string, string>).application_token, (handler.hits[0]!.body.auth as Record<string, string>).application_token);

    const delivered = await call('imconnector.send.status.delivery', {
      CONNECTOR: 'max_bridge', LINE: 1, MESSAGES: [{ im: { chat_id: session.CHAT_ID, message_id: messageId }, message: { id: ['mid.bot.1'] }, chat: { id: '90000001' } }],
    });
    assert.deepEqual(delivered.body.result, { SUCCESS: true, DATA: [] });
    await ctl(emu.controlUrl, 'PUT', `/portals/0/messages/${messageId}`, { text: 'Исправлено' });
    const update = await waitFor(() => handler.hits.find((h) => h.body.event === 'ONIMCONNECTORMESSAGEUPDATE'));
    const upd = (update.body.data as { MESSAGES: Array<{ message: { id: string[]; text: string } }> }).MESSAGES[0]!;
    assert.deepEqual(upd.message.id, ['mid.bot.1']);
  });

  test('an event whose handler fails is not retried', async () => {
    const before = handler.hits.length;
    handler.answer = 500;
    const chats = (await ctl(emu.controlUrl, 'GET', '/portals/0/chats')).chats as Array<{ chatId: number }>;
    await ctl(emu.controlUrl, 'POST', `/portals/0/chats/${chats[0]!.chatId}/reply`, { text: 'потеряется' });
    await waitFor(() => (handler.hits.length > before ? true : undefined));
    // The failed post is done and no event is on its way (scheduled or being posted): nothing is sent again.
    await waitFor(() => (emu.context.pendingDeliveries().pending === 0 ? true : undefined));
    assert.equal(handler.hits.length, before + 1);
    const deliveries = (await ctl(emu.controlUrl, 'GET', '/deliveries')).deliveries as Array<{ status: number }>;
    assert.equal(deliveries.at(-1)?.status, 500);
    handler.answer = 200;
  });

  test('line delete fires ONIMCONNECTORLINEDELETE and send.messages then answers NOT_ACTIVE_LINE', async () => {
    await ctl(emu.controlUrl, 'DELETE', '/portals/0/lines/1');
    const event = await waitFor(() => handler.hits.find((h) => h.body.event === 'ONIMCONNECTORLINEDELETE'));
    assert.equal(event.body.data, '1');
    assert.equal((event.body.auth as Record<string, string>).access_token, undefined);
    const res = await call('imconnector.send.messages', {
      CONNECTOR: 'max_bridge', LINE: 1, MESSAGES: [{ user: { id: '1' }, message: { id: 'x', text: 'x' }, chat: { id: '1' } }],
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'NOT_ACTIVE_LINE');
  });
});
