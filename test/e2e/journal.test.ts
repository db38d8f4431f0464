/**
 * The journal end to end (bridge + both emulators over HTTP, SQLite and PostgreSQL):
 * every hop of a message's life is a row that its ids find again — a client message
 * (MAX → bridge, bridge → Open Line) and an operator reply (Bitrix24 → bridge,
 * bridge → MAX, the delivery status back) — by message, conversation and client, in
 * the store, the admin API and the CLI; and with the default privacy policy no row and
 * no log line holds the client's name, phone or email in clear.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN } from '../../src/cli/sandbox.ts';
import type { JournalRow } from '../../src/store/repos/journal-repo.ts';
import { bridgeWorldFor, type BridgeWorld } from '../helpers/bridge-world.ts';
import { testEngines } from '../helpers/databases.ts';
import { until } from '../helpers/e2e.ts';

const ADMIN_TOKEN = 'journal-admin-token-0123456789';
const SECRET_KEY = 'journal-test-secret-key-0123456789';

const post = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
  return (await res.json()) as Record<string, unknown>;
};
const portalOf = (w: BridgeWorld) => w.sandbox.bitrix24.context.portals[0]!;
const lineChatOf = (w: BridgeWorld, userId: number) => [...portalOf(w).chats.values()].find((c) => c.externalUserId === String(userId));
const dialogOf = (w: BridgeWorld, userId: number) => [...w.sandbox.max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
const admin = (w: BridgeWorld, path: string) => fetch(`${w.bridge.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

/** Every row of the journal, whatever it names. */
async function allRows(w: BridgeWorld): Promise<JournalRow[]> {
  const rows: JournalRow[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await w.bridge.store.journal.search({ before, limit: 1_000 });
    rows.push(...page.rows);
    if (page.nextBefore === null) return rows;
    before = page.nextBefore;
  }
}

