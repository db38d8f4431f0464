/**
 * A first start in polling mode with a backlog (bridge + both emulators over
 * HTTP, SQLite and PostgreSQL): updates MAX still holds that are older than
 * `max.polling_backlog_max_age_ms` are stored and listed as skipped, not sent
 * to the Open Lines as fresh conversations; fresh ones go as usual; a restart
 * with a stored marker resumes normally, old or not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createLogger } from '../../src/log/logger.ts';
import { testEngines } from '../helpers/databases.ts';
import { installApp, until } from '../helpers/e2e.ts';
import { untilIdle } from '../helpers/settled.ts';

const ADMIN = 'polling-backlog-admin-token';
const TWO_HOURS_MS = 2 * 3_600_000;

for (const engine of testEngines()) {
  describe(`a first start in polling mode with a backlog (${engine.name})`, () => {
    let sandbox: Sandbox;
    let bridge: Bridge | null = null;
    let config: ReturnType<typeof configSchema.parse>;
    /** The bridge's warn lines (its log, as JSON), to find the one about the skipped backlog. */
    const told: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void told.push(String((JSON.parse(line) as { msg: unknown }).msg)) } });

    const write = async (userId: number, text: string, agoMs = 0) => {
      const res = await fetch(`${sandbox.max.controlUrl}/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: { user_id: userId, first_name: 'Гость' }, text, ...(agoMs ? { timestamp_ms: Date.now() - agoMs } : {}) }),
      });
      assert.equal(res.status, 200, await res.clone().text());
    };
    const lineTexts = () => {
      const portal = sandbox.bitrix24.context.portals[0]!;
      return [...portal.messages.values()].filter((m) => m.direction === 'in').map((m) => m.text);
    };

    before(async () => {
      sandbox = await startSandbox({ preferredPorts: false });
      const port = await freePort();
      config = configSchema.parse({
        server: { port },
        database: { url: await engine.createDatabase() },
        security: { secret_key: 'polling-backlog-secret-key-012', admin_token: ADMIN },
        bots: [{ id: 'poller', token: SANDBOX_BOT_TOKEN, updates: 'polling', api_url: sandbox.max.baseUrl }],
        portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
      });
      // What waited in MAX before the bridge ever polled: two old messages, one just written.
      await write(7501, 'вчерашнее 1', TWO_HOURS_MS);
      await write(7502, 'вчерашнее 2', TWO_HOURS_MS - 60_000);
      await write(7503, 'только что');
      bridge = await startBridge(config, { clock: systemClock, logger });
      await installApp(sandbox.bitrix24.controlUrl, bridge.url);
    });
    after(async () => {
      await bridge?.close();
      await sandbox.close();
      await engine.dropAll();
    });

    test('a first start in polling mode does not pour hours-old updates into the Open Lines as new conversations; they are kept and listed as skipped', async () => {
      await until(() => (lineTexts().includes('только что') ? true : undefined));
      // The old ones came in the same poll; had they jobs, they would have gone once the bridge is at rest.
      await untilIdle(bridge!, sandbox);
      assert.deepEqual(lineTexts(), ['только что']);
      assert.equal(bridge!.pollers[0]!.skippedBacklog, 2);
      const line = told.find((l) => l.includes('первый запуск в режиме опроса'));
      assert.ok(line, `the start says how many were skipped and where they are: ${told.join(' | ')}`);
      assert.match(line, /бот poller: .* 2 обновл\. MAX старше 5 мин .*GET \/admin\/skipped-updates\?reason=polling_backlog/);
      const res = await bridge!.app.inject({ method: 'GET', url: '/admin/skipped-updates?reason=polling_backlog', headers: { authorization: `Bearer ${ADMIN}` } });
      assert.equal(res.statusCode, 200);
      const body = res.json() as { total: number; skipped_updates: Array<{ kind: string; reason: string; raw: string }> };
      assert.equal(body.total, 2);
      assert.deepEqual(body.skipped_updates.map((s) => [s.kind, s.reason, (JSON.parse(s.raw) as { message: { body: { text: string } } }).message.body.text]).sort(), [
        ['message_created', 'polling_backlog', 'вчерашнее 1'], ['message_created', 'polling_backlog', 'вчерашнее 2'],
      ]);
      const bad = await bridge!.app.inject({ method: 'GET', url: '/admin/skipped-updates?reason=nope', headers: { authorization: `Bearer ${ADMIN}` } });
      assert.equal(bad.statusCode, 400);
    });

    test('a restart with a stored marker resumes normally: what waited meanwhile, however old, reaches the Open Line', async () => {
      await bridge!.close();
      bridge = null;
      await write(7504, 'пока мост стоял', TWO_HOURS_MS);
      bridge = await startBridge(config, { clock: systemClock });
      await until(() => (lineTexts().includes('пока мост стоял') ? true : undefined));
      assert.equal(bridge.pollers[0]!.skippedBacklog, 0);
      assert.equal(await bridge.store.skipped.count('polling_backlog'), 2, 'nothing more skipped');
    });
  });
}
