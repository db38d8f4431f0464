/**
 * End to end over HTTP (bridge + both emulators, SQLite and PostgreSQL), the
 * inbound cases beyond one dialog: coalescing of a line's pending messages into
 * few imconnector calls with per-conversation order, group chat events and chat
 * renaming, the client's avatar and profile link, the external chat id scheme,
 * long messages, and unknown update types.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { parseLineRef } from '../../src/domain/ids.ts';
import { testEngines } from '../helpers/databases.ts';
import { until } from '../helpers/e2e.ts';

type LineMessage = { text: string; deleted: boolean };
type LineChat = { externalChatId: string; externalUser: Record<string, unknown>; messages: LineMessage[] };

/** The sandbox runs with the default cap of the line reorder window. */
const DEFAULT_LINE_REORDER_CAP_MS = configSchema.parse({}).workers.line_reorder_window_ms;

for (const engine of testEngines()) {
  describe(`inbound events end to end (${engine.name})`, () => {
    let sandbox: Sandbox;
    const dir = mkdtempSync(join(tmpdir(), 'bridge-e2e-events-'));

    const b24 = async (path: string) => (await (await fetch(`${sandbox.bitrix24.controlUrl}${path}`)).json()) as Record<string, unknown>;
    const maxCtl = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${sandbox.max.controlUrl}${path}`, {
        method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.equal(res.status, 200, `${method} ${path}: ${await res.clone().text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const lineChats = async () => (await b24('/portals/0/chats')).chats as LineChat[];
    const lineTexts = async () => (await lineChats()).flatMap((c) => c.messages.filter((m) => !m.deleted).map((m) => m.text));
    const waitForText = (predicate: (t: string) => boolean) => until(async () => ((await lineTexts()).some(predicate) ? true : undefined));

    before(async () => {
      sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir, databaseUrl: await engine.createDatabase() });
      await until(async () => {
        const list = (await b24('/portals/0/bindings')).bindings as Array<{ event: string }>;
        return list.some((b) => b.event === 'ONAPPUNINSTALL') ? true : undefined;
      });
    });
    after(async () => {
      await sandbox.close();
      await engine.dropAll();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the client profile (avatar, profile link) reaches the line; the external chat id names bot and chat', async () => {
      await maxCtl('POST', '/users', { user_id: 9001, first_name: 'Мария', last_name: 'Котова', username: 'maria_k', avatar_url: 'https://cdn.example.ru/maria.jpg' });
      const sent = await maxCtl('POST', '/messages', { user: { user_id: 9001 }, text: 'Добрый день' });
      const chatId = String(((sent.message as Record<string, unknown>).recipient as Record<string, unknown>).chat_id);
      const chat = await until(async () => (await lineChats()).find((c) => c.messages.some((m) => m.text === 'Добрый день')));
      assert.equal(chat.externalChatId, `sandbox:${chatId}`);
      assert.deepEqual(chat.externalUser.picture, { url: 'https://cdn.example.ru/maria.jpg' });
      assert.equal(chat.externalUser.url, 'https://max.ru/maria_k');
      assert.equal(chat.externalUser.last_name, 'Котова');
    });

    test('replies and forwards carry their context; a sticker is named; dialog_removed blocks and tells the operator', async () => {
      const first = await maxCtl('POST', '/messages', { user: { user_id: 9001 }, text: 'Где мой заказ?' });
      const mid = String(((first.message as Record<string, unknown>).body as Record<string, unknown>).mid);
      await maxCtl('POST', '/messages', { user: { user_id: 9001 }, text: 'уточняю', reply_to: mid });
      await maxCtl('POST', '/messages', { user: { user_id: 9001 }, text: 'смотрите', forward: mid });
      await maxCtl('POST', '/messages', { user: { user_id: 9001 }, attachments: [{ type: 'sticker', code: 'smile' }] });
      await waitForText((t) => t === '(Стикер)');
      const texts = await lineTexts();
      assert.ok(texts.includes('[quote]Ответ на (Мария): Где мой заказ?[/quote]\nуточняю') || texts.some((t) => t.startsWith('[quote]Ответ на (Мария): Где мой заказ?[/quote]') && t.endsWith('уточняю')), texts.join(' | '));
      assert.ok(texts.some((t) => t.startsWith('[quote]Переслано (Мария): Где мой заказ?[/quote]') && t.endsWith('смотрите')), texts.join(' | '));
      await maxCtl('POST', '/bot-stopped', { user_id: 9001, remove_dialog: true });
      await waitForText((t) => t.startsWith('Клиент удалил диалог с ботом.'));
      const conv = await sandbox.bridge!.store.db.selectFrom('conversations').select('state').where('max_user_id', '=', '9001').executeTakeFirstOrThrow();
      assert.equal(conv.state, 'blocked');
      await maxCtl('POST', '/bot-started', { user: { user_id: 9001 } });
      await until(async () => (await sandbox.bridge!.store.db.selectFrom('conversations').select('state').where('max_user_id', '=', '9001').executeTakeFirstOrThrow()).state === 'active' ? true : undefined);
    });

    test('a long message (4000 characters) arrives intact', async () => {
      const long = Array.from({ length: 400 }, (_, i) => `строка${String(i).padStart(3, '0')}`).join(' ').padEnd(4000, 'ж').slice(0, 4000);
      assert.equal(long.length, 4000);
      await maxCtl('POST', '/messages', { user: { user_id: 9001 }, text: long });
      await waitForText((t) => t === long);
    });

    test('unknown update types are stored and journaled, never a crash', async () => {
      const res = await fetch(`${sandbox.bridge!.url}/max/webhook/sandbox`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': 'sandbox_webhook_secret' },
        body: JSON.stringify({ update_type: 'future_feature', timestamp: 1_790_000_000_000, chat_id: 42, something: { nested: true } }),
      });
      assert.equal(res.status, 200);
      const store = sandbox.bridge!.store;
      const event = await store.db.selectFrom('events').selectAll().where('kind', '=', 'future_feature').executeTakeFirstOrThrow();
      const job = await until(async () => {
        const j = await store.db.selectFrom('jobs').selectAll().where('event_id', '=', event.id).executeTakeFirst();
        return j?.state === 'done' ? j : undefined;
      });
      assert.equal(job.state, 'done');
      const journaled = await until(async () => {
        const rows = await store.db.selectFrom('journal').select(['message_id', 'status']).where('endpoint', '=', '/max/webhook/:botId').execute();
        return rows.find((r) => r.message_id === event.dedupe_key);
      });
      assert.equal(journaled.status, 200);
    });

    test('pending messages of a line are coalesced into few send.messages calls, each conversation in order', async () => {
      const store = sandbox.bridge!.store;
      const line = await store.db.selectFrom('lines').selectAll().where('portal_id', '=', 'sandbox').executeTakeFirstOrThrow();
      const lineRef = parseLineRef(line.id);
      // Hold the line (as a paused line does) while 40 clients write 3 messages each...
      await store.db.updateTable('lines').set({ state: 'paused', paused_reason: 'test hold' }).where('id', '=', line.id).execute();
      const requestsBefore = ((await b24('/requests')).requests as Array<{ method: string }>).length;
      const clients = Array.from({ length: 40 }, (_, i) => 10_000 + i);
      await Promise.all(clients.map(async (userId) => {
        for (let n = 1; n <= 3; n++) await maxCtl('POST', '/messages', { user: { user_id: userId, first_name: `Клиент${userId}` }, text: `c${userId}-m${n}` });
      }));
      await until(async () => ((await store.outbox.countPending(lineRef)) === 120 ? true : undefined));
      // The 40 clients wrote at once, so some deliveries overtook others and the line's reorder
      // window grew (reorder-watermark.ts); past its cap every item may go, and what is checked
      // below is coalescing alone.
      await new Promise((r) => setTimeout(r, DEFAULT_LINE_REORDER_CAP_MS));
      // ...then restore it: the health check re-activates it and its outbox goes out.
      const report = await sandbox.bridge!.maintain();
      assert.deepEqual(report.reactivated, [line.id]);
      await until(async () => ((await store.outbox.countPending(lineRef)) === 0 ? true : undefined)).catch(async (err) => {
        console.error(JSON.stringify(await store.db.selectFrom('jobs').selectAll().where('kind', '=', 'line.flush').orderBy('id', 'desc').limit(5).execute()));
        console.error(JSON.stringify(await store.db.selectFrom('lines').selectAll().execute()), await store.outbox.countByState());
        throw err;
      });
      const sends = ((await b24('/requests')).requests as Array<{ method: string; items?: number }>).slice(requestsBefore)
        .filter((r) => r.method === 'imconnector.send.messages');
      assert.deepEqual(sends.map((r) => r.items), [50, 50, 20], '120 messages in 3 calls of at most 50');
      const chats = await lineChats();
      for (const userId of clients) {
        const chat = chats.find((c) => c.messages.some((m) => m.text === `c${userId}-m1`));
        assert.ok(chat, `client ${userId} reached the line`);
        assert.deepEqual(chat.messages.map((m) => m.text).filter((t) => t.startsWith(`c${userId}-`)), [`c${userId}-m1`, `c${userId}-m2`, `c${userId}-m3`]);
      }
    });
  });
}
