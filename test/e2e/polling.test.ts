/**
 * Long polling end to end (bridge + both emulators over HTTP, SQLite and
 * PostgreSQL): a bot with `updates: polling` gets its updates through
 * GET /updates, they reach the Open Line, the marker survives a restart (no
 * update lost, none twice); on SQLite a store that fails mid-batch does not
 * advance the marker, and the same updates are stored once it recovers.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { testEngines } from '../helpers/databases.ts';
import { installApp, until } from '../helpers/e2e.ts';
import { untilIdle } from '../helpers/settled.ts';
import { sample, scrape } from '../helpers/metrics.ts';

for (const engine of testEngines()) {
  describe(`long polling (${engine.name})`, () => {
    let sandbox: Sandbox;
    let bridge: Bridge | null = null;
    let config: ReturnType<typeof configSchema.parse>;

    const write = (text: string) => fetch(`${sandbox.max.controlUrl}/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { user_id: 7401, first_name: 'Нина' }, text }),
    });
    const lineTexts = () => {
      const portal = sandbox.bitrix24.context.portals[0]!;
      const chat = [...portal.chats.values()].find((c) => c.externalUserId === '7401');
      return (chat?.messageIds ?? []).map((id) => portal.messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
    };

    before(async () => {
      sandbox = await startSandbox({ preferredPorts: false });
      const port = await freePort();
      config = configSchema.parse({
        server: { port },
        database: { url: await engine.createDatabase() },
        security: { secret_key: 'polling-test-secret-key-0123', metrics_token: 'polling-test-metrics-token' },
        bots: [{ id: 'poller', token: SANDBOX_BOT_TOKEN, updates: 'polling', api_url: sandbox.max.baseUrl }],
        portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
        routes: [{ bot: '*', portal: 'main' }],
      });
      // A webhook of ours left from an earlier webhook setup: polling removes it (MAX serves no polling while it exists).
      await fetch(`${sandbox.max.baseUrl}/subscriptions`, {
        method: 'POST', headers: { authorization: SANDBOX_BOT_TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `http://127.0.0.1:${port}/max/webhook/poller`, secret: 'old_secret' }),
      });
      bridge = await startBridge(config, { clock: systemClock });
      await installApp(sandbox.bitrix24.controlUrl, bridge.url);
    });
    after(async () => {
      await bridge?.close();
      await sandbox.close();
      await engine.dropAll();
    });

    test('updates arrive by polling and reach the Open Line; our stale webhook was removed', async () => {
      const subs = ((await (await fetch(`${sandbox.max.baseUrl}/subscriptions`, { headers: { authorization: SANDBOX_BOT_TOKEN } })).json()) as { subscriptions: unknown[] }).subscriptions;
      assert.deepEqual(subs, []);
      await write('первое');
      await write('второе');
      await until(() => (lineTexts().length === 2 ? true : undefined));
      assert.deepEqual(lineTexts(), ['первое', 'второе']);
      const row = await bridge!.store.db.selectFrom('bots').selectAll().where('id', '=', 'poller').executeTakeFirstOrThrow();
      assert.ok(row.poll_marker !== null, 'the marker is stored');
      assert.ok(!row.token_enc.includes(SANDBOX_BOT_TOKEN), 'the token is stored encrypted');
    });

    test('polled updates count as stored MAX polling intake on /metrics; /ready shows the polling bot ok', async () => {
      const { text } = await scrape(bridge!.url, 'polling-test-metrics-token');
      assert.ok(sample(text, 'bridge_intake_events_total', { source: 'max_polling', outcome: 'stored' })! >= 2);
      assert.equal(sample(text, 'bridge_intake_events_total', { source: 'max_webhook', outcome: 'stored' }), 0);
      const ready = (await (await fetch(`${bridge!.url}/ready`)).json()) as { bots: unknown[] };
      assert.deepEqual(ready.bots, [{ id: 'poller', updates: 'polling', state: 'ok' }]);
    });

    test('the marker survives a restart: written while stopped, nothing lost, nothing twice', async () => {
      await bridge!.close();
      bridge = null;
      await write('пока мост стоит 1');
      await write('пока мост стоит 2');
      bridge = await startBridge(config, { clock: systemClock });
      await until(() => (lineTexts().length === 4 ? true : undefined));
      // Nothing twice: every update MAX holds is committed and everything the bridge stored has gone.
      await untilIdle(bridge, sandbox);
      assert.deepEqual(lineTexts(), ['первое', 'второе', 'пока мост стоит 1', 'пока мост стоит 2']);
    });

    if (engine.name === 'sqlite') {
      test('a store that fails mid-batch does not advance the marker; the batch is stored once it recovers', async () => {
        const { db } = bridge!.store;
        const markerBefore = (await db.selectFrom('bots').select('poll_marker').where('id', '=', 'poller').executeTakeFirstOrThrow()).poll_marker;
        await sql`create trigger fail_events before insert on events begin select raise(abort, 'disk trouble'); end`.execute(db);
        await write('во время сбоя');
        await until(() => (bridge!.pollers[0]!.problem?.includes('disk trouble') ? true : undefined));
        const markerDuring = (await db.selectFrom('bots').select('poll_marker').where('id', '=', 'poller').executeTakeFirstOrThrow()).poll_marker;
        assert.equal(markerDuring, markerBefore, 'the marker did not move');
        await sql`drop trigger fail_events`.execute(db);
        await until(() => (lineTexts().includes('во время сбоя') ? true : undefined), 90_000);
        assert.equal(lineTexts().filter((t) => t === 'во время сбоя').length, 1);
      });
    }
  });
}
