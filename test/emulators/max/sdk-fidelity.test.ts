/**
 * Fidelity: the official MAX client @maxhub/max-bot-api, unchanged, talks to
 * the emulator over HTTP and gets what the spec says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Bot, MaxError } from '@maxhub/max-bot-api';
import { startMaxEmulator, type MaxEmulator } from '../../../emulators/max/index.ts';
import { control } from './helpers.ts';

const TOKEN = 'sdk-token';

describe('official @maxhub/max-bot-api against the MAX emulator', () => {
  let emu: MaxEmulator;
  let api: Bot['api'];
  let chatId: number;

  before(async () => {
    emu = await startMaxEmulator({ bots: [{ token: TOKEN, name: 'Тестовый бот' }], attachmentNotReadyMs: 0, botRps: 1_000, chatMessagesPerSecond: 1_000 });
    // Origin only: the SDK builds URLs with new URL(method, baseUrl) (notes: SDK findings).
    api = new Bot(TOKEN, { clientOptions: { baseUrl: emu.baseUrl } }).api;
    const started = await control(emu.controlUrl, 'POST', '/bot-started', { user: { user_id: 7001, first_name: 'Мария' } });
    chatId = (started.body as { chat_id: number }).chat_id;
  });
  after(async () => emu.close());

  test('getMyInfo returns the bot', async () => {
    const me = await api.getMyInfo();
    assert.equal(me.first_name, 'Тестовый бот');
    assert.equal(me.is_bot, true);
  });

  test('send to user and chat, get, edit, delete', async () => {
    const toUser = await api.sendMessageToUser(7001, 'Привет из SDK');
    assert.equal(toUser.body.text, 'Привет из SDK');
    assert.equal(toUser.recipient.chat_id, chatId);
    assert.match(toUser.body.mid, /^mid\.[0-9a-f]{32}$/);
    const toChat = await api.sendMessageToChat(chatId, '**жирный**', { format: 'markdown' });
    assert.equal((await api.getMessage(toChat.body.mid)).body.mid, toChat.body.mid);
    const edited = await api.editMessage(toChat.body.mid, { text: 'изменено' });
    assert.equal(edited.success, true);
    const list = await api.getMessages(chatId);
    assert.ok(list.messages.some((m) => m.body.text === 'изменено'));
    assert.equal((await api.deleteMessage(toUser.body.mid)).success, true);
    await assert.rejects(api.getMessage(toUser.body.mid), (e: unknown) => e instanceof MaxError && e.status === 404);
  });

  test('answerOnCallback after a button press', async () => {
    const msg = await api.sendMessageToUser(7001, 'Выберите', {
      attachments: [{ type: 'inline_keyboard', payload: { buttons: [[{ type: 'callback', text: 'Да', payload: 'yes' }]] } }],
    });
    const pressed = await control(emu.controlUrl, 'POST', '/callbacks', { user_id: 7001, mid: msg.body.mid, payload: 'yes' });
    const callbackId = (pressed.body as { callback: { callback_id: string } }).callback.callback_id;
    // The SDK's types lack `notification` (they lag the schema); `message` replaces the keyboard message.
    const answer = await api.answerOnCallback(callbackId, { message: { text: 'Принято' } });
    assert.equal(answer.success, true);
    const stored = await control(emu.controlUrl, 'GET', `/callbacks/${callbackId}`);
    assert.deepEqual((stored.body as { answers: unknown[] }).answers, [{ message: { text: 'Принято' } }]);
    assert.equal((await api.getMessage(msg.body.mid)).body.text, 'Принято');
  });

  test('subscribe, getSubscriptions, unsubscribe', async () => {
    const url = 'https://bridge.example.org/max/webhook/sdk';
    assert.equal((await api.subscribe(url, 'sdk_secret_1', ['message_created'])).success, true);
    const subs = await api.getSubscriptions();
    assert.deepEqual(subs.map((s) => s.url), [url]);
    // The SDK renames update_types to updateTypes on the way out.
    assert.deepEqual((subs[0] as unknown as { updateTypes: string[] }).updateTypes, ['message_created']);
    assert.equal((await api.unsubscribe(url)).success, true);
    assert.deepEqual(await api.getSubscriptions(), []);
  });

  test('getUpdates returns what users did and honours the marker', async () => {
    await control(emu.controlUrl, 'POST', '/messages', { user: { user_id: 7001 }, text: 'вопрос' });
    const first = await api.getUpdates(['message_created'], { timeout: 0 });
    const texts = first.updates.map((u) => (u as { message?: { body: { text: string } } }).message?.body.text);
    assert.ok(texts.includes('вопрос'));
    const again = await api.getUpdates(undefined, { timeout: 0, marker: first.marker ?? undefined });
    assert.equal(again.updates.length, 0);
  });

  test('uploadImage and uploadFile go through the returned upload URL and can be sent', async () => {
    const image = await api.uploadImage({ source: Buffer.from('png-bytes') });
    const file = await api.uploadFile({ source: Buffer.from('%PDF-1.4') });
    const sent = await api.sendMessageToUser(7001, 'Файлы', { attachments: [image.toJson()] });
    assert.equal(sent.body.attachments?.[0]?.type, 'image');
    const sentFile = await api.sendMessageToUser(7001, 'Документ', { attachments: [file.toJson()] });
    assert.equal(sentFile.body.attachments?.[0]?.type, 'file');
  });

  test('errors surface as MaxError with the emulator code', async () => {
    await assert.rejects(api.sendMessageToUser(7001, 'x'.repeat(4001)), (e: unknown) => {
      assert.ok(e instanceof MaxError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'proto.payload');
      return true;
    });
    await control(emu.controlUrl, 'PUT', '/faults', { rules: [{ kind: 'status', status: 429, remaining: 1 }] });
    await assert.rejects(api.getMyInfo(), (e: unknown) => e instanceof MaxError && e.status === 429 && e.code === 'too.many.requests');
    const bad = new Bot('wrong-token', { clientOptions: { baseUrl: emu.baseUrl } }).api;
    await assert.rejects(bad.getMyInfo(), (e: unknown) => e instanceof MaxError && e.status === 401 && e.code === 'verify.token');
  });
});
