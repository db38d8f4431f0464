/**
 * What the running bridge logs (bridge + both emulators over HTTP, SQLite and
 * PostgreSQL): a message's way through the pipeline can be followed by its
 * ids, a failure the bridge gets over is still told, and LOG_LEVEL is obeyed.
 * The secrets side is test/e2e/log-secrets.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN } from '../../src/cli/sandbox.ts';
import { loadConfig } from '../../src/config/load.ts';
import { testEngines, type TestEngine } from '../helpers/databases.ts';
import { bridgeWorldFor, type BridgeWorld } from '../helpers/bridge-world.ts';
import { until } from '../helpers/e2e.ts';

type Line = Record<string, unknown> & { level: number; msg: string };

type World = BridgeWorld & { lines: Line[] };

/** A bridge logging at `level`, on a fresh database, its app installed on the emulated portal. */
function worldFor(engine: TestEngine, level: string): () => World {
  const world = bridgeWorldFor(engine, {
    logLevel: level,
    config: (sandbox, port) => ({
      server: { port, public_url: `http://127.0.0.1:${port}` },
      security: { secret_key: 'logs-test-secret-key-0123456789' },
      workers: { line_reorder_window_ms: 0 },
      bots: [{ id: 'shop', token: SANDBOX_BOT_TOKEN, webhook_secret: 'shop_secret', api_url: sandbox.max.baseUrl }],
      portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
      routes: [{ bot: '*', portal: 'main' }],
    }),
  });
  return () => {
    const w = world();
    return { ...w, lines: w.logLines as Line[] };
  };
}

const post = async (url: string, body: unknown, method = 'POST') => {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
  return (await res.json()) as Record<string, unknown>;
};
const write = (w: World, userId: number, text: string) => post(`${w.sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: 'Алла' }, text });
const lineChatOf = (w: World, userId: number) => [...w.sandbox.bitrix24.context.portals[0]!.chats.values()].find((c) => c.externalUserId === String(userId));
const lineTexts = (w: World, userId: number) => {
  const portal = w.sandbox.bitrix24.context.portals[0]!;
  return (lineChatOf(w, userId)?.messageIds ?? []).map((id) => portal.messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
};
const botTexts = (w: World, userId: number) => {
  const chat = [...w.sandbox.max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
  return (chat?.mids ?? []).map((mid) => w.sandbox.max.world.messages.get(mid)!).filter((m) => m.fromBot).map((m) => m.message.body.text ?? '');
};
const maxFaults = (w: World, rules: unknown[]) => post(`${w.sandbox.max.controlUrl}/faults`, { rules }, 'PUT');

for (const engine of testEngines()) {
  describe(`what the bridge logs at level debug (${engine.name})`, () => {
    const world = worldFor(engine, 'debug');

    test('a client message and the operator reply to it leave log lines carrying the conversation, the message and the job', async () => {
      const w = world();
      await write(w, 7401, 'Где мой заказ?');
      await until(() => (lineTexts(w, 7401).length === 1 ? true : undefined));
      const mid = [...w.sandbox.max.world.messages.values()].find((m) => !m.fromBot && m.message.body.text === 'Где мой заказ?')!.message.body.mid;
      await post(`${w.sandbox.bitrix24.controlUrl}/portals/0/chats/${lineChatOf(w, 7401)!.chatId}/reply`, { text: 'Уже в пути' });
      await until(() => (botTexts(w, 7401).some((t) => t.includes('Уже в пути')) ? true : undefined));
      const queued = await until(() => w.lines.find((l) => l.msg === 'client message queued for the line' && l.messageKey === mid));
      const conversationId = String(queued.conversationId);
      assert.match(conversationId, /^shop:-?\d+$/);
      assert.equal(queued.component, 'inbound');
      assert.equal(typeof queued.jobId, 'number', 'the job that took it in');
      const taken = await until(() => w.lines.find((l) => l.msg === 'item taken by the line' && l.messageKey === mid));
      assert.equal(taken.conversationId, conversationId);
      assert.equal(taken.component, 'line-flush');
      assert.equal(typeof taken.jobId, 'number', 'the flush that sent it');
      const delivered = await until(() => w.lines.find((l) => l.msg === 'operator message delivered to MAX' && l.conversationId === conversationId));
      assert.equal(delivered.component, 'outbound');
      assert.equal(typeof delivered.jobId, 'number');
      assert.match(String(delivered.imMessageId), /^\d+$/);
      // The job's own lines carry the same ids: its start and end can be matched to the message.
      assert.ok(w.lines.some((l) => l.msg === 'job done' && l.jobId === queued.jobId && l.jobKind === 'max.update'));
    });

    test('a maintenance step that fails is told in a warn line with its error code, and the bridge goes on', async () => {
      const w = world();
      // MAX answers 500 to the subscription check (more times than the client retries in-call).
      await maxFaults(w, [{ kind: 'status', status: 500, pathPrefix: '/subscriptions', remaining: 5 }]);
      const report = await w.bridge.maintain();
      assert.deepEqual(report.resubscribed, []);
      const warn = w.lines.find((l) => l.component === 'maintenance' && l.level === 40);
      assert.ok(warn, `a warn line for the failed check: ${JSON.stringify(w.lines.filter((l) => l.level >= 40))}`);
      assert.equal(warn.botId, 'shop');
      assert.match(String(warn.code), /^BRG_ERR_MAX_/);
      assert.match(warn.msg, /webhook subscription failed; tried again at the next maintenance/);
      await maxFaults(w, []);
      await write(w, 7402, 'после сбоя');
      await until(() => (lineTexts(w, 7402).length === 1 ? true : undefined));
    });
  });

  describe(`LOG_LEVEL=warn (${engine.name})`, () => {
    const loaded = loadConfig({ LOG_LEVEL: 'warn' }, () => '');
    assert.ok(loaded.ok);
    const world = worldFor(engine, loaded.config.log_level);

    test('LOG_LEVEL=warn keeps info and debug lines out and lets a retried failure through', async () => {
      const w = world();
      await write(w, 7403, 'Добрый день');
      await until(() => (lineTexts(w, 7403).length === 1 ? true : undefined));
      // The reply's send fails more times than the client retries in-call: the job is retried.
      await maxFaults(w, [{ kind: 'status', status: 500, pathPrefix: '/messages', remaining: 4 }]);
      await post(`${w.sandbox.bitrix24.controlUrl}/portals/0/chats/${lineChatOf(w, 7403)!.chatId}/reply`, { text: 'Здравствуйте' });
      await until(() => (botTexts(w, 7403).some((t) => t.includes('Здравствуйте')) ? true : undefined));
      const retry = w.lines.find((l) => l.msg === 'job failed; retry scheduled' && l.component === 'outbound');
      assert.ok(retry, `the failed send is told: ${JSON.stringify(w.lines.filter((l) => l.level >= 40))}`);
      assert.equal(retry.level, 40);
      assert.deepEqual(w.lines.filter((l) => l.level < 40).map((l) => l.msg), [], 'nothing below warn');
    });
  });
}
