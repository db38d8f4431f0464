/**
 * Walks every Bot API endpoint of the MAX emulator and makes it emit every
 * update type of the official schema; validates every response and every
 * update against spec/max/openapi.yaml with Ajv (test/helpers/max-schema.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startMaxEmulator, type MaxEmulator } from '../../../emulators/max/index.ts';
import { createMaxSchemaValidator } from '../../helpers/max-schema.ts';
import { call, control, uploadFile, type JsonResponse } from './helpers.ts';

const TOKEN = 'walk-token';
const v = createMaxSchemaValidator();

function expectValid(name: string, res: JsonResponse, status = 200): Record<string, unknown> {
  assert.equal(res.status, status, `unexpected status ${res.status}: ${res.text}`);
  const schema = status === 200 ? name : 'Error';
  const problem = v.check(schema, res.body);
  assert.equal(problem, null, `${schema} invalid: ${problem}\n${res.text}`);
  return res.body as Record<string, unknown>;
}

describe('MAX emulator: every endpoint and update validates against the official schema', () => {
  let emu: MaxEmulator;
  const bot = (method: string, path: string, body?: unknown) => call(emu.baseUrl, method, path, { token: TOKEN, body });
  const ctl = (method: string, path: string, body?: unknown) => control(emu.controlUrl, method, path, body);
  const schemaOf = (method: string, path: string) => v.responseSchemaOf(method, path);

  before(async () => {
    emu = await startMaxEmulator({ bots: [{ token: TOKEN }], attachmentNotReadyMs: 0, chatMessagesPerSecond: 1_000, botRps: 10_000 });
  });
  after(async () => emu.close());

  test('walk', async () => {
    expectValid(schemaOf('get', '/me'), await bot('GET', '/me'));
    const user = { user_id: 5001, first_name: 'Иван', last_name: 'Петров', username: 'ivan' };
    const started = (await ctl('POST', '/bot-started', { user, payload: 'utm_source=site' })).body as { chat_id: number };
    const chatId = started.chat_id;

    // Uploads of every type, then sends that use them.
    const tokens: Record<string, unknown> = {};
    for (const type of ['image', 'video', 'audio', 'file'] as const) {
      const ep = expectValid(schemaOf('post', '/uploads'), await bot('POST', `/uploads?type=${type}`)) as { url: string; token?: string };
      const up = await uploadFile(ep.url, Buffer.from(`${type}-bytes`), `${type}.bin`, 'application/octet-stream');
      assert.equal(up.status, 200);
      tokens[type] = type === 'image' ? { photos: (up.body as { photos: unknown }).photos } : { token: ep.token ?? (up.body as { token: string }).token };
    }
    const sendSchema = schemaOf('post', '/messages');
    const sent = expectValid(sendSchema, await bot('POST', '/messages?user_id=5001', { text: 'Здравствуйте', format: 'markdown' })) as {
      message: { body: { mid: string } };
    };
    const mid = sent.message.body.mid;
    expectValid(sendSchema, await bot('POST', `/messages?chat_id=${chatId}`, {
      text: 'Фото и видео', attachments: [{ type: 'image', payload: tokens.image }, { type: 'video', payload: tokens.video }],
    }));
    expectValid(sendSchema, await bot('POST', `/messages?chat_id=${chatId}`, { attachments: [{ type: 'audio', payload: tokens.audio }] }));
    const withKeyboard = expectValid(sendSchema, await bot('POST', `/messages?chat_id=${chatId}`, {
      text: 'Документ', attachments: [
        { type: 'file', payload: tokens.file },
        { type: 'inline_keyboard', payload: { buttons: [[{ type: 'callback', text: 'Да', payload: 'yes' }, { type: 'link', text: 'Сайт', url: 'https://example.com' }]] } },
      ],
    })) as { message: { body: { mid: string } } };
    expectValid(sendSchema, await bot('POST', `/messages?chat_id=${chatId}`, { attachments: [{ type: 'sticker', payload: { code: 'smile' } }] }));
    expectValid(sendSchema, await bot('POST', `/messages?chat_id=${chatId}`, { attachments: [{ type: 'contact', payload: { name: 'Оператор', vcf_phone: '+79990000000' } }] }));
    expectValid(sendSchema, await bot('POST', `/messages?chat_id=${chatId}`, { attachments: [{ type: 'location', latitude: 55.75, longitude: 37.62 }] }));
    expectValid(sendSchema, await bot('POST', `/messages?chat_id=${chatId}`, { attachments: [{ type: 'share', payload: { url: 'https://example.com' } }] }));
    expectValid(sendSchema, await bot('POST', `/messages?chat_id=${chatId}`, { text: 'Ответ', link: { type: 'reply', mid } }));

    expectValid(schemaOf('put', '/messages'), await bot('PUT', `/messages?message_id=${mid}`, { text: 'Изменено' }));
    expectValid(schemaOf('get', '/messages'), await bot('GET', `/messages?chat_id=${chatId}&count=100`));
    expectValid(schemaOf('get', '/messages/{messageId}'), await bot('GET', `/messages/${mid}`));
    expectValid(schemaOf('get', '/chats/{chatId}'), await bot('GET', `/chats/${chatId}`));
    expectValid(schemaOf('post', '/chats/{chatId}/actions'), await bot('POST', `/chats/${chatId}/actions`, { action: 'typing_on' }));
    expectValid(schemaOf('get', '/videos/{videoToken}'), await bot('GET', `/videos/${(tokens.video as { token: string }).token}`));

    // User side: every update type.
    const userMsg = (await ctl('POST', '/messages', {
      user, text: 'Жирный текст и ссылка', markup: [{ type: 'strong', from: 0, length: 6 }, { type: 'link', from: 15, length: 6, url: 'https://example.com' }],
      attachments: [
        { type: 'image', filename: 'a.png', content_base64: 'iVBORw0KGgo=' }, { type: 'video', filename: 'v.mp4' },
      ],
    })).body as { message: { body: { mid: string } } };
    for (const attachment of [
      { type: 'audio', filename: 'a.ogg' }, { type: 'file', filename: 'd.pdf', content_base64: 'JVBERi0=' }, { type: 'sticker', code: 'wink' },
      { type: 'contact', name: 'Анна', phone: '+79991112233', user_id: 5002 }, { type: 'location', latitude: 59.93, longitude: 30.31 },
      { type: 'share', url: 'https://example.com/a', title: 'Статья' },
    ]) {
      assert.equal((await ctl('POST', '/messages', { user, attachments: [attachment] })).status, 200);
    }
    await ctl('POST', '/messages', { user, text: 'ответ', reply_to: mid });
    await ctl('POST', '/messages', { user, forward: userMsg.message.body.mid });
    await ctl('PUT', `/messages/${userMsg.message.body.mid}`, { text: 'исправлено' });
    const cb = (await ctl('POST', '/callbacks', { user_id: 5001, mid: withKeyboard.message.body.mid, payload: 'yes' })).body as {
      callback: { callback_id: string };
    };
    expectValid(schemaOf('post', '/answers'), await bot('POST', `/answers?callback_id=${cb.callback.callback_id}`, { notification: 'Принято' }));
    await ctl('DELETE', `/messages/${userMsg.message.body.mid}`);
    for (const kind of ['cleared', 'muted', 'unmuted']) await ctl('POST', '/dialog-events', { user_id: 5001, kind });
    const group = (await ctl('POST', '/chats', { title: 'Группа', owner: user })).body as { chat_id: number };
    await ctl('POST', `/chats/${group.chat_id}/members`, { user: { user_id: 5003, first_name: 'Пётр' }, inviter_id: 5001 });
    await ctl('DELETE', `/chats/${group.chat_id}/members/5003`);
    await ctl('PATCH', `/chats/${group.chat_id}`, { title: 'Новая группа', by: user });
    await ctl('POST', `/chats/${group.chat_id}/bot-permissions`, { by_user_id: 5001, is_admin: true, permissions: ['read_all_messages'] });
    const channel = (await ctl('POST', '/chats', { title: 'Канал', owner: user, is_channel: true })).body as { chat_id: number };
    const post = expectValid(sendSchema, await bot('POST', `/messages?chat_id=${channel.chat_id}`, { text: 'Пост' })) as { message: { body: { mid: string } } };
    const comment = (await ctl('POST', '/comments', { chat_id: channel.chat_id, post_mid: post.message.body.mid, user, text: 'Коммент' })).body as {
      message: { body: { mid: string } };
    };
    await ctl('PUT', `/comments/${comment.message.body.mid}`, { text: 'Коммент 2' });
    await ctl('DELETE', `/comments/${comment.message.body.mid}`);
    await ctl('POST', `/chats/${group.chat_id}/remove-bot`, { by: user });
    await ctl('POST', '/bot-stopped', { user_id: 5001, remove_dialog: true });
    expectValid(schemaOf('delete', '/messages'), await bot('DELETE', `/messages?message_id=${mid}`));

    // Long polling returns every update; each validates against its own schema.
    const list = expectValid(schemaOf('get', '/updates'), await bot('GET', '/updates?timeout=0&limit=1000')) as {
      updates: Array<{ update_type: string }>;
    };
    const seen = new Set<string>();
    for (const update of list.updates) {
      const problem = v.check(v.updateSchemaOf(update.update_type), update);
      assert.equal(problem, null, `${update.update_type}: ${problem}`);
      seen.add(update.update_type);
    }
    assert.deepEqual([...seen].sort(), v.updateTypes().sort());

    // Subscriptions.
    const url = 'https://bridge.example.com/max/webhook/a';
    expectValid(schemaOf('post', '/subscriptions'), await bot('POST', '/subscriptions', { url, update_types: ['message_created'], secret: 'secret_12345' }));
    const subs = expectValid(schemaOf('get', '/subscriptions'), await bot('GET', '/subscriptions')) as { subscriptions: unknown[] };
    assert.equal(subs.subscriptions.length, 1);
    expectValid(schemaOf('delete', '/subscriptions'), await bot('DELETE', `/subscriptions?url=${encodeURIComponent(url)}`));
  });

  test('every error answer validates as Error', async () => {
    await ctl('POST', '/bot-started', { user: { user_id: 6001, first_name: 'Олег' } });
    const cases: Array<[JsonResponse, number]> = [
      [await call(emu.baseUrl, 'GET', '/me'), 401],
      [await bot('POST', '/messages?user_id=6001', { text: 'x'.repeat(4001) }), 400],
      [await bot('POST', '/messages?user_id=5001', { text: 'stopped' }), 403],
      [await bot('POST', '/uploads?type=photo'), 400],
      [await bot('GET', '/chats/123'), 404],
      [await bot('GET', '/messages/mid.nope'), 404],
      [await bot('POST', '/answers?callback_id=x', {}), 400],
    ];
    for (const [res, status] of cases) expectValid('Error', res, status);
  });
});
