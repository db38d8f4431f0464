/**
 * Group chats, channels and unknown attachments end to end (bridge + both
 * emulators over HTTP, SQLite and PostgreSQL). By default only dialogs reach
 * the Open Lines: a group chat's and a channel's updates are stored and listed
 * as skipped. With `max.group_chats: conversation` a group is ONE Open Lines
 * dialog titled after it, each message signed by its author; channel posts
 * never become conversations. An attachment of a type the bridge does not know
 * says what it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { testEngines, type TestEngine } from '../helpers/databases.ts';
import { installApp, until } from '../helpers/e2e.ts';

type Json = Record<string, unknown>;

/** Emulators and a bridge with `max.group_chats` as given, set up before the block's tests. */
function bridgeFor(engine: TestEngine, groupChats: 'ignore' | 'conversation' | undefined) {
  const env = { sandbox: null as Sandbox | null, bridge: null as Bridge | null };
  before(async () => {
    env.sandbox = await startSandbox({ preferredPorts: false });
    const port = await freePort();
    const config = configSchema.parse({
      server: { port, public_url: `http://127.0.0.1:${port}` },
      database: { url: await engine.createDatabase() },
      security: { secret_key: 'group-chats-test-secret-key-01' },
      bots: [{ id: 'main', token: SANDBOX_BOT_TOKEN, api_url: env.sandbox.max.baseUrl }],
      portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
      ...(groupChats ? { max: { group_chats: groupChats } } : {}),
    });
    env.bridge = await startBridge(config, { clock: systemClock });
    await installApp(env.sandbox.bitrix24.controlUrl, env.bridge.url);
  });
  after(async () => {
    await env.bridge?.close();
    await env.sandbox?.close();
    await engine.dropAll();
  });
  const sandbox = () => env.sandbox!;
  const bridge = () => env.bridge!;
  const control = async (path: string, body: unknown) => {
    const res = await fetch(`${sandbox().max.controlUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return (await res.json()) as Json;
  };
  const portal = () => sandbox().bitrix24.context.portals[0]!;
  const lineChatsOf = (maxChatId: number) => [...portal().chats.values()].filter((c) => c.externalChatId === `main:${maxChatId}`);
  const lineTexts = (maxChatId: number) => lineChatsOf(maxChatId).flatMap((c) => c.messageIds.map((id) => portal().messages.get(id)!)).filter((m) => m.direction === 'in').map((m) => m.text);
  const skipped = async () => bridge().store.skipped.list();
  return { sandbox, bridge, control, portal, lineChatsOf, lineTexts, skipped };
}

for (const engine of testEngines()) {
  describe(`group chats and channels, default settings (${engine.name})`, () => {
    const t = bridgeFor(engine, undefined);

    test('a member\'s message in a group and a channel post open no Open Lines session and no lead; both are kept and listed as skipped', async () => {
      const group = Number((await t.control('/chats', { title: 'Семья', owner: { user_id: 9101, first_name: 'Ольга' }, members: [{ user_id: 9102, first_name: 'Пётр' }] })).chat_id);
      const channel = Number((await t.control('/chats', { title: 'Новости магазина', owner: { user_id: 9101 }, is_channel: true })).chat_id);
      await t.control('/messages', { chat_id: group, user: { user_id: 9102 }, text: 'всем привет' });
      await t.control('/messages', { chat_id: channel, text: 'скидки до пятницы' });
      // A dialog still works, beside them.
      await t.control('/messages', { user: { user_id: 9103, first_name: 'Клара' }, text: 'мне нужна помощь' });
      const list = await until(async () => ((await t.skipped()).length >= 4 ? t.skipped() : undefined));
      await until(() => ([...t.portal().chats.values()].some((c) => c.externalUserId === '9103') ? true : undefined));
      assert.deepEqual(list.map((s) => [s.kind, s.reason]).sort(), [
        ['bot_added', 'channel'], ['bot_added', 'group_chat'], ['message_created', 'channel'], ['message_created', 'group_chat'],
      ]);
      // The emulator delivers them as MAX does: negative chat ids, the chat type, no sender on a channel post.
      const post = list.map((s) => JSON.parse(s.raw) as Json).find((u) => u.update_type === 'message_created' && (u.message as Json).sender === null)!;
      assert.deepEqual((post.message as Json).recipient, { chat_id: channel, chat_type: 'channel', user_id: null });
      const member = list.map((s) => JSON.parse(s.raw) as Json).find((u) => u.update_type === 'message_created' && (u.message as Json).sender !== null)!;
      assert.equal(((member.message as Json).recipient as Json).chat_type, 'chat');
      assert.ok(group < 0 && channel < 0);
      assert.deepEqual([t.lineChatsOf(group), t.lineChatsOf(channel)], [[], []], 'no Open Lines session for the group or the channel');
      // The line's CRM tracker binds seconds after the message: one lead, the dialog's, once it has run.
      await until(() => ([...t.portal().chats.values()].some((c) => c.crm.LEAD > 0) ? true : undefined));
      await until(() => (t.sandbox().bitrix24.context.pendingDeliveries().crmPending === 0 ? true : undefined));
      assert.equal([...t.portal().chats.values()].filter((c) => c.crm.LEAD > 0).length, 1, 'one lead: the dialog\'s');
      assert.equal(await t.bridge().store.skipped.count('group_chat'), 2);
    });

    test('a client\'s attachment of a type the bridge does not know reaches the Open Line saying what it was, not as an empty message', async () => {
      await t.control('/messages', {
        user: { user_id: 9104, first_name: 'Зоя' },
        attachments: [{ type: 'raw', attachment: { type: 'xyz', payload: { url: 'https://files.example.ru/a.bin' } } }],
      });
      await t.control('/messages', { user: { user_id: 9104 }, text: 'и ещё', attachments: [{ type: 'raw', attachment: { type: 'data', filename: 'отчёт.dat' } }] });
      const texts = await until(() => {
        const chat = [...t.portal().chats.values()].find((c) => c.externalUserId === '9104');
        const list = (chat?.messageIds ?? []).map((id) => t.portal().messages.get(id)!.text);
        return list.length === 2 ? list : undefined;
      });
      assert.deepEqual(texts, [
        '(Вложение MAX неизвестного типа: xyz; [url=https://files.example.ru/a.bin]https://files.example.ru/a.bin[/url])',
        'и ещё\n(Вложение MAX неизвестного типа: data; «отчёт.dat»)',
      ]);
    });
  });

  describe(`group chats as conversations (${engine.name})`, () => {
    const t = bridgeFor(engine, 'conversation');

    test('with max.group_chats: conversation, a group is ONE Open Lines dialog titled after it, each message signed by its author; the operator answers the group', async () => {
      const group = Number((await t.control('/chats', { title: 'Проект Альфа', owner: { user_id: 9201, first_name: 'Анна' }, members: [{ user_id: 9202, first_name: 'Борис', last_name: 'Иванов' }] })).chat_id);
      await t.control('/messages', { chat_id: group, user: { user_id: 9201 }, text: 'первое' });
      await t.control('/messages', { chat_id: group, user: { user_id: 9202 }, text: 'второе' });
      const texts = await until(() => (t.lineTexts(group).some((x) => x.endsWith('второе')) ? t.lineTexts(group) : undefined));
      const chats = t.lineChatsOf(group);
      assert.equal(chats.length, 1, 'one Open Lines dialog for the whole group');
      assert.deepEqual([chats[0]!.externalUser.name, chats[0]!.externalUser.last_name], ['Группа', 'Проект Альфа']);
      assert.deepEqual(texts.slice(-2), ['[b]Анна:[/b]\nпервое', '[b]Борис Иванов:[/b]\nвторое']);
      const res = await fetch(`${t.sandbox().bitrix24.controlUrl}/portals/0/chats/${chats[0]!.chatId}/reply`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Здравствуйте, группа!' }),
      });
      assert.equal(res.status, 200);
      await until(() => {
        const chat = t.sandbox().max.world.chats.get(group)!;
        return chat.mids.map((mid) => t.sandbox().max.world.messages.get(mid)!).some((m) => m.fromBot && (m.message.body.text ?? '').endsWith('Здравствуйте, группа!')) ? true : undefined;
      });
    });

    test('with max.group_chats: conversation, group events reach the group\'s dialog: bot added, members added and removed, title changed (chat renamed), bot removed', async () => {
      const group = Number((await t.control('/chats', { title: 'Закупки ООО Ромашка', owner: { user_id: 8001, first_name: 'Анна', last_name: 'Смирнова' } })).chat_id);
      const waitForText = (predicate: (x: string) => boolean) => until(() => (t.lineTexts(group).some(predicate) ? true : undefined));
      await waitForText((x) => x === 'Бота добавили в чат (кто: Анна Смирнова)');
      await t.control('/messages', { user: { user_id: 8001 }, chat_id: group, text: 'Нужен счёт' });
      await t.control(`/chats/${group}/members`, { user: { user_id: 8002, first_name: 'Борис' }, inviter_id: 8001 });
      await t.control(`/chats/${group}/members`, { user: { user_id: 8003, first_name: 'Вера' }, inviter_id: null });
      const removed = await fetch(`${t.sandbox().max.controlUrl}/chats/${group}/members/8002`, { method: 'DELETE' });
      assert.equal(removed.status, 200);
      const renamed = await fetch(`${t.sandbox().max.controlUrl}/chats/${group}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Закупки 2027', by: { user_id: 8001 } }),
      });
      assert.equal(renamed.status, 200);
      await waitForText((x) => x === 'Название чата изменено: «Закупки 2027»');
      for (const expected of ['[b]Анна Смирнова:[/b]\nНужен счёт', 'В чат добавлен участник: Борис', 'К чату присоединился участник: Вера', 'Участник покинул чат: Борис']) {
        assert.ok(t.lineTexts(group).includes(expected), `line shows "${expected}"`);
      }
      assert.equal(t.lineChatsOf(group).length, 1, 'every event in the one dialog of the group');
      await until(() => (t.lineChatsOf(group)[0]?.externalUser.chat_name === 'Группа «Закупки 2027»' ? true : undefined));
      await t.control(`/chats/${group}/remove-bot`, { by: { user_id: 8001 } });
      await waitForText((x) => x.startsWith('Бота удалили из чата'));
      const conv = await t.bridge().store.db.selectFrom('conversations').select('state').where('id', '=', `main:${group}`).executeTakeFirstOrThrow();
      assert.equal(conv.state, 'blocked');
    });

    test('with max.group_chats: conversation, a channel post still opens no session and is listed as skipped', async () => {
      const channel = Number((await t.control('/chats', { title: 'Канал', owner: { user_id: 9203 }, is_channel: true })).chat_id);
      await t.control('/messages', { chat_id: channel, text: 'пост' });
      await until(async () => ((await t.skipped()).filter((s) => s.reason === 'channel').length === 2 ? true : undefined));
      assert.deepEqual(t.lineChatsOf(channel), []);
    });
  });
}
