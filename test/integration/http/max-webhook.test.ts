/**
 * MAX webhook intake on both engines: verified, stored with its job in one
 * transaction, then 200; redeliveries create nothing; bad input → 4xx with a
 * code and nothing stored. Plus the real thing: the MAX emulator delivering
 * to the bridge over HTTP, with its duplicate-delivery knob on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startMaxEmulator } from '../../../emulators/max/index.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { InFlightRequests } from '../../../src/domain/in-flight.ts';
import { buildApp } from '../../../src/http/app.ts';
import { maxWebhookPlugin, type MaxWebhookBot } from '../../../src/http/plugins/max-webhook.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

const BOT: MaxWebhookBot = { id: 'support', secret: 'webhook_secret_123', userId: '100000' };
const update = (mid: string, extra: Record<string, unknown> = {}) => JSON.stringify({
  update_type: 'message_created', timestamp: 1795477449776,
  message: { sender: { user_id: 5001, first_name: 'Иван', is_bot: false }, recipient: { chat_id: 90000001, chat_type: 'dialog', user_id: 100000 },
    timestamp: 1795477449776, body: { mid, seq: 'SEQ', text: 'Здравствуйте' } },
  ...extra,
}).replace('"SEQ"', '116688673966208835'); // written as MAX writes it: a bare integer above 2^53

for (const engine of testEngines()) {
  describe(`MAX webhook intake (${engine.name})`, () => {
    let store: Store;
    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: systemClock });
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });
    const app = () => buildApp({
      bodyLimitBytes: 64 * 1024,
      plugins: [maxWebhookPlugin({ bots: (id) => (id === BOT.id ? BOT : undefined), events: store.events, journal: store.journal, nowMs: () => Date.now() })],
    });
    const post = (a: ReturnType<typeof app>, body: string, headers: Record<string, string> = {}, bot = BOT.id) =>
      a.inject({ method: 'POST', url: `/max/webhook/${bot}`, payload: body, headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': BOT.secret, ...headers } });

    test('stored once with its job; the same update 5 times concurrently yields one event and one job', async () => {
      const a = app();
      const results = await Promise.all(Array.from({ length: 5 }, () => post(a, update('mid.once'))));
      assert.deepEqual(results.map((r) => r.statusCode), [200, 200, 200, 200, 200]);
      assert.equal(results.filter((r) => r.json().duplicate === false).length, 1);
      const event = await store.events.findByKey('max:support', 'message:mid.once');
      assert.ok(event?.raw.includes('116688673966208835'), 'raw kept exact');
      const jobs = await store.db.selectFrom('jobs').selectAll().where('event_id', '=', event!.id).execute();
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0]?.conversation_key, 'max:support:90000001');
      await a.close();
    });

    test('wrong or missing secret, malformed JSON, wrong shape, oversized body, unknown bot: 4xx with a code, nothing stored', async () => {
      const a = app();
      const before = await store.events.count();
      const cases: Array<[Promise<{ statusCode: number; json(): { error: string } }>, number, string]> = [
        [post(a, update('mid.x1'), { 'x-max-bot-api-secret': 'wrong_secret' }), 401, 'BRG_ERR_UNAUTHORIZED'],
        [a.inject({ method: 'POST', url: '/max/webhook/support', payload: update('mid.x2'), headers: { 'content-type': 'application/json' } }), 401, 'BRG_ERR_UNAUTHORIZED'],
        [post(a, '{"update_type":'), 400, 'BRG_ERR_MALFORMED_BODY'],
        [post(a, '[1,2]'), 400, 'BRG_ERR_INVALID_BODY'],
        [post(a, '{"timestamp":1}'), 400, 'BRG_ERR_INVALID_BODY'],
        [post(a, update('mid.x3', { pad: 'x'.repeat(70_000) })), 413, 'BRG_ERR_BODY_TOO_LARGE'],
        [post(a, update('mid.x4'), {}, 'nobody'), 404, 'BRG_ERR_UNKNOWN_BOT'],
        [post(a, update('mid.x5'), { 'content-type': 'text/plain' }), 415, 'BRG_ERR_UNSUPPORTED_MEDIA_TYPE'],
      ];
      for (const [pending, status, code] of cases) {
        const res = await pending;
        assert.equal(res.statusCode, status);
        assert.equal(res.json().error, code);
      }
      assert.equal(await store.events.count(), before, 'nothing stored');
      await a.close();
    });

    test('the bot\'s own messages are stored but start no job; unknown update types are stored, never a crash', async () => {
      const a = app();
      const own = JSON.stringify({ update_type: 'message_created', timestamp: 1, message: { sender: { user_id: 100000, is_bot: true, first_name: 'Бот' }, recipient: { chat_id: 1, chat_type: 'dialog' }, timestamp: 1, body: { mid: 'mid.own', seq: 1 } } });
      assert.equal((await post(a, own)).statusCode, 200);
      const ownEvent = await store.events.findByKey('max:support', 'message:mid.own');
      assert.equal((await store.db.selectFrom('jobs').selectAll().where('event_id', '=', ownEvent!.id).execute()).length, 0);
      assert.equal((await post(a, JSON.stringify({ update_type: 'brand_new_type', timestamp: 5, whatever: { a: 1 } }))).statusCode, 200);
      assert.equal((await store.events.count('max:support')) >= 3, true);
      await a.close();
    });

    test('a rotated secret takes effect at once (the old one\'s digest is not reused); a refused request stores nothing', async () => {
      const rotating: MaxWebhookBot = { ...BOT, id: 'rotating' };
      const a = buildApp({
        bodyLimitBytes: 64 * 1024,
        plugins: [maxWebhookPlugin({ bots: (id) => (id === rotating.id ? rotating : undefined), events: store.events, nowMs: () => Date.now() })],
      });
      const send = (mid: string, secret: string) => a.inject({ method: 'POST', url: '/max/webhook/rotating', payload: update(mid), headers: { 'content-type': 'application/json', 'x-max-bot-api-secret': secret } });
      assert.equal((await send('mid.rot1', BOT.secret)).statusCode, 200);
      rotating.secret = 'rotated_secret_456';
      const before = await store.events.count('max:rotating');
      const old = await send('mid.rot2', BOT.secret);
      assert.equal(old.statusCode, 401);
      assert.equal(old.json().error, 'BRG_ERR_UNAUTHORIZED');
      assert.equal(await store.events.count('max:rotating'), before, 'nothing stored for the refused request');
      assert.equal((await send('mid.rot3', 'rotated_secret_456')).statusCode, 200);
      await a.close();
    });

    test('a webhook counts as in flight while it is taken in, and not after its answer, whatever the answer', async () => {
      const inFlight = new InFlightRequests(systemClock);
      const seen: number[] = [];
      const events = new Proxy(store.events, {
        get: (target, prop, receiver) => (prop === 'record'
          ? (...args: Parameters<Store['events']['record']>) => { seen.push(inFlight.size); return target.record(...args); }
          : Reflect.get(target, prop, receiver)),
      });
      const a = buildApp({
        bodyLimitBytes: 64 * 1024,
        plugins: [maxWebhookPlugin({ bots: (id) => (id === BOT.id ? BOT : undefined), events, nowMs: () => Date.now(), inFlight })],
      });
      assert.equal((await post(a, update('mid.flight1'))).statusCode, 200);
      assert.equal((await post(a, update('mid.flight2'), { 'x-max-bot-api-secret': 'wrong_secret' })).statusCode, 401);
      assert.deepEqual(seen, [1], 'in flight while it was being stored');
      assert.equal(inFlight.size, 0, 'settled after the 200 and after the 401');
      assert.ok(inFlight.settledMs() <= Date.now());
      await a.close();
    });
  });
}

describe('MAX emulator → bridge webhook over HTTP', () => {
  test('redelivered and duplicated updates end as one event each', async () => {
    const engine = testEngines()[0]!;
    const store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: systemClock });
    const emu = await startMaxEmulator({ bots: [{ token: 'tok' }], timeFactor: 0.001, duplicateDeliveryRate: 1 });
    let failFirst = true;
    const app = buildApp({
      plugins: [
        async (f) => {
          // The first delivery fails once (503 from a store hiccup), so MAX redelivers it.
          // (The hook and the route share this plugin's context, so the hook applies to it.)
          f.addHook('onRequest', async (_req, reply) => {
            if (failFirst) {
              failFirst = false;
              return reply.code(503).send({ error: 'BRG_ERR_UNAVAILABLE' });
            }
          });
          await f.register(maxWebhookPlugin({ bots: (id) => (id === BOT.id ? BOT : undefined), events: store.events, nowMs: () => Date.now() }));
        },
      ],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    try {
      const sub = await fetch(`${emu.baseUrl}/subscriptions`, {
        method: 'POST', headers: { authorization: 'tok', 'content-type': 'application/json' },
        body: JSON.stringify({ url: `http://127.0.0.1:${address.port}/max/webhook/${BOT.id}`, secret: BOT.secret }),
      });
      assert.equal(sub.status, 200);
      const ctl = (path: string, body: unknown) => fetch(emu.controlUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await ctl('/bot-started', { user: { user_id: 7, first_name: 'Я' } });
      for (const text of ['раз', 'два', 'три']) await ctl('/messages', { user: { user_id: 7 }, text });
      const deadline = Date.now() + 10_000;
      while ((await store.events.count('max:support')) < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // 4 updates, each delivered twice, plus the retry of the one that got a 503.
      let attempts: Array<{ status: number | null }> = [];
      while (Date.now() < deadline + 10_000) {
        attempts = ((await (await fetch(`${emu.controlUrl}/deliveries`)).json()) as { attempts: Array<{ status: number | null }> }).attempts;
        if (attempts.length >= 9) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(attempts.length >= 9, `duplicates and a retry were delivered (${attempts.length} attempts)`);
      // Under load the 503 may come after the emulator's 30 ms (scaled) timeout: any failed attempt counts.
      assert.ok(attempts.some((a) => a.status !== 200), 'one delivery failed and was redelivered');
      assert.equal(await store.events.count('max:support'), 4, 'bot_started + 3 messages, once each');
      const counts = await store.jobs.countByState();
      assert.equal(counts.pending, 4);
    } finally {
      await app.close();
      await emu.close();
      await store.close();
      await engine.dropAll();
    }
  });
});
