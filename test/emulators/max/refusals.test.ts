/**
 * MAX emulator: the refusals a bridge must survive, answered in the real error
 * shape (spec/max-bot-api.md §1): a file name over 200 characters (at the upload
 * URL, or when a message carries the file), and the formatting refusal
 * ("Some Markdown syntax is not supported"), which only a text with `format` gets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startMaxEmulator, type MaxEmulator } from '../../../emulators/max/index.ts';
import { call, control, uploadFile } from './helpers.ts';

const TOKEN = 'refusals-token';

describe('MAX emulator refusals', () => {
  let emu: MaxEmulator;
  const bot = (method: string, path: string, body?: unknown) => call(emu.baseUrl, method, path, { token: TOKEN, body });
  const upload = async (name: string) => {
    const ep = (await bot('POST', '/uploads?type=file')).body as { url: string };
    return uploadFile(ep.url, Buffer.from('hello'), name, 'text/plain');
  };

  before(async () => {
    emu = await startMaxEmulator({ bots: [{ token: TOKEN }], attachmentNotReadyMs: 0 });
    for (const user_id of [8101, 8102, 8103]) await control(emu.controlUrl, 'POST', '/bot-started', { user: { user_id, first_name: 'К' } });
  });
  after(async () => emu.close());

  test('a file name of 201 characters is refused at upload with 400 proto.payload; 200 Cyrillic characters pass', async () => {
    assert.equal((await upload(`${'ж'.repeat(196)}.txt`)).status, 200);
    const over = await upload(`${'ж'.repeat(197)}.txt`);
    assert.equal(over.status, 400);
    assert.deepEqual(over.body, { code: 'proto.payload', message: "Field 'filename' size (201) must be at most 200" });
  });

  test('with fileNameRefusedAt "send", the upload passes and the message carrying the file is refused', async () => {
    emu.settings.fileNameRefusedAt = 'send';
    try {
      const up = await upload(`${'ж'.repeat(197)}.txt`);
      assert.equal(up.status, 200);
      const sent = await bot('POST', '/messages?user_id=8101', { text: 'файл', attachments: [{ type: 'file', payload: { token: (up.body as { token: string }).token } }] });
      assert.equal(sent.status, 400);
      assert.equal((sent.body as { code: string }).code, 'proto.payload');
    } finally {
      emu.settings.fileNameRefusedAt = 'upload';
    }
  });

  test('format_refused: a formatted text gets 400 "Some Markdown syntax is not supported", the same words without format go through', async () => {
    await control(emu.controlUrl, 'PUT', '/faults', { rules: [{ kind: 'format_refused', remaining: 2 }] });
    const plainFirst = await bot('POST', '/messages?user_id=8102', { text: 'без форматирования' });
    assert.equal(plainFirst.status, 200, 'a text without format is not refused and does not use the fault up');
    const refused = await bot('POST', '/messages?user_id=8102', { text: '<b>жирный</b>', format: 'html' });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, { code: 'proto.payload', message: 'Some Markdown syntax is not supported. Use basic formatting.' });
    const edit = await bot('PUT', `/messages?message_id=${(plainFirst.body as { message: { body: { mid: string } } }).message.body.mid}`, { text: '**x**', format: 'markdown' });
    assert.equal(edit.status, 400, 'edits with format are refused too');
    assert.equal((await bot('POST', '/messages?user_id=8103', { text: '<b>жирный</b>', format: 'html' })).status, 200, 'the fault is used up');
    assert.deepEqual((await control(emu.controlUrl, 'GET', '/faults')).body, { rules: [] });
  });
});
