/**
 * MAX emulator limits, auth, attachment processing, injected faults and bad
 * input: each answered the way the real API answers (spec/max-bot-api.md §1, §4.3).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startMaxEmulator, type MaxEmulator } from '../../../emulators/max/index.ts';
import { call, control, uploadFile } from './helpers.ts';

const TOKEN = 'limits-token';

describe('MAX emulator limits and faults', () => {
  let emu: MaxEmulator;
  const bot = (method: string, path: string, body?: unknown) => call(emu.baseUrl, method, path, { token: TOKEN, body });
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  before(async () => {
    emu = await startMaxEmulator({ bots: [{ token: TOKEN }], attachmentNotReadyMs: 400 });
    for (const user_id of [8001, 8002]) await control(emu.controlUrl, 'POST', '/bot-started', { user: { user_id, first_name: 'К' } });
  });
  after(async () => emu.close());

  test('auth: header only, raw token, no Bearer, no query token', async () => {
    assert.equal((await call(emu.baseUrl, 'GET', '/me')).status, 401);
    assert.equal((await call(emu.baseUrl, 'GET', `/me?access_token=${TOKEN}`)).status, 401);
    const bearer = await call(emu.baseUrl, 'GET', '/me', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(bearer.status, 401);
    assert.deepEqual(bearer.body, { code: 'verify.token', message: 'Invalid access_token' });
    assert.equal((await bot('GET', '/me')).status, 200);
  });

  test('more than 30 requests per second per bot get 429 too.many.requests without Retry-After', async () => {
    await pause(1_100);
    const results = await Promise.all(Array.from({ length: 60 }, () => fetch(`${emu.baseUrl}/me`, { headers: { authorization: TOKEN } })));
    const limited = results.filter((r) => r.status === 429);
    assert.ok(results.filter((r) => r.status === 200).length <= 30);
    assert.ok(limited.length >= 1);
    assert.equal(limited[0]?.headers.get('retry-after'), null);
    assert.deepEqual(await limited[0]?.json(), { code: 'too.many.requests', message: 'Too many requests' });
    await Promise.all(results.filter((r) => r !== limited[0]).map((r) => r.arrayBuffer()));
    await pause(1_100);
    assert.equal((await bot('GET', '/me')).status, 200);
  });

  test('at most 2 messages per second per chat; other chats unaffected', async () => {
    await pause(1_100);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await bot('POST', '/messages?user_id=8001', { text: `m${i}` })).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal((await bot('POST', '/messages?user_id=8002', { text: 'other chat' })).status, 200);
    await pause(1_100);
    assert.equal((await bot('POST', '/messages?user_id=8001', { text: 'again' })).status, 200);
  });

  test('text limit is 4000 characters, Cyrillic included', async () => {
    await pause(1_100);
    assert.equal((await bot('POST', '/messages?user_id=8001', { text: 'ж'.repeat(4000) })).status, 200);
    const over = await bot('POST', '/messages?user_id=8002', { text: 'ж'.repeat(4001) });
    assert.equal(over.status, 400);
    assert.deepEqual(over.body, { code: 'proto.payload', message: "Field 'text' size (4001) must be at most 4000" });
  });

  test('a fresh upload answers attachment.not.ready, then is accepted', async () => {
    await pause(1_100);
    const ep = (await bot('POST', '/uploads?type=file')).body as { url: string };
    const up = await uploadFile(ep.url, Buffer.from('hello'), 'a.txt', 'text/plain');
    const token = (up.body as { token: string }).token;
    const early = await bot('POST', '/messages?user_id=8001', { attachments: [{ type: 'file', payload: { token } }] });
    assert.equal(early.status, 400);
    assert.equal((early.body as { code: string }).code, 'attachment.not.ready');
    await pause(450);
    const late = await bot('POST', '/messages?user_id=8001', { attachments: [{ type: 'file', payload: { token } }] });
    assert.equal(late.status, 200, late.text);
  });

  test('attachment combinations follow the real rules', async () => {
    await pause(1_100);
    const twoStickers = await bot('POST', '/messages?user_id=8002', {
      attachments: [{ type: 'sticker', payload: { code: 'a' } }, { type: 'location', latitude: 1, longitude: 2 }],
    });
    assert.equal(twoStickers.status, 400);
    assert.equal((await bot('POST', '/uploads?type=photo')).status, 400);
    const badLink = await bot('POST', '/messages?user_id=8002', {
      text: 'x', attachments: [{ type: 'inline_keyboard', payload: { buttons: [[{ type: 'link', text: 'a', url: 'ftp://x' }]] } }],
    });
    assert.deepEqual(badLink.body, { code: 'proto.payload', message: 'Must have only http/https links format in buttons' });
  });

  test('injected 5xx, latency, timeout and dropped connection', async () => {
    await control(emu.controlUrl, 'PUT', '/faults', { rules: [{ kind: 'status', status: 503, remaining: 1 }] });
    const unavailable = await bot('GET', '/me');
    assert.equal(unavailable.status, 503);
    assert.equal((unavailable.body as { code: string }).code, 'service.unavailable');
    assert.equal((await bot('GET', '/me')).status, 200);

    await control(emu.controlUrl, 'PUT', '/faults', { rules: [{ kind: 'latency', latencyMs: 300, remaining: 1 }] });
    const started = Date.now();
    assert.equal((await bot('GET', '/me')).status, 200);
    assert.ok(Date.now() - started >= 290);

    await control(emu.controlUrl, 'PUT', '/faults', { rules: [{ kind: 'timeout', remaining: 1 }] });
    await assert.rejects(fetch(`${emu.baseUrl}/me`, { headers: { authorization: TOKEN }, signal: AbortSignal.timeout(300) }), /aborted|timeout/i);

    await control(emu.controlUrl, 'PUT', '/faults', { rules: [{ kind: 'drop', remaining: 1 }] });
    await assert.rejects(fetch(`${emu.baseUrl}/me`, { headers: { authorization: TOKEN } }), /fetch failed/);
    assert.equal((await bot('GET', '/me')).status, 200);
  });

  test('bad input gets the real error shape, never a crash', async () => {
    await pause(1_100);
    const malformed = await call(emu.baseUrl, 'POST', '/messages?user_id=8001', { token: TOKEN, rawBody: '{"text":' });
    assert.equal(malformed.status, 400);
    assert.equal((malformed.body as { code: string }).code, 'proto.payload');
    assert.equal((await bot('POST', '/messages?user_id=8001', { text: 5 })).status, 400);
    assert.equal((await bot('POST', '/messages', { text: 'no target' })).status, 400);
    assert.equal((await bot('GET', '/updates?timeout=1500')).status, 400);
    assert.deepEqual((await bot('GET', '/updates?timeout=1500')).body, {
      code: 'proto.payload', message: "Field 'timeout' value (1500) must be at most 90",
    });
    assert.equal((await bot('GET', '/no/such/path')).status, 404);
    assert.equal((await bot('POST', '/messages?user_id=99999', { text: 'never started' })).status, 403);
    assert.equal((await bot('POST', '/subscriptions', { url: 'ftp://x', secret: 'ok_secret' })).status, 400);
    assert.equal((await bot('POST', '/subscriptions', { url: 'https://a.example/x', secret: 'no' })).status, 400);
    assert.equal((await bot('GET', '/me')).status, 200);
  });
});