/** A client message delivered to the line and the operator's reply delivered to MAX (with its status back). */
async function roundTrip(w: BridgeWorld, user: { user_id: number; first_name: string; last_name?: string }, text: string, replyText: string, attachments: unknown[] = []) {
  await post(`${w.sandbox.max.controlUrl}/messages`, { user, text, attachments });
  const chat = await until(() => lineChatOf(w, user.user_id));
  await until(() => (chat.messageIds.some((id) => portalOf(w).messages.get(id)?.text.includes(text.slice(0, 10))) ? true : undefined));
  const dialog = dialogOf(w, user.user_id)!;
  const mid = dialog.mids.find((m) => w.sandbox.max.world.messages.get(m)!.message.body.text === text)!;
  const sent = await post(`${w.sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, { text: replyText });
  const replyId = Number((sent.message as { id: number }).id);
  await until(() => (portalOf(w).messages.get(replyId)?.delivered ? true : undefined));
  return { mid, replyId, conversationId: chat.externalChatId, maxChatId: String(dialog.chatId) };
}

for (const engine of testEngines()) {
  describe(`the journal (${engine.name})`, () => {
    const world = bridgeWorldFor(engine, {
      logLevel: 'trace',
      config: (sandbox, port) => ({
        server: { port, public_url: `http://127.0.0.1:${port}` },
        security: { secret_key: SECRET_KEY, admin_token: ADMIN_TOKEN },
        workers: { line_reorder_window_ms: 0 },
        bots: [{ id: 'shop', token: SANDBOX_BOT_TOKEN, webhook_secret: 'shop_secret', api_url: sandbox.max.baseUrl }],
        portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
        routes: [{ bot: '*', portal: 'main' }],
      }),
    });

    test('every hop of a client message and of the operator reply is a row found by its message, conversation and client', async () => {
      const w = world();
      const { mid, replyId, conversationId, maxChatId } = await roundTrip(w, { user_id: 7101, first_name: 'Клиент' }, 'Журнал: где мой заказ?', 'Журнал: уже в пути');
      assert.equal(conversationId, `shop:${maxChatId}`);
      const store = w.bridge.store;
      // The client's message: MAX → bridge, then bridge → the Open Line (its job and line named).
      const inbound = await until(async () => {
        const rows = (await store.journal.search({ messageId: mid })).rows;
        return rows.some((r) => r.endpoint === 'imconnector.send.messages') ? rows : undefined;
      });
      const received = inbound.find((r) => r.side === 'max' && r.direction === 'in');
      assert.ok(received, `the webhook row: ${JSON.stringify(inbound.map((r) => r.endpoint))}`);
      assert.equal(received.status, 200);
      assert.equal(received.conversationId, conversationId);
      assert.equal(received.maxUserId, '7101');
      assert.equal(received.maxChatId, maxChatId);
      assert.equal(received.botId, 'shop');
      assert.ok(received.requestBody?.includes('Журнал: где мой заказ?'), 'the update is the row\'s body (texts kept by the default policy)');
      const toLine = inbound.find((r) => r.endpoint === 'imconnector.send.messages')!;
      assert.equal(toLine.side, 'bitrix24');
      assert.equal(toLine.direction, 'out');
      assert.equal(toLine.status, 200);
      assert.equal(toLine.portalId, 'main');
      assert.match(toLine.lineRef ?? '', /^main:\d+$/);
      assert.match(toLine.jobId ?? '', /^\d+$/);
      assert.ok(toLine.conversationId === conversationId || toLine.refs.some((r) => r.conversationId === conversationId && r.messageId === mid), 'the call names the conversation');
      assert.ok(received.atMs <= toLine.atMs, 'received before it was sent on');

      // The operator's reply: Bitrix24 → bridge, bridge → MAX, the delivery status back.
      const outbound = await until(async () => {
        const rows = (await store.journal.search({ messageId: String(replyId) })).rows;
        return rows.some((r) => r.endpoint === 'imconnector.send.status.delivery') ? rows : undefined;
      });
      const event = outbound.find((r) => r.side === 'bitrix24' && r.direction === 'in');
      assert.ok(event, `the event row: ${JSON.stringify(outbound.map((r) => r.endpoint))}`);
      assert.equal(event.endpoint, 'ONIMCONNECTORMESSAGEADD');
      assert.equal(event.portalId, 'main');
      assert.equal(event.conversationId, conversationId);
      assert.ok(!(event.requestBody ?? '').includes(SANDBOX_APP.clientSecret), 'no secret in the body');
      assert.match(event.requestBody ?? '', /application_token%5D=\[REDACTED\]/, 'the application token is redacted');
      const toMax = outbound.find((r) => r.side === 'max' && r.direction === 'out')!;
      assert.equal(toMax.endpoint, 'POST /messages');
      assert.equal(toMax.status, 200);
      assert.equal(toMax.conversationId, conversationId);
      assert.equal(toMax.maxUserId, '7101');
      assert.match(toMax.jobId ?? '', /^\d+$/);
      const status = outbound.find((r) => r.endpoint === 'imconnector.send.status.delivery')!;
      assert.equal(status.conversationId ?? status.refs.find((r) => r.messageId === String(replyId))?.conversationId, conversationId);
      assert.ok(event.atMs <= toMax.atMs && toMax.atMs <= status.atMs, 'the hops in the order they happened');

      // The conversation's and the client's rows hold all five hops.
      const byConversation = (await store.journal.search({ conversationId, limit: 1_000 })).rows.map((r) => r.id);
      const byClient = (await store.journal.search({ maxUserId: '7101', limit: 1_000 })).rows.map((r) => r.id);
      for (const row of [received, toLine, event, toMax, status]) {
        assert.ok(byConversation.includes(row.id), `${row.endpoint} is among the conversation's rows`);
        assert.ok(byClient.includes(row.id), `${row.endpoint} is among the client's rows`);
      }
      // Filters narrow, pages page.
      const failed = (await store.journal.search({ conversationId, status: 'failed' })).rows;
      assert.deepEqual(failed, [], 'nothing failed in this conversation');
      const first = await store.journal.search({ conversationId, limit: 2 });
      assert.equal(first.rows.length, 2);
      assert.ok(first.nextBefore !== null);
      const second = await store.journal.search({ conversationId, limit: 2, before: first.nextBefore });
      assert.ok(second.rows.every((r) => r.id < first.rows[1]!.id), 'the next page is older');
    });

    test('the admin API searches the journal and exports a conversation\'s trail; bad parameters get a 400 with the code', async () => {
      const w = world();
      const { mid, conversationId } = await roundTrip(w, { user_id: 7102, first_name: 'Пётр' }, 'Журнал API: вопрос', 'Журнал API: ответ');
      const res = await admin(w, `/admin/journal?message=${encodeURIComponent(mid)}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { rows: Array<{ endpoint: string; conversation_id: string | null; max_user_id: string | null }>; next_before: number | null };
      assert.ok(body.rows.some((r) => r.endpoint === '/max/webhook/:botId' && r.conversation_id === conversationId && r.max_user_id === '7102'));
      const bad = await admin(w, '/admin/journal?status=maybe&from=yesterday');
      assert.equal(bad.status, 400);
      const error = (await bad.json()) as { error: string; detail: string };
      assert.equal(error.error, 'BRG_ERR_INVALID_QUERY');
      assert.match(error.detail, /status: "maybe"/);
      assert.match(error.detail, /from: "yesterday"/);
      const unauthorized = await fetch(`${w.bridge.url}/admin/journal`);
      assert.equal(unauthorized.status, 401);
      const trail = await admin(w, `/admin/conversations/${encodeURIComponent(conversationId)}/trail?format=json`);
      assert.equal(trail.status, 200);
      assert.match(JSON.stringify(await trail.json()), /Журнал API: вопрос/);
      const page = await admin(w, `/admin/conversations/${encodeURIComponent(conversationId)}/trail?format=html`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await page.text(), /^<!doctype html>/i);
      assert.equal((await admin(w, '/admin/conversations/shop:1/trail')).status, 404);
    });

    test('with the default privacy policy no journal row and no log line holds the client\'s name, phone or email in clear', async () => {
      const w = world();
      const user = { user_id: 7103, first_name: 'Евлампия', last_name: 'Тихомирова' };
      await roundTrip(w, user, 'Мой номер +7 916 555-12-67, почта evlampiya.t@example.ru', 'Спасибо, перезвоним на +7 916 555-12-67', [
        { type: 'contact', name: 'Евлампия Тихомирова', phone: '+79165551267' },
      ]);
      const rows = await allRows(w);
      const texts = rows.map((r) => JSON.stringify(r));
      assert.ok(texts.some((t) => t.includes('Мой номер')), 'the conversation is in the journal (texts are kept)');
      const logs = w.logLines.map((l) => JSON.stringify(l));
      for (const secret of ['Евлампия', 'Тихомирова', '916 555-12-67', '9165551267', '79165551267', 'evlampiya.t@example.ru', 'evlampiya']) {
        const row = texts.find((t) => t.includes(secret));
        assert.equal(row, undefined, `"${secret}" in a journal row: ${row?.slice(0, 400)}`);
        const line = logs.find((t) => t.includes(secret));
        assert.equal(line, undefined, `"${secret}" in a log line: ${line?.slice(0, 400)}`);
      }
      assert.ok(texts.some((t) => t.includes('+7 *** ***-**-67')), 'the phone is there, masked');
    });

    test('the CLI searches the journal and exports a trail; bad usage exits 2 with the fix', async () => {
      const w = world();
      const { conversationId } = await roundTrip(w, { user_id: 7104, first_name: 'Ольга' }, 'Журнал CLI: вопрос', 'Журнал CLI: ответ');
      const env = { ...process.env, DATABASE_URL: w.config.database.url, BRIDGE_SECRET_KEY: SECRET_KEY, CONFIG_FILE: '', MAX_BOT_TOKEN: '', BITRIX24_CLIENT_ID: '' };
      const run = promisify(execFile);
      const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', ...args], { env, cwd: process.cwd() });
      const found = await cli(['journal', 'search', '--client', '7104', '--json']);
      const rows = found.stdout.trim().split('\n').map((l) => JSON.parse(l) as JournalRow);
      assert.ok(rows.some((r) => r.endpoint === 'POST /messages' && r.conversationId === conversationId));
      const exported = await cli(['journal', 'export', conversationId, '--format', 'json']);
      assert.match(exported.stdout, /Журнал CLI: ответ/);
      await assert.rejects(cli(['journal', 'search', '--status', 'maybe']), (err: { code?: number; stderr?: string }) => {
        assert.equal(err.code, 2);
        assert.match(err.stderr ?? '', /status/);
        return true;
      });
      await assert.rejects(cli(['journal', 'export', 'shop:1']), (err: { code?: number }) => err.code === 1);
    });
  });
}
