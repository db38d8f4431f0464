/** Asking one check (src/bridge/checks/check-call.ts): the signed request, the answer read as a verdict, on_error by source. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { askCheck, checkEventId, parseCheckAnswer, type CheckSubject } from '../../../src/bridge/checks/check-call.ts';
import { checksLineText } from '../../../src/bridge/checks/check-texts.ts';
import type { CheckConfig } from '../../../src/config/hooks-schema.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { verifySignature } from '../../../src/hooks/signature.ts';

const SECRET = 'unit-check-secret-0123456789';
const SUBJECT: CheckSubject = {
  client: { max_user_id: '7', name: 'Ирина', language: 'ru' },
  conversation: { id: 'shop:7', bot: 'shop', max_chat_id: '7', start_payload: null },
  message: { mid: 'mid.1', text: 'привет', attachments: [] },
  candidate_route: { route: 'default', line: 'main:1', portal: 'main' },
};

let server: Server;
let base: string;
const seen: Array<{ path: string; signed: boolean; eventId: string; body: Record<string, unknown> }> = [];
/** Each path answers as written here: [status, body] or 'hang'. */
const ANSWERS: Record<string, [number, string] | 'hang'> = {
  '/allow': [200, JSON.stringify({ verdict: 'allow', tags: ['vip'], note: 'ok', route: 'vip', other: 1 })],
  '/block': [200, JSON.stringify({ verdict: 'block', route: 'vip', tags: null, note: null })],
  '/not-json': [200, '<html>oops</html>'],
  '/bad-verdict': [200, JSON.stringify({ verdict: 'maybe' })],
  '/bad-tag': [200, JSON.stringify({ verdict: 'allow', tags: ['два слова'] })],
  '/server-error': [500, 'down'],
  '/hang': 'hang',
};

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      seen.push({
        path: req.url ?? '', signed: verifySignature(req.headers['x-bridge-signature'] as string, raw, SECRET, Math.floor(Date.now() / 1000)).ok,
        eventId: String(req.headers['x-bridge-event-id']), body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
      });
      const answer = ANSWERS[req.url ?? ''];
      if (answer === 'hang' || answer === undefined) return;
      res.writeHead(answer[0], { 'content-type': 'application/json' }).end(answer[1]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const check = (path: string, over: Partial<CheckConfig> = {}): CheckConfig => ({
  name: 'antifraud', url: `${base}${path}`, secret: SECRET, timeout_ms: 5_000, on_error: 'hold', each_message: false, block_reply: 'no', hold_reply: '', ...over,
});
const ask = (c: CheckConfig) => askCheck(c, { type: 'check.conversation', subject: SUBJECT, conversationId: 'shop:7', updateEventId: 42 }, { clock: systemClock });

test('an answer is the verdict: tags and note kept, a route only with allow, unknown fields ignored; the request signed', async () => {
  assert.deepEqual(await ask(check('/allow')), { check: 'antifraud', verdict: 'allow', source: 'answer', route: 'vip', tags: ['vip'], note: 'ok' });
  assert.deepEqual(await ask(check('/block')), { check: 'antifraud', verdict: 'block', source: 'answer', route: null, tags: [], note: null });
  const request = seen.find((s) => s.path === '/allow');
  assert.ok(request?.signed, 'signed with the check\'s secret');
  assert.equal(request.eventId, checkEventId('antifraud', 'shop:7', 42));
  assert.deepEqual({ ...request.body, at: 'x' }, { id: request.eventId, type: 'check.conversation', at: 'x', check: 'antifraud', ...SUBJECT });
});

test('no answer in time is on_error with source timeout; anything else wrong is on_error with source error', async () => {
  const started = Date.now();
  const hung = await ask(check('/hang', { timeout_ms: 200, on_error: 'block' }));
  assert.equal(hung.source, 'timeout');
  assert.equal(hung.verdict, 'block');
  assert.ok(Date.now() - started < 2_000, 'bounded by timeout_ms');
  for (const path of ['/not-json', '/bad-verdict', '/bad-tag', '/server-error']) {
    const outcome = await ask(check(path, { on_error: 'allow' }));
    assert.deepEqual([outcome.verdict, outcome.source, outcome.tags, outcome.note], ['allow', 'error', [], null], path);
    assert.ok(outcome.problem, `${path}: the problem is kept for the log`);
  }
  const refused = await ask({ ...check('/allow'), url: 'http://127.0.0.1:1/check' });
  assert.equal(refused.source, 'error');
  assert.match((await ask(check('/bad-verdict'))).problem ?? '', /BRG_ERR_CHECK_BAD_ANSWER: the answer is not a verdict: verdict/);
});

test('the event id is the same for a retried job and differs per check and update', () => {
  assert.equal(checkEventId('af', 'shop:1', 5), checkEventId('af', 'shop:1', 5));
  assert.notEqual(checkEventId('af', 'shop:1', 5), checkEventId('erp', 'shop:1', 5));
  assert.notEqual(checkEventId('af', 'shop:1', 5), checkEventId('af', 'shop:1', 6));
});

test('answers: null fields read as absent; a note over 1000 characters or 21 tags are refused', () => {
  assert.deepEqual(parseCheckAnswer('{"verdict":"hold","route":null,"tags":null,"note":null}'), { verdict: 'hold', route: null, tags: null, note: null });
  assert.match(String(parseCheckAnswer(JSON.stringify({ verdict: 'allow', note: 'x'.repeat(1_001) }))), /note must be at most 1000/);
  assert.match(String(parseCheckAnswer(JSON.stringify({ verdict: 'allow', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }))), /at most 20 tags/);
});

test('the operator\'s line: tags, route and note per check; nothing when no check said anything', () => {
  assert.equal(checksLineText([{ check: 'antifraud', tags: ['vip', 'new'], note: 'постоянный', route: null }, { check: 'erp', tags: [], note: null, route: null }]),
    '[b]Проверка antifraud:[/b] метки: vip, new — постоянный');
  assert.equal(checksLineText([{ check: 'erp', tags: [], note: null, route: null }]), null);
});
