/**
 * The Open Line side when the portal misbehaves (bridge + both emulators over
 * HTTP, SQLite and PostgreSQL): the portal blocks the app (OVERLOAD_LIMIT), a
 * look at the line's history fails for one chat, and the portal cannot fetch a
 * client's file. In each case nothing the client wrote is lost, nothing
 * reaches the line twice, and order holds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN } from '../../src/cli/sandbox.ts';
import { testEngines, type TestEngine } from '../helpers/databases.ts';
import { bridgeWorldFor, type BridgeWorld } from '../helpers/bridge-world.ts';
import { until } from '../helpers/e2e.ts';

type World = BridgeWorld & { deadPublicPort?: number };

/**
 * A bridge on a fresh database, its app installed on the emulated portal. `unreachablePublicUrl`:
 * the bridge announces a public URL nothing listens on (the portal cannot fetch its media links);
 * the bot then polls MAX, as the webhook would go nowhere.
 */
function worldFor(engine: TestEngine, options: { unreachablePublicUrl?: boolean } = {}): () => World {
  let deadPublicPort: number | undefined;
  const world = bridgeWorldFor(engine, {
    config: async (sandbox, port) => {
      deadPublicPort = options.unreachablePublicUrl ? await freePort() : undefined;
      return {
        server: { port, public_url: `http://127.0.0.1:${deadPublicPort ?? port}` },
        security: { secret_key: 'line-faults-test-secret-key-0123' },
        workers: { line_reorder_window_ms: 0 },
        bots: [{ id: 'shop', token: SANDBOX_BOT_TOKEN, webhook_secret: 'shop_secret', api_url: sandbox.max.baseUrl, updates: deadPublicPort ? 'polling' : 'webhook' }],
        portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret, request_timeout_ms: 1_000 }],
        routes: [{ bot: '*', portal: 'main' }],
      };
    },
  });
  return () => ({ ...world(), deadPublicPort });
}

const write = (w: World, userId: number, text: string, attachments?: unknown[]) => fetch(`${w.sandbox.max.controlUrl}/messages`, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ user: { user_id: userId, first_name: 'Олеся' }, text, ...(attachments ? { attachments } : {}) }),
});

const chatOf = (w: World, userId: number) => [...w.sandbox.bitrix24.context.portals[0]!.chats.values()].find((c) => c.externalUserId === String(userId));

const lineMessagesOf = (w: World, userId: number) => {
  const portal = w.sandbox.bitrix24.context.portals[0]!;
  return (chatOf(w, userId)?.messageIds ?? []).map((id) => portal.messages.get(id)!).filter((m) => m.direction === 'in');
};

const setFaults = async (w: World, rules: unknown[]) => {
  const res = await fetch(`${w.sandbox.bitrix24.controlUrl}/portals/0/faults`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }),
  });
  assert.equal(res.status, 200);
};

const outboxStates = async (w: World) => Object.fromEntries(Object.entries(await w.bridge.store.outbox.countByState()));

