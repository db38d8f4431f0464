/**
 * The emulated portal's CRM over HTTP: the Open Lines tracker running the
 * line's lag after a message and once per session (repeat leads, IMOL lookup,
 * disable_crm, CRM_CREATE=none, open deal with CRM_FORWARD), lead conversion
 * as an operator does it (IM/UTM/UF lost, ONCRM* events to a bound handler),
 * list filters, crm.item.list by IMOL, multifield update semantics,
 * im.notify.system.add TAG replacement and timeline comment lists.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { ctl, rest, startEmulatorWithApp, type AppHandler, type EmulatorWithApp } from './helpers.ts';

type Json = Record<string, unknown>;
type Crm = { LEAD: number; CONTACT: number; DEAL: number; COMPANY: number };
type Multi = { ID: string; VALUE: string; VALUE_TYPE: string };

const CONNECTOR = 'max_bridge';
/** Every real-world duration × 0.05: the default 2 s lag is 100 ms here. */
const TIME_FACTOR = 0.05;

describe('Bitrix24 emulator: CRM', () => {
  let env: EmulatorWithApp;
  let emu: Bitrix24Emulator;
  let handler: AppHandler;
  let base: string;
  let messageSeq = 0;
  const call = (method: string, params: Json) => rest(base, method, params, env.token);
  const result = async <T = Json>(method: string, params: Json): Promise<T> => {
    const res = await call(method, params);
    assert.equal(res.status, 200, `${method}: ${JSON.stringify(res.body)}`);
    return res.body.result as T;
  };
  const control = (method: string, path: string, body?: unknown) => ctl(emu.controlUrl, method, path, body);

  async function lineWith(settings: Json): Promise<number> {
    const line = await control('POST', '/portals/0/lines', settings);
    const id = Number(line.ID);
    await result('imconnector.activate', { CONNECTOR, LINE: id, ACTIVE: 1 });
    return id;
  }

  /** One client message; answers the internal chat id. */
  async function send(line: number, chat: string, user: Json, message: Json = {}): Promise<number> {
    messageSeq += 1;
    const sent = await result<{ DATA: { RESULT: Array<Json & { session: { CHAT_ID: string } }> } }>('imconnector.send.messages', {
      CONNECTOR, LINE: line, MESSAGES: [{ user, message: { id: `mid.${messageSeq}`, date: 1795477449, text: 'Здравствуйте', ...message }, chat: { id: chat } }],
    });
    const item = sent.DATA.RESULT[0]!;
    assert.equal(item.SUCCESS, true);
    return Number(item.session.CHAT_ID);
  }

  const chatCrm = async (chatId: number) => (await control('GET', `/portals/0/chats/${chatId}`)).crm as Crm;
  const closeChat = (chatId: number) => control('POST', `/portals/0/chats/${chatId}/close`);
  const total = async (type: string) => (await call(`crm.${type}.list`, {})).body.total as number;

  /** Until no CRM tracker run is due and no event is on its way (GET /_control/deliveries). */
  async function quiet(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const d = await control('GET', '/deliveries');
      if (d.crmPending === 0 && d.pending === 0) return;
      if (Date.now() > deadline) throw new Error(`not quiet: ${JSON.stringify({ crmPending: d.crmPending, pending: d.pending })}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  const eventsOf = (name: string) => handler.hits.filter((h) => h.body.event === name).map((h) => (h.body.data as { FIELDS: { ID: string } }).FIELDS.ID);

  before(async () => {
    env = await startEmulatorWithApp({ timeFactor: TIME_FACTOR });
    ({ emu, handler, base } = env);
    // Many calls in a row: the leaky bucket is not under test here.
    await control('PUT', '/portals/0/limits', { drainPerSecond: 10_000, burst: 100_000 });
    await result('imconnector.register', {
      ID: CONNECTOR, NAME: 'MAX', ICON: { DATA_IMAGE: 'data:image/svg+xml,%3Csvg%3E%3C/svg%3E' }, PLACEMENT_HANDLER: 'https://bridge.example/settings',
    });
    const events = handler.url.replace('install', 'events');
    for (const event of ['ONCRMLEADADD', 'ONCRMLEADUPDATE', 'ONCRMCONTACTADD', 'ONCRMCONTACTUPDATE', 'ONCRMDEALADD', 'ONCRMDEALUPDATE']) {
      assert.equal(await result('event.bind', { event, handler: events }), true);
    }
  });
  after(async () => {
    await env.close();
  });

  test('the tracker runs the line\'s lag after the message: no lead before it, one after, with its ONCRMLEADADD', async () => {
    const line = await lineWith({ crmLagMs: 20_000 }); // × 0.05 = 1 s
    const leadsBefore = await total('lead');
    const sentAtMs = Date.now();
    const chatId = await send(line, 'lag-1', { id: 'u-lag', name: 'Лев', phone: '+7 900 000-00-01' });
    assert.equal((await control('GET', '/deliveries')).crmPending, 1);
    assert.deepEqual(await chatCrm(chatId), { LEAD: 0, CONTACT: 0, DEAL: 0, COMPANY: 0 });
    assert.equal(await total('lead'), leadsBefore);
    await quiet();
    assert.ok(Date.now() - sentAtMs >= 1_000, 'not before the lag');
    const crm = await chatCrm(chatId);
    assert.ok(crm.LEAD > 0, 'the tracker bound a lead');
    assert.equal(await total('lead'), leadsBefore + 1);
    const lead = await result<Json & { IM: Multi[]; PHONE: Multi[] }>('crm.lead.get', { id: crm.LEAD });
    assert.deepEqual(lead.IM.map((m) => [m.VALUE_TYPE, m.VALUE]), [['IMOL', `imol|${CONNECTOR}|${line}|lag-1|u-lag`]]);
    assert.equal(lead.PHONE[0]?.VALUE, '+7 900 000-00-01');
    assert.deepEqual([lead.STATUS_ID, lead.STATUS_SEMANTIC_ID, lead.ASSIGNED_BY_ID, lead.OPENED, lead.SOURCE_ID], ['NEW', 'P', '1', 'Y', `${line}|MAX_BRIDGE`]);
    assert.ok(eventsOf('ONCRMLEADADD').includes(String(crm.LEAD)), 'ONCRMLEADADD for the tracker\'s lead');
    // The binding shows in the dialog, as the bridge reads it.
    const dialog = await result<{ entity_data_2: string }>('imopenlines.dialog.get', { CHAT_ID: chatId });
    assert.equal(dialog.entity_data_2, `LEAD|${crm.LEAD}|COMPANY|0|CONTACT|0|DEAL|0`);
  });

  test('a new session after close starts unbound; repeat leads on → a repeat lead, CRM_CREATE_SECOND=N → the open lead continues', async () => {
    const repeatLine = await lineWith({});
    const first = await send(repeatLine, 'rep-1', { id: 'u-rep', name: 'Рита' });
    await quiet();
    const firstLead = (await chatCrm(first)).LEAD;
    assert.ok(firstLead > 0, 'the first session has a lead');
    await closeChat(first);
    assert.equal(await send(repeatLine, 'rep-1', { id: 'u-rep' }), first);
    assert.deepEqual(await chatCrm(first), { LEAD: 0, CONTACT: 0, DEAL: 0, COMPANY: 0 }, 'the new session has no binding yet');
    await quiet();
    const repeatLead = (await chatCrm(first)).LEAD;
    assert.ok(repeatLead > 0 && repeatLead !== firstLead, 'a new lead for the repeat session');
    assert.equal((await result<Json>('crm.lead.get', { id: repeatLead })).IS_RETURN_CUSTOMER, 'Y');

    // A line made by REST with repeat leads off.
    const offLine = await result<number>('imopenlines.config.add', { PARAMS: { LINE_NAME: 'Без повторных', CRM: 'Y', CRM_CREATE: 'lead', CRM_CREATE_SECOND: 'N' } });
    const config = await result<Json>('imopenlines.config.get', { CONFIG_ID: offLine });
    assert.deepEqual([config.CRM_CREATE_SECOND, config.CRM_FORWARD, config.AUTO_CLOSE_TIME], ['N', 'Y', '14400']);
    await result('imconnector.activate', { CONNECTOR, LINE: offLine, ACTIVE: 1 });
    const other = await send(offLine, 'rep-2', { id: 'u-norep', name: 'Нина' });
    await quiet();
    const openLead = (await chatCrm(other)).LEAD;
    assert.ok(openLead > 0, 'the first session has a lead');
    await closeChat(other);
    const leads = await total('lead');
    await send(offLine, 'rep-2', { id: 'u-norep' });
    await quiet();
    assert.equal((await chatCrm(other)).LEAD, openLead, 'the open lead continues');
    assert.equal(await total('lead'), leads);
  });

  test('the IMOL value finds a lead made beforehand: nothing is created', async () => {
    const line = await lineWith({});
    const premade = await result<number>('crm.lead.add', {
      fields: { TITLE: 'Заранее', IM: [{ VALUE_TYPE: 'IMOL', VALUE: `imol|${CONNECTOR}|${line}|imol-1|u-imol` }] },
    });
    const leads = await total('lead');
    const chatId = await send(line, 'imol-1', { id: 'u-imol', name: 'Ира' });
    await quiet();
    assert.deepEqual(await chatCrm(chatId), { LEAD: premade, CONTACT: 0, DEAL: 0, COMPANY: 0 });
    assert.equal(await total('lead'), leads);
  });

  test('disable_crm=Y schedules no tracker and creates nothing', async () => {
    const line = await lineWith({});
    const counts = [await total('lead'), await total('contact'), await total('deal')];
    const chatId = await send(line, 'nocrm-1', { id: 'u-nocrm', phone: '+79000000099' }, { disable_crm: 'Y' });
    assert.equal((await control('GET', '/deliveries')).crmPending, 0);
    await new Promise((r) => setTimeout(r, 2_000 * TIME_FACTOR * 2));
    assert.deepEqual(await chatCrm(chatId), { LEAD: 0, CONTACT: 0, DEAL: 0, COMPANY: 0 });
    assert.deepEqual([await total('lead'), await total('contact'), await total('deal')], counts);
  });

  test('CRM_CREATE=none binds a contact found by phone and creates nothing; an unknown client stays unbound', async () => {
    const line = await lineWith({ crmCreate: 'none' });
    const contactId = await result<number>('crm.contact.add', { fields: { NAME: 'Зоя', PHONE: [{ VALUE: '8 (901) 555-12-34', VALUE_TYPE: 'MOBILE' }] } });
    const counts = [await total('lead'), await total('contact'), await total('deal')];
    const chatId = await send(line, 'none-1', { id: 'u-none', name: 'Зоя', phone: '+79015551234' });
    const stranger = await send(line, 'none-2', { id: 'u-stranger', name: 'Кто-то' });
    await quiet();
    assert.deepEqual(await chatCrm(chatId), { LEAD: 0, CONTACT: contactId, DEAL: 0, COMPANY: 0 });
    assert.deepEqual(await chatCrm(stranger), { LEAD: 0, CONTACT: 0, DEAL: 0, COMPANY: 0 });
    assert.deepEqual([await total('lead'), await total('contact'), await total('deal')], counts);
    // The found contact learned the dialog's IMOL value.
    const contact = await result<{ IM: Multi[] }>('crm.contact.get', { id: contactId });
    assert.deepEqual(contact.IM.map((m) => m.VALUE), [`imol|${CONNECTOR}|${line}|none-1|u-none`]);
    assert.ok(eventsOf('ONCRMCONTACTUPDATE').includes(String(contactId)), 'ONCRMCONTACTUPDATE for the IMOL value');
  });

  test('a contact\'s open deal takes the dialog with CRM_FORWARD=Y; once it is won, the next session gets a new deal', async () => {
    const line = await lineWith({ crmCreate: 'deal' });
    const contactId = await result<number>('crm.contact.add', { fields: { NAME: 'Фёдор', PHONE: [{ VALUE: '+7 902 111 22 33' }] } });
    const dealId = await result<number>('crm.deal.add', { fields: { TITLE: 'Открытая', CONTACT_ID: contactId } });
    const deal = await result<Json>('crm.deal.get', { id: dealId });
    assert.deepEqual([deal.CATEGORY_ID, deal.STAGE_ID, deal.CLOSED, deal.ASSIGNED_BY_ID], ['0', 'NEW', 'N', '1']);
    const deals = await total('deal');
    const chatId = await send(line, 'fwd-1', { id: 'u-fwd', name: 'Фёдор', phone: '89021112233' });
    await quiet();
    assert.deepEqual(await chatCrm(chatId), { LEAD: 0, CONTACT: contactId, DEAL: dealId, COMPANY: 0 });
    assert.equal(await total('deal'), deals, 'no new deal');

    assert.equal(await result('crm.deal.update', { id: dealId, fields: { STAGE_ID: 'WON' } }), true);
    assert.equal((await result<Json>('crm.deal.get', { id: dealId })).CLOSED, 'Y');
    // The portal posts its events a moment later (events-out.ts): wait until they are out.
    await quiet();
    assert.ok(eventsOf('ONCRMDEALUPDATE').includes(String(dealId)), 'ONCRMDEALUPDATE for the stage change');
    await closeChat(chatId);
    await send(line, 'fwd-1', { id: 'u-fwd' });
    await quiet();
    const crm = await chatCrm(chatId);
    assert.equal(crm.CONTACT, contactId);
    assert.ok(crm.DEAL > 0 && crm.DEAL !== dealId, 'a new deal for the new session');
    assert.equal((await result<Json>('crm.deal.get', { id: crm.DEAL })).CONTACT_ID, String(contactId));
    assert.equal(await total('deal'), deals + 1);
  });

  test('conversion as an operator does it drops IM, UTM and UF fields and fires ONCRMLEADUPDATE to the bound handler', async () => {
    const line = await lineWith({});
    const chatId = await send(line, 'conv-1', { id: 'u-conv', name: 'Вера', last_name: 'Котова', phone: '+79035550000', email: 'vera@example.ru' });
    await quiet();
    const leadId = (await chatCrm(chatId)).LEAD;
    assert.ok(leadId > 0, 'the tracker bound a lead');
    assert.equal(await result('crm.lead.update', { id: leadId, fields: { UTM_SOURCE: 'max', UTM_CAMPAIGN: 'spring', UF_CRM_MAX_USER: 'u-conv' } }), true);
    const converted = await control('POST', `/portals/0/crm/lead/${leadId}/convert`, {});
    const contactId = converted.contactId as number;
    const dealId = converted.dealId as number;
    assert.ok(contactId > 0 && dealId > 0, 'a contact and a deal');

    const contact = await result<Json & { PHONE: Multi[]; EMAIL: Multi[] }>('crm.contact.get', { id: contactId });
    assert.deepEqual([contact.NAME, contact.LAST_NAME, contact.SOURCE_ID, contact.ASSIGNED_BY_ID], ['Вера', 'Котова', `${line}|MAX_BRIDGE`, '1']);
    assert.equal(contact.PHONE[0]?.VALUE, '+79035550000');
    assert.equal(contact.EMAIL[0]?.VALUE, 'vera@example.ru');
    for (const lost of ['IM', 'UTM_SOURCE', 'UTM_CAMPAIGN', 'UF_CRM_MAX_USER']) assert.equal(contact[lost], undefined, `${lost} is not copied`);
    const deal = await result<Json>('crm.deal.get', { id: dealId });
    assert.deepEqual([deal.CONTACT_ID, deal.LEAD_ID, deal.STAGE_ID, deal.CLOSED, deal.UTM_SOURCE], [String(contactId), String(leadId), 'NEW', 'N', undefined]);
    const lead = await result<Json>('crm.lead.get', { id: leadId });
    assert.deepEqual([lead.STATUS_ID, lead.STATUS_SEMANTIC_ID, lead.CONTACT_ID], ['CONVERTED', 'S', String(contactId)]);
    assert.deepEqual(await chatCrm(chatId), { LEAD: leadId, CONTACT: contactId, DEAL: dealId, COMPANY: 0 });

    await quiet();
    assert.ok(eventsOf('ONCRMLEADUPDATE').includes(String(leadId)), 'ONCRMLEADUPDATE for the converted lead');
    assert.ok(eventsOf('ONCRMCONTACTADD').includes(String(contactId)), 'ONCRMCONTACTADD for the new contact');
    assert.ok(eventsOf('ONCRMDEALADD').includes(String(dealId)), 'ONCRMDEALADD for the new deal');
    const hit = handler.hits.find((h) => h.body.event === 'ONCRMLEADUPDATE' && (h.body.data as Json & { FIELDS: Json }).FIELDS.ID === String(leadId))!;
    assert.equal(hit.contentType, 'application/x-www-form-urlencoded');
    assert.match(hit.raw, /data%5BFIELDS%5D%5BID%5D=\d+/);
    assert.ok((hit.body.auth as Json).application_token, 'auth[application_token] sent');

    // Next session: the IMOL value leads to the converted lead, hence its contact, whose open deal takes the dialog.
    await closeChat(chatId);
    const leads = await total('lead');
    await send(line, 'conv-1', { id: 'u-conv' });
    await quiet();
    assert.deepEqual(await chatCrm(chatId), { LEAD: 0, CONTACT: contactId, DEAL: dealId, COMPANY: 0 });
    assert.equal(await total('lead'), leads);
  });

  test('crm.lead.list filters: FIELD, !FIELD, @FIELD, >ID; select and order', async () => {
    const ids: number[] = [];
    for (const origin of ['o-1', 'o-2', 'o-3']) {
      ids.push(await result<number>('crm.lead.add', { fields: { TITLE: `Лид ${origin}`, ORIGINATOR_ID: 'max-bridge-test', ORIGIN_ID: origin } }));
    }
    const list = async (params: Json) => {
      const res = await call('crm.lead.list', params);
      assert.equal(res.status, 200);
      return { rows: res.body.result as Json[], total: res.body.total as number };
    };
    assert.deepEqual((await list({ filter: { ORIGINATOR_ID: 'max-bridge-test', ORIGIN_ID: 'o-2' } })).rows.map((r) => Number(r.ID)), [ids[1]]);
    assert.deepEqual((await list({ filter: { '=ORIGINATOR_ID': 'max-bridge-test', '!ORIGIN_ID': 'o-1' } })).rows.map((r) => Number(r.ID)), [ids[1], ids[2]]);
    assert.deepEqual((await list({ filter: { '@ORIGIN_ID': ['o-1', 'o-3'] } })).rows.map((r) => Number(r.ID)), [ids[0], ids[2]]);
    assert.deepEqual((await list({ filter: { '>ID': ids[1], ORIGINATOR_ID: 'max-bridge-test' } })).rows.map((r) => Number(r.ID)), [ids[2]]);
    const selected = await list({ filter: { ORIGINATOR_ID: 'max-bridge-test' }, select: ['ORIGIN_ID'], order: { ID: 'DESC' } });
    assert.equal(selected.total, 3);
    assert.deepEqual(selected.rows, [{ ID: String(ids[2]), ORIGIN_ID: 'o-3' }, { ID: String(ids[1]), ORIGIN_ID: 'o-2' }, { ID: String(ids[0]), ORIGIN_ID: 'o-1' }]);
    // A lead marked junk is a failure; a deal in funnel 2 starts at C2:NEW.
    await result('crm.lead.update', { id: ids[0], fields: { STATUS_ID: 'JUNK' } });
    assert.equal((await result<Json>('crm.lead.get', { id: ids[0] })).STATUS_SEMANTIC_ID, 'F');
    const deal = await result<number>('crm.deal.add', { fields: { TITLE: 'Воронка 2', CATEGORY_ID: 2 } });
    const got = await result<Json>('crm.deal.get', { id: deal });
    assert.deepEqual([got.CATEGORY_ID, got.STAGE_ID, got.CLOSED], ['2', 'C2:NEW', 'N']);
    const missing = await call('crm.lead.get', { id: 999_999 });
    assert.deepEqual([missing.status, missing.body.error], [400, 'NOT_FOUND']);
  });

  test('crm.item.list finds the dialog\'s lead by =imol, with camelCase items and integer ids', async () => {
    const line = await lineWith({});
    const chatId = await send(line, 'item-1', { id: 'u-item', name: 'Ян' });
    await quiet();
    const leadId = (await chatCrm(chatId)).LEAD;
    const imol = `imol|${CONNECTOR}|${line}|item-1|u-item`;
    const res = await call('crm.item.list', { entityTypeId: 1, filter: { '=imol': imol }, select: ['id'] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, { items: [{ id: leadId }] });
    assert.equal(res.body.total, 1);
    const full = (await result<{ items: Json[] }>('crm.item.list', { entityTypeId: 1, filter: { '=imol': imol } })).items[0]!;
    assert.deepEqual([full.id, full.stageId, full.assignedById, full.name], [leadId, 'NEW', 1, 'Ян']);
    assert.deepEqual(await result('crm.item.list', { entityTypeId: 3, filter: { '=imol': imol } }), { items: [] });
    const unknown = await call('crm.item.list', { entityTypeId: 99 });
    assert.deepEqual([unknown.status, unknown.body.error], [400, 'NOT_FOUND']);
  });

  test('crm.lead.update appends multifield items without ID, changes and deletes those with one', async () => {
    const id = await result<number>('crm.lead.add', { fields: { TITLE: 'Телефоны', PHONE: [{ VALUE: '+79040000001', VALUE_TYPE: 'WORK' }] } });
    const phones = async () => (await result<{ PHONE: Multi[] }>('crm.lead.get', { id })).PHONE;
    const [first] = await phones();
    await result('crm.lead.update', { id, fields: { PHONE: [{ VALUE: '+79040000002', VALUE_TYPE: 'MOBILE' }] } });
    assert.deepEqual((await phones()).map((p) => p.VALUE), ['+79040000001', '+79040000002']);
    await result('crm.lead.update', { id, fields: { PHONE: [{ ID: first!.ID, VALUE: '' }] } });
    const [second] = await phones();
    assert.deepEqual([second?.VALUE, second?.VALUE_TYPE], ['+79040000002', 'MOBILE']);
    await result('crm.lead.update', { id, fields: { PHONE: [{ ID: second!.ID, VALUE: '+79040000003' }] } });
    assert.deepEqual((await phones()).map((p) => [p.ID, p.VALUE]), [[second!.ID, '+79040000003']]);
  });

  test('crm.duplicate.findbycomm: entity_type, [] for nothing, 20 hits in leads leave contacts out', async () => {
    const cmd = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`l${i}`, `crm.lead.add?fields[TITLE]=Дубль ${i}&fields[PHONE][0][VALUE]=%2B79050000000`]));
    await result('batch', { halt: 1, cmd });
    const contact = await result<number>('crm.contact.add', { fields: { NAME: 'Дубль', PHONE: [{ VALUE: '+79050000000' }] } });
    const all = await result<Record<string, number[]>>('crm.duplicate.findbycomm', { type: 'PHONE', values: ['8 905 000 00 00'] });
    assert.equal(all.LEAD?.length, 20);
    assert.equal(all.CONTACT, undefined, '20 lead hits suppress the contacts');
    assert.deepEqual(await result('crm.duplicate.findbycomm', { type: 'PHONE', values: ['+79050000000'], entity_type: 'CONTACT' }), { CONTACT: [contact] });
    assert.deepEqual(await result('crm.duplicate.findbycomm', { type: 'EMAIL', values: ['nobody@example.ru'] }), []);
    const deal = await call('crm.duplicate.findbycomm', { type: 'PHONE', values: ['1'], entity_type: 'DEAL' });
    assert.equal(deal.status, 400);
    const noType = await call('crm.duplicate.findbycomm', { values: ['1'] });
    assert.deepEqual([noType.status, noType.body.error], [400, 'Communication type is not defined']);
  });

  test('im.notify.system.add: a later notification with the same TAG for the same user replaces the earlier one', async () => {
    const first = await result<number>('im.notify.system.add', { USER_ID: 1, MESSAGE: 'Ошибка доставки в MAX', TAG: 'MAX_DELIVERY|42' });
    const other = await result<number>('im.notify.system.add', { USER_ID: 3, MESSAGE: 'Другому', TAG: 'MAX_DELIVERY|42' });
    const untagged = await result<number>('im.notify.system.add', { USER_ID: 1, MESSAGE: 'Без тега' });
    const second = await result<number>('im.notify.system.add', { USER_ID: 1, MESSAGE: '  Повторная ошибка  ', MESSAGE_OUT: 'по почте', TAG: 'MAX_DELIVERY|42' });
    assert.ok([first, other, untagged, second].every(Number.isInteger), 'notification ids are integers');
    const list = (await control('GET', '/portals/0/notifications')).notifications as Array<Json>;
    assert.deepEqual(list.map((n) => [n.id, n.userId, n.message]), [[other, 3, 'Другому'], [untagged, 1, 'Без тега'], [second, 1, 'Повторная ошибка']]);
    const noUser = await call('im.notify.system.add', { MESSAGE: 'x' });
    assert.deepEqual([noUser.status, noUser.body.error], [400, 'USER_ID_EMPTY']);
    const noText = await call('im.notify.system.add', { USER_ID: 1, MESSAGE: '  ' });
    assert.deepEqual([noText.status, noText.body.error], [400, 'MESSAGE_EMPTY']);
  });

  test('crm.timeline.comment.list lists one entity\'s comments, paged like lists', async () => {
    const leadId = await result<number>('crm.lead.add', { fields: { TITLE: 'С комментариями' } });
    const otherId = await result<number>('crm.lead.add', { fields: { TITLE: 'Другой' } });
    const a = await result<number>('crm.timeline.comment.add', { fields: { ENTITY_ID: leadId, ENTITY_TYPE: 'lead', COMMENT: 'Первый' } });
    const b = await result<number>('crm.timeline.comment.add', { fields: { ENTITY_ID: leadId, ENTITY_TYPE: 'lead', COMMENT: 'Второй' } });
    await result('crm.timeline.comment.add', { fields: { ENTITY_ID: otherId, ENTITY_TYPE: 'lead', COMMENT: 'Чужой' } });
    const res = await call('crm.timeline.comment.list', { filter: { ENTITY_ID: leadId, ENTITY_TYPE: 'lead' }, order: { ID: 'DESC' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 2);
    const rows = res.body.result as Json[];
    assert.deepEqual(rows.map((r) => [r.ID, r.ENTITY_ID, r.ENTITY_TYPE, r.COMMENT, r.AUTHOR_ID]), [
      [String(b), String(leadId), 'lead', 'Второй', '1'], [String(a), String(leadId), 'lead', 'Первый', '1'],
    ]);
    assert.match(String(rows[0]!.CREATED), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    const unfiltered = await call('crm.timeline.comment.list', { filter: { ENTITY_TYPE: 'lead' } });
    assert.equal(unfiltered.status, 400);
  });
});
