/**
 * The MAX client against the MAX emulator over HTTP: limits respected without
 * a single 429, injected 5xx retried, attachment.not.ready retried, uploads,
 * seq kept exact, an uncertain send not resent, blocked user classified.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startMaxEmulator, type MaxEmulator } from '../../../emulators/max/index.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import type { JournalEntry } from '../../../src/domain/ports.ts';
import { MaxClient } from '../../../src/max/client.ts';
import { MaxApiError, MaxNetworkError } from '../../../src/max/errors.ts';

const TOKEN = 'client-test-token';

async function control(emu: MaxEmulator, method: string, path: string, body?: unknown) {
  const res = await fetch(emu.controlUrl + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json() as Promise<Record<string, unknown>>;
}

describe('MAX client against the emulator', () => {
  let emu: MaxEmulator;
  const journal: JournalEntry[] = [];
  let client: MaxClient;
  let chatId: string;

  before(async () => {
    emu = await startMaxEmulator({ bots: [{ token: TOKEN }], attachmentNotReadyMs: 1_500 });
    client = new MaxClient({ baseUrl: emu.baseUrl, token: TOKEN, botId: 'bot1', clock: systemClock, journal: { write: async (e) => void journal.push(e) }, timeoutMs: 2_000 });
    chatId = String((await control(emu, 'POST', '/bot-started', { user: { user_id: 4242, first_name: 'Ира' } })).chat_id);
  });
  after(async () => emu.close());

  test('six messages to one chat go through the 2/s chat limit without a single 429', async () => {
    // One conversation's messages go one after another (the job queue guarantees it).
    const sent = [];
    for (let i = 0; i < 6; i++) sent.push(await client.sendMessage({ chatId }, { text: `m${i}` }));
    assert.equal(sent.length, 6);
    assert.equal(journal.filter((e) => e.status === 429).length, 0);
    const texts = ((await control(emu, 'GET', `/chats/${chatId}/messages`)).messages as Array<{ message: { body: { text: string } } }>).map((m) => m.message.body.text);
    assert.deepEqual(texts, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'], 'order kept');
  });

  test('an injected 503 is retried and succeeds', async () => {
    await control(emu, 'PUT', '/faults', { rules: [{ kind: 'status', status: 503, remaining: 1 }] });
    const me = await client.getMe();
    assert.equal(me.is_bot, true);
    assert.ok(journal.some((e) => e.status === 503));
  });

  test('attachment.not.ready is retried until the upload is processed', async () => {
    const payload = await client.upload('file', new TextEncoder().encode('hello'), 'hello.txt', 'text/plain');
    const sent = await client.sendMessage({ chatId }, { text: 'файл', attachments: [{ type: 'file', payload } as never] });
    assert.equal(sent.message.body.attachments?.[0]?.type, 'file');
    assert.ok(journal.some((e) => e.status === 400 && (e.responseBody ?? '').includes('attachment.not.ready')));
  });

  test('seq above 2^53 arrives exact through long polling', async () => {
    await control(emu, 'POST', '/messages', { user: { user_id: 4242 }, text: 'вопрос' });
    const { updates } = await client.getUpdates({ timeoutSeconds: 0 });
    const created = updates.find((u) => u.update_type === 'message_created') as { message: { body: { seq: string } } };
    assert.equal(typeof created.message.body.seq, 'string');
    assert.match(created.message.body.seq, /^1166886739662\d{5}$/);
  });

  test('a send that timed out is not resent: certain=false', async () => {
    const before = journal.length;
    await control(emu, 'PUT', '/faults', { rules: [{ kind: 'timeout', pathPrefix: '/messages', remaining: 1 }] });
    await assert.rejects(client.sendMessage({ chatId }, { text: 'может быть доставлено' }), (e: unknown) => {
      assert.ok(e instanceof MaxNetworkError);
      assert.equal(e.certain, false);
      assert.equal(e.retryable, true);
      return true;
    });
    assert.equal(journal.slice(before).filter((e) => e.endpoint === 'POST /messages').length, 1);
  });

  test('a user who stopped the bot: not retryable, notify the operator', async () => {
    await control(emu, 'POST', '/bot-stopped', { user_id: 4242 });
    await assert.rejects(client.sendMessage({ userId: '4242' }, { text: 'ответ' }), (e: unknown) => {
      assert.ok(e instanceof MaxApiError);
      assert.equal(e.code, 'BRG_ERR_MAX_USER_BLOCKED_BOT');
      assert.equal(e.retryable, false);
      assert.equal(e.notifyOperator, true);
      return true;
    });
  });

  test('the token never appears in the journal', () => {
    assert.ok(journal.length > 10);
    assert.ok(!JSON.stringify(journal).includes(TOKEN));
  });
});
