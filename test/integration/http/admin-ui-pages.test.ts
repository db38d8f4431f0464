/**
 * The admin UI's conversations, conversation, journal, routes and hooks pages over HTTP (Fastify
 * inject) on both engines, against a store seeded through its repositories: each page shows the
 * right data and its filters work; an administrator sees a client's phone and name where a
 * viewer sees `+7 *** ***-**-67` and `М*** И***`; every showing of a client's data wrote an
 * access record to the journal (who, role, when, which conversation), findable as the CLI's
 * `journal search --side admin` finds it and listed on the conversation page; a viewer's form
 * is refused (403) and changes nothing, an administrator's moves, releases and blocks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { stringify } from 'qs';
import { hashPassword } from '../../../src/admin/password.ts';
import { Router } from '../../../src/bridge/router.ts';
import { configSchema, type BridgeConfigData } from '../../../src/config/schema.ts';
import { normalizeRoutes } from '../../../src/config/route-schema.ts';
import { makeConversationId, makeLineRef, makeMessageKey, parseBotId, parsePortalId } from '../../../src/domain/ids.ts';
import { buildApp } from '../../../src/http/app.ts';
import { adminUiPlugin, SESSION_COOKIE } from '../../../src/http/plugins/admin-ui.ts';
import { privacyHashKey } from '../../../src/journal/hash-key.ts';
import { parseJournalQuery } from '../../../src/journal/journal-query.ts';
import { maskedJournal } from '../../../src/journal/masked-writer.ts';
import { createMasker, DEFAULT_MASKING } from '../../../src/journal/masking.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { CONVERSATION_MOVE_JOB } from '../../../src/queue/job-kinds.ts';
import { adminRoutingOf } from '../../../src/runtime/admin-routing.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const HOST = 'bridge.test';
const OWN = `http://${HOST}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded', host: HOST };
const ADMIN_PASSWORD = 'admin-password-123';
const VIEWER_PASSWORD = 'viewer-password-456';
const PHONE = '+79161234567';
const MASKED_PHONE = '+7 *** ***-**-67';

const A = makeConversationId(parseBotId('sales'), '1001');
const B = makeConversationId(parseBotId('support'), '2002');
const C = makeConversationId(parseBotId('sales'), '1003');
const MSK3 = makeLineRef(parsePortalId('msk'), 3);
const MSK1 = makeLineRef(parsePortalId('msk'), 1);

interface Session {
  cookie: string;
  csrf: string;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
/** The page's `<tbody>` rows that name a conversation (the list), in order. */
const listed = (html: string) => [...html.matchAll(/<tr data-conversation="([^"]+)"/g)].map((m) => m[1]);

function cookieOf(res: LightMyRequestResponse): string {
  const raw = res.headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return (all.find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '').split(';')[0] ?? '';
}

const CONFIG = {
  security: { secret_key: TEST_SECRET_KEY },
  bots: [{ id: 'sales', token: 'sales-bot-token-1' }, { id: 'support', token: 'support-bot-token-2' }],
  portals: [{ id: 'msk', url: 'https://msk.bitrix24.ru' }],
  routes: [
    { name: 'vip', bot: 'sales', when: { start_payload: '^vip_' }, to: { portal: 'msk', line_id: 3 } },
    { name: 'default', bot: '*', to: { portal: 'msk', line_id: 1 } },
  ],
  hooks: {
    webhooks: [{ name: 'erp', url: 'https://erp.example.ru/events?token=erp-query-secret', secret: 'erp-webhook-secret-0001', events: ['message.inbound'] }],
    checks: [{ name: 'antifraud', url: 'https://af.example.ru/check', secret: 'antifraud-secret-00001' }],
  },
};

/** A MAX update as the webhook journals it. */
function maxUpdate(mid: string, userId: number, chatId: number, text: string, atMs: number): string {
  return JSON.stringify({
    update_type: 'message_created', timestamp: atMs,
    message: { sender: { user_id: userId, first_name: 'Мария', last_name: 'Иванова', is_bot: false }, recipient: { chat_id: chatId, chat_type: 'dialog' }, timestamp: atMs, body: { mid, seq: 1, text } },
  });
}

