/**
 * Webhook delivery like the real service (spec §2.1): one Update per POST with
 * the secret header, retries on the ×2.5 back-off (scaled), later updates not
 * held back by a retried one, duplicate knob, subscription deleted after the
 * failure window; long polling afterwards.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, afterEach, describe, test } from 'node:test';
import { startMaxEmulator, type MaxEmulator, type MaxEmulatorOptions } from '../../../emulators/max/index.ts';
import { createMaxSchemaValidator } from '../../helpers/max-schema.ts';
import { call, control, waitFor } from './helpers.ts';

const TOKEN = 'hook-token';
const SECRET = 'hook_secret_123';
const v = createMaxSchemaValidator();

interface Received {
  secret: string | undefined;
  body: { update_type: string; message?: { body: { text: string } } };
  atMs: number;
}

/** A receiver whose answer to each request is decided by `decide`. */
async function startReceiver(decide: (n: number, body: Received['body']) => number | 'hang'): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as Received['body'];
      got.push({ secret: req.headers['x-max-bot-api-secret'] as string | undefined, body, atMs: Date.now() });
      const answer = decide(n++, body);
      if (answer === 'hang') return;
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/max/webhook/bot1`, got, server };
}

describe('MAX emulator webhook delivery', () => {
  let emu: MaxEmulator | undefined;
  let receiver: Server | undefined;
  const open = async (options: MaxEmulatorOptions, decide: Parameters<typeof startReceiver>[0]) => {
    // The scaled 30 s answer timeout would be 30 ms: too tight for a loaded machine, so these
    // tests allow 1 s (1,000 s real) unless they are about the timeout itself.
    emu = await startMaxEmulator({ bots: [{ token: TOKEN }], timeFactor: 0.001, webhookTimeoutMs: 1_000_000, ...options });
    const r = await startReceiver(decide);
    receiver = r.server;
    await control(emu.controlUrl, 'POST', '/bot-started', { user: { user_id: 9001, first_name: 'Анна' } });
    const sub = await call(emu.baseUrl, 'POST', '/subscriptions', { token: TOKEN, body: { url: r.url, secret: SECRET } });
    assert.equal(sub.status, 200);
    return { emu, got: r.got, write: (text: string) => control(emu!.controlUrl, 'POST', '/messages', { user: { user_id: 9001 }, text }) };
  };
  afterEach(async () => {
    await emu?.close();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
    emu = undefined;
    receiver = undefined;
  });
  after(() => undefined);

  test('each update is one schema-valid POST with the secret header', async () => {
    const { got, write } = await open({}, () => 200);
    await write('раз');
    await write('два');
    await waitFor(() => (got.length >= 2 ? true : undefined));
    assert.deepEqual(got.map((g) => g.body.message?.body.text), ['раз', 'два']);
    for (const g of got) {
      assert.equal(g.secret, SECRET);
      assert.equal(v.check(v.updateSchemaOf(g.body.update_type), g.body), null);
    }
  });

  test('a failing delivery is retried on the ×2.5 schedule and a later update is not held back', async () => {
    // First two attempts for "first" fail with 500, then 200.
    let failures = 0;
    const { got, write, emu: e } = await open({}, (_n, body) => {
      if (body.message?.body.text === 'first' && failures < 2) {
        failures++;
        return 500;
      }
      return 200;
    });
    await write('first');
    await write('second');
    await waitFor(() => (got.filter((g) => g.body.message?.body.text === 'first').length === 3 ? true : undefined), 5_000);
    const firstTimes = got.filter((g) => g.body.message?.body.text === 'first').map((g) => g.atMs);
    // Scaled schedule: 60 ms, then 150 ms (×2.5) after the previous failure.
    assert.ok((firstTimes[1] ?? 0) - (firstTimes[0] ?? 0) >= 55);
    assert.ok((firstTimes[2] ?? 0) - (firstTimes[1] ?? 0) >= 140);
    const successOrder = got.filter((g, i) => i > 0 || g.body.message?.body.text !== 'first').map((g) => g.body.message?.body.text);
    assert.equal(successOrder.indexOf('second') < successOrder.lastIndexOf('first'), true, 'second arrived before the retried first');
    const attempts = (await control(e.controlUrl, 'GET', '/deliveries')).body as { attempts: Array<{ status: number | null }> };
    assert.deepEqual(attempts.attempts.map((a) => a.status).filter((s) => s !== 200), [500, 500]);
  });

  test('an answer slower than the (scaled) 30 s timeout counts as a failure and is retried', async () => {
    const { got, write } = await open({ webhookTimeoutMs: 30_000 }, (n) => (n === 0 ? 'hang' : 200));
    await write('slow');
    await waitFor(() => (got.length >= 2 ? true : undefined), 5_000);
    assert.deepEqual(got.map((g) => g.body.message?.body.text), ['slow', 'slow']);
  });

  test('duplicate knob delivers updates twice', async () => {
    const { got, write } = await open({ duplicateDeliveryRate: 1 }, () => 200);
    await write('dup');
    await waitFor(() => (got.length >= 2 ? true : undefined));
    assert.deepEqual(got.map((g) => g.body.message?.body.text), ['dup', 'dup']);
  });

  test('after the failure window the subscription is deleted and updates go to long polling', async () => {
    // 8 h × 0.001 would be 28.8 s; this test uses a 1,000 s window (1 s scaled).
    const { got, write, emu: e } = await open({ webhookFailureWindowMs: 1_000_000 }, () => 500);
    await write('lost');
    await waitFor(async () => {
      const subs = await control(e.controlUrl, 'GET', '/subscriptions');
      return (subs.body as { subscriptions: unknown[] }).subscriptions.length === 0 ? true : undefined;
    }, 10_000);
    assert.ok(got.length >= 3, `retried ${got.length} times before dropping`);
    await write('after drop');
    const polled = await call(e.baseUrl, 'GET', '/updates?timeout=0', { token: TOKEN });
    const texts = (polled.body as { updates: Array<{ message?: { body: { text: string } } }> }).updates.map((u) => u.message?.body.text);
    assert.ok(texts.includes('after drop'));
  });

  test('long polling is refused while a subscription exists', async () => {
    const { emu: e } = await open({}, () => 200);
    const res = await call(e.baseUrl, 'GET', '/updates?timeout=0', { token: TOKEN });
    assert.equal(res.status, 405);
  });
});