for (const engine of testEngines()) {
  describe(`the Open Line side when the portal misbehaves (${engine.name})`, () => {
    const world = worldFor(engine);

    test('messages written while Bitrix24 has blocked the app (OVERLOAD_LIMIT) wait, are reported on /ready and in the log, and arrive in order once the block lifts', async () => {
      const w = world();
      await write(w, 8201, 'до блокировки');
      await until(() => (lineMessagesOf(w, 8201).length === 1 ? true : undefined));
      // The portal answers every call 503 OVERLOAD_LIMIT (a manual block) until it is switched off.
      await setFaults(w, [{ kind: 'status', status: 503, code: 'OVERLOAD_LIMIT' }]);
      await write(w, 8201, 'первое во время блокировки');
      await write(w, 8201, 'второе во время блокировки');
      const health = await until(async () => {
        const res = await fetch(`${w.bridge.url}/ready`);
        const body = (await res.json()) as { problems?: string[] };
        return res.status === 503 && body.problems?.some((p) => p.includes('OVERLOAD_LIMIT')) ? body : undefined;
      });
      assert.match(health.problems!.find((p) => p.includes('OVERLOAD_LIMIT'))!, /^portal main: Bitrix24 has blocked the app \(OVERLOAD_LIMIT\) since \d{4}-\d\d-\d\dT.*messages are held and will be delivered when the block lifts/);
      const warn = w.logLines.find((l) => l.level === 40 && l.component === 'bitrix24-client');
      assert.ok(warn, 'a warning line says the portal is held');
      assert.equal(warn.portal, 'main');
      // Held: still pending after a probe has failed too, nothing rejected, no dead letter.
      await until(async () => ((await w.bridge.store.journal.recent(1_000)).filter((r) => r.endpoint === 'imconnector.send.messages' && r.status === 503).length >= 2 ? true : undefined));
      assert.equal((await outboxStates(w)).rejected, undefined, 'nothing was given up');
      assert.equal((await outboxStates(w)).pending, 2);
      const dead = await w.bridge.store.db.selectFrom('jobs').select('id').where('state', '=', 'dead').execute();
      assert.equal(dead.length, 0);
      assert.equal(lineMessagesOf(w, 8201).length, 1);

      await setFaults(w, []);
      await until(() => (lineMessagesOf(w, 8201).length >= 3 ? true : undefined));
      assert.deepEqual(lineMessagesOf(w, 8201).map((m) => m.text), ['до блокировки', 'первое во время блокировки', 'второе во время блокировки']);
      await until(async () => ((await fetch(`${w.bridge.url}/ready`)).status === 200 ? true : undefined));
      assert.ok(w.logLines.some((l) => l.level === 30 && l.component === 'bitrix24-client' && l.portal === 'main'), 'an info line says the block lifted');
      assert.ok(!JSON.stringify(w.logLines).includes(SANDBOX_APP.clientSecret), 'no secret in the log');
    });

    test('a message whose first send timed out is not sent twice when the look at the line history fails for its chat', async () => {
      const w = world();
      await write(w, 8301, 'первое');
      await until(() => (lineMessagesOf(w, 8301).length === 1 ? true : undefined));
      const chatId = chatOf(w, 8301)!.chatId;
      await setFaults(w, [
        // The send reaches the portal, but its answer comes after the bridge gave up (1 s).
        { kind: 'latency', methodPrefix: 'imconnector.send.messages', latencyMs: 2_500, remaining: 1 },
        // Reading this chat's history fails inside the batch (result_error), three times.
        { kind: 'status', status: 429, code: 'OPERATION_TIME_LIMIT', methodPrefix: 'imopenlines.session.history.get', params: { CHAT_ID: chatId }, remaining: 3 },
      ]);
      const sentAtMs = Date.now();
      await write(w, 8301, 'второе');
      await until(async () => ((await outboxStates(w)).pending === undefined && lineMessagesOf(w, 8301).length >= 2 ? true : undefined));
      // The late first send lands 2.5 s after it went: by then a second copy would be in too.
      await new Promise((r) => setTimeout(r, Math.max(0, sentAtMs + 3_000 - Date.now())));
      assert.deepEqual(lineMessagesOf(w, 8301).map((m) => m.text), ['первое', 'второе']);
      const batches = (((await (await fetch(`${w.sandbox.bitrix24.controlUrl}/requests`)).json()) as { requests: Array<{ method: string }> }).requests)
        .filter((r) => r.method === 'batch');
      assert.ok(batches.length >= 4, `the history was looked at again after each failure (${batches.length} batches)`);
    });
  });

  describe(`a client's file the portal cannot fetch (${engine.name})`, () => {
    const world = worldFor(engine, { unreachablePublicUrl: true });

    test('a file Bitrix24 cannot download still brings its caption and a link to the operator, before the client\'s next message', async () => {
      const w = world();
      const pdf = Buffer.from('%PDF-1.4 счёт');
      await write(w, 8401, 'Смотрите счёт', [{ type: 'file', filename: 'счёт №5.pdf', content_type: 'application/pdf', content_base64: pdf.toString('base64') }]);
      await write(w, 8401, 'и ещё вопрос');
      await until(() => (lineMessagesOf(w, 8401).length >= 2 ? true : undefined));
      await until(async () => ((await outboxStates(w)).pending === undefined ? true : undefined));
      const [first, second] = lineMessagesOf(w, 8401).map((m) => m.text);
      assert.equal(lineMessagesOf(w, 8401).length, 2);
      assert.match(first!, /^Смотрите счёт\nФайл «счёт №5\.pdf» не удалось передать в Битрикс24, ссылка: http:\/\/127\.0\.0\.1:(\d+)\/media\/\S+\?exp=\d+&sig=\S+$/);
      assert.equal(Number(/127\.0\.0\.1:(\d+)/.exec(first!)![1]), w.deadPublicPort, 'the link the bridge handed out');
      assert.equal(second, 'и ещё вопрос');
      assert.equal((await outboxStates(w)).rejected, undefined, 'nothing the client wrote was given up');
    });
  });
}