for (const engine of testEngines()) {
  describe(`admin UI pages: conversations, journal, routes, hooks (${engine.name})`, () => {
    const clock = new ManualClock();
    let store: Store;
    let config: BridgeConfigData;
    let app: FastifyInstance;
    let pokes = 0;
    let admin: Session;
    let viewer: Session;
    const rules = () => normalizeRoutes(config.routes);

    const get = (s: Session, url: string) => app.inject({ method: 'GET', url, headers: { cookie: s.cookie, host: HOST } });
    const post = (s: Session, url: string, fields: Record<string, string>) => app.inject({
      method: 'POST', url, headers: { ...FORM, cookie: s.cookie, origin: OWN }, payload: form({ _csrf: s.csrf, ...fields }),
    });
    const session = async (username: string, password: string): Promise<Session> => {
      const res = await app.inject({ method: 'POST', url: '/admin/login', headers: { ...FORM, origin: OWN }, payload: form({ username, password }) });
      assert.equal(res.statusCode, 303, res.body);
      const cookie = cookieOf(res);
      const page = await app.inject({ method: 'GET', url: '/admin/ui/routes', headers: { cookie, host: HOST } });
      return { cookie, csrf: csrfIn(page.body) };
    };
    const accessRows = async (conversationId: string) => (await store.journal.search({ conversationId, side: 'admin', limit: 1_000 })).rows;

    async function seed(): Promise<void> {
      const journal = maskedJournal(store.journal, createMasker(DEFAULT_MASKING, privacyHashKey(TEST_SECRET_KEY)));
      await store.lines.setUp(parsePortalId('msk'), 3, 'maxbridge', store.db, false);
      await store.lines.setUp(parsePortalId('msk'), 1, 'maxbridge', store.db);
      const t0 = clock.nowMs();
      // A: a VIP client who shared her phone; her message went to the line, an operator answered.
      const why = { ru: ['маршрут vip: start_payload «vip_42» подходит под ^vip_', 'выбрана линия msk:3'], en: ['route vip: start_payload "vip_42" matches ^vip_', 'line msk:3 chosen'] };
      await store.conversations.getOrCreate({
        botId: parseBotId('sales'), maxChatId: '1001', maxUserId: '501', lineRef: MSK3, sourceJson: JSON.stringify({ payload: 'vip_42' }), tags: ['vip'],
        route: { routeName: 'vip', routeJson: JSON.stringify({ route: 'vip', line: 'msk:3', via: 'only', why, atMs: t0 }) },
      });
      await store.conversations.setClientPhone(A, PHONE);
      const clientText = 'Где мой заказ? Звоните 89161234567';
      const item = { user: { id: '501', name: 'Мария', last_name: 'Иванова', phone: PHONE }, message: { id: 'mid.1', text: clientText, date: Math.floor(t0 / 1000) }, chat: { id: A } };
      await store.transaction((trx) => store.outbox.enqueue([{
        lineRef: MSK3, conversationId: A, method: 'send', messageKey: makeMessageKey('mid.1'), sortKey: `${t0}`, tsMs: t0, arrivedMs: t0, item,
      }], parsePortalId('msk'), trx));
      await journal.write({ atMs: t0, side: 'max', direction: 'in', method: 'POST', endpoint: '/max/webhook/:botId', status: 200, durationMs: 2, botId: 'sales', conversationId: A, messageId: 'mid.1', maxUserId: '501', maxChatId: '1001', requestBody: maxUpdate('mid.1', 501, 1001, clientText, t0) });
      await journal.write({
        atMs: t0 + 1_000, side: 'bitrix24', direction: 'out', method: 'POST', endpoint: 'imconnector.send.messages', status: 200, durationMs: 120, portalId: 'msk', lineRef: MSK3, conversationId: A, messageId: 'mid.1', jobId: '7',
        requestBody: JSON.stringify({ CONNECTOR: 'maxbridge', LINE: 3, MESSAGES: [item] }),
        responseBody: JSON.stringify({ result: { SUCCESS: true, DATA: { RESULT: [{ chat: { id: A }, message: item.message, SUCCESS: true }] } } }),
      });
      const event = stringify({ event: 'ONIMCONNECTORMESSAGEADD', data: { CONNECTOR: 'maxbridge', LINE: '3', MESSAGES: [{ im: { chat_id: '1767', message_id: '777' }, message: { user_id: '12', text: 'Заказ в пути, курьер позвонит' }, chat: { id: A } }] }, ts: String(Math.floor(t0 / 1000) + 60) });
      await journal.write({ atMs: t0 + 60_000, side: 'bitrix24', direction: 'in', method: 'POST', endpoint: 'ONIMCONNECTORMESSAGEADD', status: 200, durationMs: 1, portalId: 'msk', messageId: '777', conversationId: A, requestBody: event });
      await journal.write({
        atMs: t0 + 61_000, side: 'max', direction: 'out', method: 'POST', endpoint: 'POST /messages', status: 200, durationMs: 80, botId: 'sales', conversationId: A, messageId: '777', maxChatId: '1001',
        requestBody: JSON.stringify({ text: 'Заказ в пути, курьер позвонит' }), responseBody: JSON.stringify({ message: { body: { mid: 'mid.out.1' } } }),
      });
      await clock.advance(61_000);
      await store.events.record({ source: 'bitrix24:msk', kind: 'ONIMCONNECTORMESSAGEADD', dedupeKey: 'ONIMCONNECTORMESSAGEADD:777', raw: event, jobs: [] });
      await store.outboundParts.record(A, '777', 1, 'mid.out.1');
      await store.crmLinks.open({ conversationId: A, sessionId: '323', portalId: 'msk', maxUserId: '501', mode: 'lead' });
      await store.crmLinks.update(A, '323', { state: 'bound', leadId: 55, how: 'created' });
      // B: held by the anti-fraud check.
      await clock.advance(1_000);
      await store.conversations.getOrCreate({ botId: parseBotId('support'), maxChatId: '2002', maxUserId: '602', lineRef: MSK1, route: { routeName: 'default', routeJson: '{}' } });
      await store.hooks.recordVerdict({ conversationId: B, checkName: 'antifraud', verdict: 'hold', source: 'answer', route: null, tags: [], note: 'проверка номера', eventId: null, atMs: clock.nowMs() });
      await store.hooks.setGate({ conversationId: B, verdict: 'hold', checkName: 'antifraud', note: 'проверка номера' });
      // C: its Open Lines session closed.
      await clock.advance(1_000);
      await store.conversations.getOrCreate({ botId: parseBotId('sales'), maxChatId: '1003', maxUserId: '503', lineRef: MSK1, route: { routeName: 'default', routeJson: '{}' } });
      await store.conversations.releaseRoute(C);
      // The erp webhook: one delivery done, one given up.
      for (const [i, state] of [[1, 'delivered'], [2, 'failed']] as const) {
        await store.hooks.recordEvent({ id: `evt_${i}`, type: 'message.inbound', conversationId: A, atMs: clock.nowMs(), data: {} });
        const id = (await store.hooks.addDelivery('erp', { id: `evt_${i}`, type: 'message.inbound', conversationId: A }))!;
        await store.hooks.recordAttempt(id, { state: state === 'delivered' ? 'delivered' : 'pending', status: state === 'delivered' ? 200 : 503, error: state === 'delivered' ? null : 'HTTP 503 Service Unavailable', durationMs: 40 });
        if (state === 'failed') await store.hooks.markFailed(id);
      }
      await clock.advance(1_000);
    }

    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock });
      config = configSchema.parse(CONFIG);
      await store.adminUsers.add('anna', 'admin', await hashPassword(ADMIN_PASSWORD));
      await store.adminUsers.add('victor', 'viewer', await hashPassword(VIEWER_PASSWORD));
      const router = new Router({ store, rules, nowMs: () => clock.nowMs() });
      app = buildApp({ plugins: [adminUiPlugin({ deps: {
        store, config: () => config, nowMs: () => clock.nowMs(), journal: store.journal, policy: () => config.privacy, log: silentLogger(),
        routing: adminRoutingOf({ store, router, rules, nowMs: () => clock.nowMs(), poke: () => { pokes += 1; } }),
        poke: () => { pokes += 1; },
      } })] });
      await app.ready();
      await seed();
      admin = await session('anna', ADMIN_PASSWORD);
      viewer = await session('victor', VIEWER_PASSWORD);
    });
    after(async () => {
      await app.close();
      await store.close();
      await engine.dropAll();
    });

    test('the list shows each conversation: client, bot, route, line, portal, state and the last message; an admin sees the phone, a viewer its mask', async () => {
      const page = await get(admin, '/admin/ui/conversations');
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, /<title>Диалоги/);
      assert.deepEqual(listed(page.body), [C, B, A], 'most recently changed first');
      assert.match(page.body, /Мария Иванова/);
      assert.ok(page.body.includes(PHONE));
      assert.match(page.body, /← оператор[^<]*<\/div><div class="excerpt">Заказ в пути, курьер позвонит/, 'the last message is the operator\'s');
      assert.match(page.body, /задержан проверкой/);
      assert.match(page.body, /сессия закрыта/);
      assert.match(page.body, /<td>vip<\/td>\s*<td>msk:3<\/td>\s*<td>msk<\/td>/);
      assert.match(page.body, /<meta http-equiv="refresh" content="60">/);
      const seen = await get(viewer, '/admin/ui/conversations');
      assert.equal(seen.statusCode, 200);
      assert.ok(seen.body.includes(MASKED_PHONE), 'a viewer sees the phone masked');
      assert.ok(!seen.body.includes(PHONE) && !seen.body.includes('Иванова'), 'and never the phone or the name');
      assert.match(seen.body, /М\*\*\* И\*\*\*/);
      assert.match(seen.body, /Вы наблюдатель/);
      const en = await get(admin, '/admin/ui/conversations?lang=en');
      assert.match(en.body, /<title>Conversations/);
      assert.match(en.body, /held by a check/);
      // Each showing named the conversations it showed (152-ФЗ), with who looked.
      const views = (await accessRows(B)).filter((r) => r.endpoint === 'conversations');
      assert.ok(views.length >= 3);
      assert.deepEqual(new Set(views.map((r) => JSON.parse(r.requestBody ?? '{}').viewer)), new Set(['anna', 'victor']));
    });

    test('filters: bot, route, line, state and a search on the client; a viewer cannot search by phone; pages of 50', async () => {
      const ids = async (s: Session, query: string) => listed((await get(s, `/admin/ui/conversations?${query}`)).body);
      assert.deepEqual(await ids(admin, 'bot=support'), [B]);
      assert.deepEqual(await ids(admin, 'route=vip'), [A]);
      assert.deepEqual(await ids(admin, `line=${encodeURIComponent(MSK1)}`), [C, B]);
      assert.deepEqual(await ids(admin, 'state=held'), [B]);
      assert.deepEqual(await ids(admin, 'state=closed'), [C]);
      assert.deepEqual(await ids(admin, 'state=active'), [A]);
      assert.deepEqual(await ids(admin, 'q=1003'), [C]);
      assert.deepEqual(await ids(admin, 'q=602'), [B], 'the MAX user id');
      assert.deepEqual(await ids(admin, 'q=916 123-45'), [A], 'digits of the phone');
      assert.deepEqual(await ids(admin, 'q=Мари'), [A], 'the start of the name');
      assert.deepEqual(await ids(viewer, 'q=916 123-45'), [], 'a viewer may not probe the phone');
      assert.deepEqual(await ids(viewer, 'q=Мари'), []);
      const bad = await get(admin, '/admin/ui/conversations?state=lost');
      assert.match(bad.body, /Состояние «lost» неизвестно/);
      assert.equal(listed(bad.body).length, 3);
      for (let i = 1; i <= 52; i++) {
        await store.conversations.getOrCreate({ botId: parseBotId('bulk'), maxChatId: String(i), maxUserId: String(9_000 + i), lineRef: MSK1 });
      }
      const first = await get(admin, '/admin/ui/conversations?bot=bulk&refresh=0');
      assert.equal(listed(first.body).length, 50);
      assert.doesNotMatch(first.body, /http-equiv="refresh"/, 'refresh=0 turns the reload off');
      const next = /<a href="([^"]+)">дальше →<\/a>/.exec(first.body)?.[1]?.replace(/&amp;/g, '&') ?? '';
      assert.ok(next.includes('page=2') && next.includes('bot=bulk') && next.includes('refresh=0'), next);
      const second = await get(admin, next);
      assert.equal(listed(second.body).length, 2);
      assert.equal(new Set([...listed(first.body), ...listed(second.body)]).size, 52);
    });

    test('a conversation\'s page: who and where, route and why, tags, CRM, the trail with each hop; an admin sees the phone, a viewer the mask', async () => {
      const url = `/admin/ui/conversations/${encodeURIComponent(A)}`;
      const page = await get(admin, url);
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, /class="client-phone">\+79161234567</);
      assert.match(page.body, /class="client-name">Мария Иванова</);
      assert.match(page.body, /маршрут vip: start_payload «vip_42» подходит под \^vip_/);
      assert.match(page.body, /<span class="badge">vip<\/span>/);
      assert.match(page.body, /href="https:\/\/msk\.bitrix24\.ru\/crm\/lead\/details\/55\/"/);
      // The dialogue both ways, with delivery, and every hop with its status and bodies.
      assert.match(page.body, /bubble client[\s\S]*Где мой заказ\?[\s\S]*доставлено в Битрикс24/);
      assert.match(page.body, /bubble operator[\s\S]*Заказ в пути, курьер позвонит[\s\S]*доставлено клиенту в MAX/);
      for (const endpoint of ['/max/webhook/:botId', 'imconnector.send.messages', 'ONIMCONNECTORMESSAGEADD', 'POST /messages']) assert.ok(page.body.includes(`<code>${endpoint}</code>`), endpoint);
      assert.match(page.body, /mid\.out\.1/);
      assert.doesNotMatch(page.body, /hop-\d+"[^>]*>[\s\S]{0,200}VIEW/, 'access records are no hops of the trail');
      assert.match(page.body, /name="action" value="move"/, 'an admin gets the forms');
      const seen = await get(viewer, url);
      assert.equal(seen.statusCode, 200);
      assert.match(seen.body, /class="client-phone">\+7 \*\*\* \*\*\*-\*\*-67</);
      assert.ok(!seen.body.includes(PHONE) && !seen.body.includes('Иванова') && !seen.body.includes('89161234567'), 'no phone, name or phone in a text');
      assert.doesNotMatch(seen.body, /name="action"/, 'a viewer gets no forms');
      const missing = await get(admin, '/admin/ui/conversations/sales%3A4040');
      assert.equal(missing.statusCode, 404);
      assert.match(missing.body, /Диалога sales:4040 нет/);
    });

    test('every view of a conversation writes an access record (who, role, when), found as the CLI finds it and listed on the page', async () => {
      const url = `/admin/ui/conversations/${encodeURIComponent(C)}`;
      assert.equal((await accessRows(C)).filter((r) => r.endpoint === 'conversation').length, 0);
      await clock.advance(5_000);
      const whenAdmin = clock.nowMs();
      await get(admin, url);
      await clock.advance(5_000);
      const whenViewer = clock.nowMs();
      const page = await get(viewer, url);
      const rows = (await accessRows(C)).filter((r) => r.endpoint === 'conversation');
      assert.equal(rows.length, 2, 'one record per view');
      const [last, first] = rows;
      assert.deepEqual(JSON.parse(first?.requestBody ?? ''), { viewer: 'anna', role: 'admin', page: 'conversation' });
      assert.equal(first?.atMs, whenAdmin);
      assert.deepEqual(JSON.parse(last?.requestBody ?? ''), { viewer: 'victor', role: 'viewer', page: 'conversation' });
      assert.equal(last?.atMs, whenViewer);
      for (const r of rows) {
        assert.equal(r.side, 'admin');
        assert.equal(r.method, 'VIEW');
        assert.equal(r.conversationId, C);
        assert.equal(r.maxUserId, '503', 'the client');
      }
      // `npm run bridge -- journal search --side admin --client 503` and `--text victor` find them.
      const byClient = parseJournalQuery({ side: 'admin', client: '503' });
      assert.ok(byClient.ok);
      assert.ok((await store.journal.search(byClient.query)).rows.some((r) => r.id === last?.id));
      const byName = parseJournalQuery({ side: 'admin', text: 'victor', conversation: C });
      assert.ok(byName.ok);
      assert.deepEqual((await store.journal.search(byName.query)).rows.filter((r) => r.endpoint === 'conversation').map((r) => r.id), [last?.id]);
      // "Кто смотрел": the page lists the views before it, newest first.
      const table = page.body.slice(page.body.indexOf('Кто смотрел'));
      assert.match(table, /<td>anna<\/td><td>администратор<\/td><td>страница диалога<\/td>/);
      assert.match(table, /<td>victor<\/td><td>наблюдатель<\/td><td>страница диалога<\/td>/);
      assert.ok(table.indexOf('victor') < table.indexOf('anna'));
    });

    test('an admin moves, releases and blocks from the page; a viewer\'s form is refused with 403 and changes nothing', async () => {
      const urlB = `/admin/ui/conversations/${encodeURIComponent(B)}`;
      const pokesBefore = pokes;
      const refused = await post(viewer, urlB, { action: 'release' });
      assert.equal(refused.statusCode, 403);
      assert.match(refused.body, /BRG_ERR_ADMIN_FORBIDDEN/);
      assert.equal((await store.hooks.gate(B))?.verdict, 'hold', 'still held');
      const notMoved = await post(viewer, urlB, { action: 'move', route: 'vip' });
      assert.equal(notMoved.statusCode, 403);
      assert.equal(pokes, pokesBefore);
      const released = await post(admin, urlB, { action: 'release', note: 'проверено по телефону' });
      assert.equal(released.statusCode, 303);
      assert.equal(released.headers.location, `${urlB}?done=released`);
      assert.equal(await store.hooks.gate(B), null);
      assert.equal((await store.hooks.latestVerdict(B))?.note, 'проверено по телефону');
      assert.equal(pokes, pokesBefore + 1);
      const again = await post(admin, urlB, { action: 'release' });
      assert.equal(again.statusCode, 409);
      assert.match(again.body, /не задержан/);
      const moved = await post(admin, urlB, { action: 'move', route: 'vip' });
      assert.equal(moved.statusCode, 303);
      const job = (await store.db.selectFrom('jobs').selectAll().where('kind', '=', CONVERSATION_MOVE_JOB).execute()).at(-1);
      assert.deepEqual(JSON.parse(job?.payload ?? '{}'), { conversationId: B, route: 'vip', by: 'admin' });
      const wrongRoute = await post(admin, urlB, { action: 'move', route: 'nowhere' });
      assert.equal(wrongRoute.statusCode, 400);
      assert.match(wrongRoute.body, /vip, default/);
      const blocked = await post(admin, urlB, { action: 'block' });
      assert.equal(blocked.statusCode, 303);
      assert.equal((await store.hooks.gate(B))?.verdict, 'block');
      const shown = await get(admin, (blocked.headers.location as string));
      assert.match(shown.body, /Диалог заблокирован/);
    });

    test('the journal page searches as the CLI does, unfolds the bodies (masked for a viewer) and records whose rows were shown', async () => {
      const page = await get(admin, `/admin/ui/journal?conversation=${encodeURIComponent(A)}&side=max`);
      assert.equal(page.statusCode, 200, page.body);
      const ids = [...page.body.matchAll(/<tr id="row-(\d+)"/g)].map((m) => Number(m[1]));
      assert.equal(ids.length, 2, 'the two MAX rows of A');
      assert.match(page.body, /\/max\/webhook\/:botId/);
      assert.match(page.body, /POST \/messages/);
      assert.ok(page.body.includes('Где мой заказ? Звоните +7 *** ***-**-67'), 'bodies as journaled: the phone masked when written');
      assert.match(page.body, new RegExp(`href="/admin/ui/conversations/${encodeURIComponent(A)}"`));
      const record = (await store.journal.search({ side: 'admin', limit: 5 })).rows.find((r) => r.endpoint === 'journal');
      assert.ok(record);
      assert.deepEqual(JSON.parse(record.requestBody ?? ''), { viewer: 'anna', role: 'admin', page: 'journal' });
      assert.deepEqual(record.refs.map((x) => x.conversationId), [A]);
      // A viewer sees the names in the bodies masked again.
      const seen = await get(viewer, `/admin/ui/journal?conversation=${encodeURIComponent(A)}&side=max`);
      assert.ok(seen.body.includes('&quot;first_name&quot;: &quot;М***&quot;'), 'the name as masked when written (a viewer\'s mask keeps a mask)');
      assert.ok(!seen.body.includes('Мария') && !seen.body.includes('Иванова'));
      // A row written while the policy kept phones and names (privacy: none): an admin sees it as written, a viewer masked.
      await store.journal.write({
        atMs: clock.nowMs(), side: 'hook', direction: 'out', method: 'POST', endpoint: 'erp', status: 200, durationMs: 30, conversationId: A,
        requestBody: JSON.stringify({ client: { phone: PHONE, first_name: 'Мария' } }),
      });
      const raw = await get(admin, `/admin/ui/journal?conversation=${encodeURIComponent(A)}&side=hook`);
      assert.ok(raw.body.includes(PHONE) && raw.body.includes('Мария'));
      const masked = await get(viewer, `/admin/ui/journal?conversation=${encodeURIComponent(A)}&side=hook`);
      assert.ok(masked.body.includes(`&quot;phone&quot;: &quot;${MASKED_PHONE}&quot;`), 'a viewer sees the phone masked');
      assert.ok(!masked.body.includes(PHONE) && !masked.body.includes('Мария'));
      // Words in the bodies: an admin's search; a viewer is told no.
      const words = await get(admin, '/admin/ui/journal?text=imconnector.send');
      assert.equal([...words.body.matchAll(/<tr id="row-(\d+)"/g)].length, 1);
      const refused = await get(viewer, '/admin/ui/journal?text=Мария');
      assert.match(refused.body, /только администраторам/);
      // A wrong filter is named, nothing searched; paging goes on from `before`.
      const bad = await get(admin, '/admin/ui/journal?from=yesterday');
      assert.match(bad.body, /from: &quot;yesterday&quot; is not start time/);
      assert.doesNotMatch(bad.body, /<tr id="row-/);
      const older = await get(admin, `/admin/ui/journal?conversation=${encodeURIComponent(A)}&side=max&before=${Math.max(...ids)}`);
      assert.deepEqual([...older.body.matchAll(/<tr id="row-(\d+)"/g)].map((m) => Number(m[1])), [Math.min(...ids)]);
      // The access records themselves: side "admin" (views).
      const views = await get(admin, '/admin/ui/journal?side=admin');
      assert.match(views.body, /просмотр в админке/);
    });

    test('the routes page lists the routes with conditions and targets, and explains a sample message', async () => {
      const page = await get(viewer, '/admin/ui/routes');
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, /<tr id="route-vip">[\s\S]*<code>start_payload<\/code>: \^vip_[\s\S]*msk:3/);
      assert.match(page.body, /<tr id="route-default">[\s\S]*по умолчанию[\s\S]*любой[\s\S]*msk:1/);
      const vip = await get(viewer, '/admin/ui/routes?explain=1&bot=sales&payload=vip_42&text=%D0%97%D0%B4%D1%80%D0%B0%D0%B2%D1%81%D1%82%D0%B2%D1%83%D0%B9%D1%82%D0%B5&chat_type=dialog');
      assert.match(vip.body, /id="explain-result"[\s\S]*Маршрут: vip[\s\S]*Линия: msk:3/);
      assert.match(vip.body, /start_payload «vip_42» подходит под \^vip_/);
      const plain = await get(admin, '/admin/ui/routes?explain=1&bot=sales&payload=hello&lang=en');
      assert.match(plain.body, /Route: default[\s\S]*Line: msk:1/);
      assert.match(plain.body, /route vip did not match/);
      const bad = await get(admin, '/admin/ui/routes?explain=1&bot=sales&at=tomorrow');
      assert.match(bad.body, /at: must be an ISO 8601 time/);
      assert.doesNotMatch(bad.body, /id="explain-result"/);
    });

    test('the hooks page: webhooks with their address\'s query hidden and their health, the delivery log, checks, and gates released by an admin', async () => {
      await store.hooks.setGate({ conversationId: C, verdict: 'hold', checkName: 'antifraud', note: null });
      const page = await get(admin, '/admin/ui/hooks');
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, /<tr id="webhook-erp">[\s\S]*https:\/\/erp\.example\.ru\/events\?token=\[redacted\][\s\S]*message\.inbound[\s\S]*есть неудачные/);
      assert.ok(!page.body.includes('erp-query-secret') && !page.body.includes('erp-webhook-secret'), 'no secret on the page');
      assert.match(page.body, /HTTP 503 Service Unavailable/);
      assert.match(page.body, /доставлено/);
      assert.match(page.body, /antifraud[\s\S]*https:\/\/af\.example\.ru\/check/);
      assert.match(page.body, new RegExp(`<tr data-conversation="${C}">[\\s\\S]*задержан`));
      const failed = await get(admin, '/admin/ui/hooks?webhook=erp&state=failed');
      assert.equal([...failed.body.matchAll(/class="badge bad">не удалось</g)].length, 1);
      const seen = await get(viewer, '/admin/ui/hooks');
      assert.doesNotMatch(seen.body, /name="action" value="release"/);
      assert.equal((await post(viewer, '/admin/ui/hooks', { action: 'release', conversation: C })).statusCode, 403);
      assert.equal((await store.hooks.gate(C))?.verdict, 'hold');
      const released = await post(admin, '/admin/ui/hooks', { action: 'release', conversation: C });
      assert.equal(released.statusCode, 303);
      assert.equal(await store.hooks.gate(C), null);
      const bad = await post(admin, '/admin/ui/hooks', { action: 'release', conversation: 'not an id' });
      assert.equal(bad.statusCode, 400);
    });
  });
}
