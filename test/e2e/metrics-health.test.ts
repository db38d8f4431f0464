/**
 * /metrics, /health and /ready against a running bridge (bridge + both
 * emulators over HTTP, SQLite and PostgreSQL), as docs/operations.md documents
 * them: the counters move when messages go through, duplicates and refusals
 * are told apart, the store gauges are there; /ready says why the bridge is not
 * ready (a paused line, an unreachable database) while /health stays 200.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, SANDBOX_METRICS_TOKEN, startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { testEngines, type TestEngine } from '../helpers/databases.ts';
import { sandboxFor, until, waitForSetup } from '../helpers/e2e.ts';
import { sample, scrape } from '../helpers/metrics.ts';

const WEBHOOK_SECRET = 'sandbox_webhook_secret';

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

for (const engine of testEngines()) {
  describe(`metrics, health and readiness of a running bridge (${engine.name})`, () => {
    const sandbox = sandboxFor(engine, 'bridge-e2e-metrics-');
    const bridgeUrl = () => sandbox().bridge!.url;
    const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const portal = () => sandbox().bitrix24.context.portals[0]!;
    const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    const lineTexts = () => [...portal().chats.values()].flatMap((c) => c.messageIds.map((id) => portal().messages.get(id)?.text ?? ''));
    const botTexts = (userId: number) => {
      const chat = [...sandbox().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
      return (chat?.mids ?? []).map((mid) => sandbox().max.world.messages.get(mid)!).filter((m) => m.fromBot).map((m) => m.message.body.text ?? '');
    };
    const lineId = async () => {
      const state = (await getJson(`${sandbox().bitrix24.controlUrl}/state`)).body as { portals: Array<{ lines: Array<{ ID: string; connectors: string[] }> }> };
      return Number(state.portals[0]!.lines.find((l) => l.connectors.includes('max_bridge'))!.ID);
    };
    const metric = async (name: string, labels: Record<string, string> = {}) => sample((await scrape(bridgeUrl())).text, name, labels);
    const intake = (source: string, outcome: string) => metric('bridge_intake_events_total', { source, outcome });

    test('/metrics answers a scraper without the token 401, and its text carries no secret', async () => {
      assert.equal((await fetch(`${bridgeUrl()}/metrics`)).status, 401);
      assert.equal((await scrape(bridgeUrl(), 'not-the-metrics-token')).status, 401);
      const { status, contentType, text } = await scrape(bridgeUrl());
      assert.equal(status, 200);
      assert.match(contentType, /^text\/plain; version=0\.0\.4/);
      assert.ok(sample(text, 'process_resident_memory_bytes')! > 0, 'process metrics are there');
      assert.equal(sample(text, 'bridge_database_up'), 1);
      const secrets = [SANDBOX_BOT_TOKEN, SANDBOX_APP.clientSecret, WEBHOOK_SECRET, SANDBOX_METRICS_TOKEN, 'sandbox-only-secret-key-not-for-production'];
      const tokens = await sandbox().bridge!.store.portals.load('sandbox');
      if (tokens) secrets.push(tokens.accessToken, tokens.refreshToken, tokens.applicationToken);
      for (const secret of secrets) assert.ok(!text.includes(secret), `a secret is in /metrics: ${secret.slice(0, 4)}…`);
    });

    test('a client message counts as stored MAX intake, an inbound delivery latency, REST calls and job runs', async () => {
      const storedBefore = (await intake('max_webhook', 'stored')) ?? 0;
      await post(`${sandbox().max.controlUrl}/messages`, { user: { user_id: 8101, first_name: 'Вера' }, text: 'сколько стоит доставка?' });
      await until(() => (lineTexts().includes('сколько стоит доставка?') ? true : undefined));
      const text = await until(async () => {
        const t = (await scrape(bridgeUrl())).text;
        return (sample(t, 'bridge_delivery_latency_seconds_count', { direction: 'inbound' }) ?? 0) >= 1 ? t : undefined;
      });
      assert.ok(sample(text, 'bridge_intake_events_total', { source: 'max_webhook', outcome: 'stored' })! >= storedBefore + 1);
      assert.ok(sample(text, 'bridge_delivery_latency_seconds_bucket', { direction: 'inbound', le: '+Inf' })! >= 1);
      assert.ok(sample(text, 'bridge_bitrix24_requests_total', { portal: 'sandbox', outcome: 'ok' })! >= 1, 'imconnector calls counted for the portal');
      assert.ok(sample(text, 'bridge_max_requests_total', { bot: 'sandbox', outcome: 'ok' })! >= 1, 'MAX calls counted for the bot');
      assert.ok(sample(text, 'bridge_jobs_finished_total', { kind: 'max.update', outcome: 'completed' })! >= 1);
      for (const state of ['pending', 'running', 'dead']) {
        assert.notEqual(sample(text, 'bridge_jobs', { kind: 'line.flush', state }), undefined, `bridge_jobs has line.flush/${state}`);
      }
      assert.equal(sample(text, 'bridge_dead_letters', { kind: 'max.update' }), 0);
      const line = String(await lineId());
      assert.notEqual(sample(text, 'bridge_line_queue_depth', { portal: 'sandbox', line }), undefined);
      assert.notEqual(sample(text, 'bridge_line_queue_oldest_age_seconds', { portal: 'sandbox', line }), undefined);
    });

    test('a redelivered MAX webhook counts as duplicate, a wrong secret or an unknown bot as rejected', async () => {
      const updates = ((await getJson(`${sandbox().max.controlUrl}/updates`)).body as { updates: Array<{ update: Record<string, unknown> }> }).updates;
      const created = updates.find((u) => u.update.update_type === 'message_created')!.update;
      const [duplicateBefore, rejectedBefore, storedBefore] = [await intake('max_webhook', 'duplicate') ?? 0, await intake('max_webhook', 'rejected') ?? 0, await intake('max_webhook', 'stored')];
      const again = await post(`${bridgeUrl()}/max/webhook/sandbox`, created, { 'x-max-bot-api-secret': WEBHOOK_SECRET });
      assert.equal(((await again.json()) as { duplicate: boolean }).duplicate, true);
      assert.equal((await post(`${bridgeUrl()}/max/webhook/sandbox`, created, { 'x-max-bot-api-secret': 'wrong_secret' })).status, 401);
      assert.equal((await post(`${bridgeUrl()}/max/webhook/nobody`, created, { 'x-max-bot-api-secret': WEBHOOK_SECRET })).status, 404);
      assert.equal(await intake('max_webhook', 'duplicate'), duplicateBefore + 1);
      assert.equal(await intake('max_webhook', 'rejected'), rejectedBefore + 2);
      assert.equal(await intake('max_webhook', 'stored'), storedBefore, 'nothing new was stored');
    });

    test('an operator reply counts as a stored Bitrix24 event and an outbound delivery latency', async () => {
      const storedBefore = (await intake('bitrix24_events', 'stored')) ?? 0;
      const res = await post(`${sandbox().bitrix24.controlUrl}/portals/0/chats/${lineChatOf(8101)!.chatId}/reply`, { text: 'Доставка бесплатная' });
      assert.equal(res.status, 200);
      await until(() => (botTexts(8101).some((t) => t.endsWith('Доставка бесплатная')) ? true : undefined));
      const text = await until(async () => {
        const t = (await scrape(bridgeUrl())).text;
        return (sample(t, 'bridge_delivery_latency_seconds_count', { direction: 'outbound' }) ?? 0) >= 1 ? t : undefined;
      });
      assert.ok(sample(text, 'bridge_intake_events_total', { source: 'bitrix24_events', outcome: 'stored' })! >= storedBefore + 1);
      assert.ok(sample(text, 'bridge_jobs_finished_total', { kind: 'bitrix24.event', outcome: 'completed' })! >= 1);
    });

    test('a Bitrix24 QUERY_LIMIT_EXCEEDED and a MAX 429 count as limited calls, the portal\'s by its limit code', async () => {
      const put = (url: string, body: unknown) => fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const limitedBefore = (await metric('bridge_bitrix24_limit_errors_total', { portal: 'sandbox', code: 'QUERY_LIMIT_EXCEEDED' })) ?? 0;
      const maxLimitedBefore = (await metric('bridge_max_requests_total', { bot: 'sandbox', outcome: 'limited' })) ?? 0;
      await put(`${sandbox().bitrix24.controlUrl}/portals/0/faults`, { rules: [{ kind: 'status', status: 503, code: 'QUERY_LIMIT_EXCEEDED', methodPrefix: 'imconnector.send.messages', remaining: 1 }] });
      await put(`${sandbox().max.controlUrl}/faults`, { rules: [{ kind: 'status', status: 429, pathPrefix: '/messages', remaining: 1 }] });
      await post(`${sandbox().max.controlUrl}/messages`, { user: { user_id: 8101 }, text: 'а в выходные?' });
      await until(() => (lineTexts().includes('а в выходные?') ? true : undefined));
      await post(`${sandbox().bitrix24.controlUrl}/portals/0/chats/${lineChatOf(8101)!.chatId}/reply`, { text: 'И в выходные тоже' });
      await until(() => (botTexts(8101).some((t) => t.endsWith('И в выходные тоже')) ? true : undefined));
      const text = (await scrape(bridgeUrl())).text;
      assert.equal(sample(text, 'bridge_bitrix24_limit_errors_total', { portal: 'sandbox', code: 'QUERY_LIMIT_EXCEEDED' }), limitedBefore + 1);
      assert.ok(sample(text, 'bridge_bitrix24_requests_total', { portal: 'sandbox', outcome: 'limited' })! >= 1);
      assert.equal(sample(text, 'bridge_max_requests_total', { bot: 'sandbox', outcome: 'limited' }), maxLimitedBefore + 1);
    });

    test('/health is {status: ok} and /ready 200 with the database, bot and line states while all is well', async () => {
      const health = await getJson(`${bridgeUrl()}/health`);
      assert.deepEqual(health, { status: 200, body: { status: 'ok' } });
      const ready = await getJson(`${bridgeUrl()}/ready`);
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, {
        status: 'ready', problems: [],
        database: { engine: engine.name, reachable: true, migration: MIGRATIONS.at(-1)!.id },
        bots: [{ id: 'sandbox', updates: 'webhook', state: 'ok' }],
        lines: [{ portal: 'sandbox', line: await lineId(), state: 'active', reason: null }],
      });
    });

    test('a paused line makes /ready 503 naming the line and why, while /health stays 200', async () => {
      const id = await lineId();
      await fetch(`${sandbox().bitrix24.controlUrl}/portals/0/lines/${id}`, { method: 'DELETE' });
      const ready = await until(async () => {
        const r = await getJson(`${bridgeUrl()}/ready`);
        return r.status === 503 ? r.body : undefined;
      });
      assert.equal(ready.status, 'not_ready');
      assert.deepEqual(ready.problems, [`линия ${id} портала sandbox приостановлена: line deleted in Bitrix24`]);
      assert.deepEqual(ready.lines, [{ portal: 'sandbox', line: id, state: 'paused', reason: 'line deleted in Bitrix24' }]);
      assert.deepEqual(await getJson(`${bridgeUrl()}/health`), { status: 200, body: { status: 'ok' } });
    });
  });

  describe(`readiness with the database unreachable (${engine.name})`, () => {
    let sandbox: Sandbox;
    let databaseUrl: string;
    const dir = mkdtempSync(join(tmpdir(), 'bridge-e2e-ready-'));
    before(async () => {
      databaseUrl = await engine.createDatabase();
      sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir, databaseUrl });
      await waitForSetup(sandbox.bitrix24.controlUrl);
    });
    after(async () => {
      await sandbox.close();
      await engine.dropAll();
      rmSync(dir, { recursive: true, force: true });
    });

    test('/ready answers 503 naming the database, /health stays 200, /metrics says bridge_database_up 0', async () => {
      const url = sandbox.bridge!.url;
      assert.equal((await getJson(`${url}/ready`)).status, 200);
      const outage = await takeDatabaseAway(engine, databaseUrl, sandbox);
      const ready = await until(async () => {
        const r = await getJson(`${url}/ready`);
        return r.status === 503 ? r.body : undefined;
      });
      assert.equal(ready.status, 'not_ready');
      const problems = ready.problems as string[];
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /^база данных недоступна: /);
      assert.deepEqual(ready.database, { engine: engine.name, reachable: false, migration: null });
      assert.deepEqual(await getJson(`${url}/health`), { status: 200, body: { status: 'ok' } });
      const metrics = await scrape(url);
      assert.equal(metrics.status, 200);
      assert.equal(sample(metrics.text, 'bridge_database_up'), 0);
      assert.equal(sample(metrics.text, 'bridge_jobs', { kind: 'max.update', state: 'pending' }), undefined, 'no stale store numbers');
      if (outage.restore) {
        await outage.restore();
        await until(async () => ((await getJson(`${url}/ready`)).status === 200 ? true : undefined));
        assert.equal(sample((await scrape(url)).text, 'bridge_database_up'), 1);
      }
    });
  });
}

/**
 * A real outage, no mock. PostgreSQL: the server refuses the database's connections and ends
 * the open ones (as a failover or an administrator's `ALLOW_CONNECTIONS false` would), then
 * lets them in again. SQLite has no server to lose: the bridge's connection to its file is
 * closed under it, as when the file becomes unusable.
 */
async function takeDatabaseAway(engine: TestEngine, databaseUrl: string, sandbox: Sandbox): Promise<{ restore?: () => Promise<void> }> {
  if (engine.name === 'sqlite') {
    await sandbox.bridge!.store.close();
    return {};
  }
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
  await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
  return { restore: () => admin(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`) };
}
