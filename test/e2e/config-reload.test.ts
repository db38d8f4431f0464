/**
 * Reloading routes without a restart (src/runtime/config-reload.ts): a changed
 * CONFIG_FILE is picked up on its own; new conversations take the new routes while
 * a conversation already routed stays on its line; a line a route names for the
 * first time is set up; an invalid file is refused whole, with check-config's words,
 * and the running routes keep working. SIGHUP does the same (the signal handler is
 * the same `reloadNow`, exercised directly here so one test process runs them all).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { freePort } from '../../bench/child-process.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { loadConfig } from '../../src/config/load.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createLogger } from '../../src/log/logger.ts';
import { watchConfig, type ConfigWatch } from '../../src/runtime/config-reload.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, until, waitForSetup } from '../helpers/e2e.ts';

for (const engine of testEngines()) {
  describe(`configuration reload (${engine.name})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-reload-'));
    const file = join(dir, 'bridge.yaml');
    let sandbox: Sandbox;
    let bridge: Bridge;
    let watch: ConfigWatch;
    const logLines: Array<Record<string, unknown>> = [];
    let base: Record<string, unknown>;
    const writeConfig = (routes: unknown) => writeFileSync(file, stringify({ ...base, routes }));
    const load = () => loadConfig({ CONFIG_FILE: file }, (path) => readFileSync(path, 'utf8'));

    before(async () => {
      sandbox = await startSandbox({ preferredPorts: false });
      await postOk(`${sandbox.bitrix24.controlUrl}/portals/0/lines`, { name: 'Вторая' });
      await postOk(`${sandbox.bitrix24.controlUrl}/portals/0/lines`, { name: 'Третья' });
      const port = await freePort();
      base = {
        server: { port, public_url: `http://127.0.0.1:${port}` },
        database: { url: await engine.createDatabase() },
        security: { secret_key: 'reload-test-secret-key-0123456789' },
        workers: { line_reorder_window_ms: 0 },
        bots: [{ id: 'shop', token: SANDBOX_BOT_TOKEN, webhook_secret: 'shop_secret', api_url: sandbox.max.baseUrl }],
        portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
      };
      writeConfig([{ name: 'default', to: { portal: 'main', line_id: 1 } }]);
      const loaded = load();
      assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors));
      const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });
      bridge = await startBridge(loaded.config, { clock: systemClock, logger });
      watch = watchConfig({ load, apply: (next) => bridge.reload(next), log: logger.child({ component: 'config' }), file, intervalMs: 100, onSighup: false });
      const res = await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/install`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: SANDBOX_APP.clientId, handlerUrl: `${bridge.url}/bitrix24/install/main` }),
      });
      assert.equal(res.status, 200);
      await waitForSetup(sandbox.bitrix24.controlUrl);
    });
    after(async () => {
      watch?.stop();
      await bridge?.close();
      await sandbox?.close();
      await engine.dropAll();
      rmSync(dir, { recursive: true, force: true });
    });

    const portal = () => sandbox.bitrix24.context.portals[0]!;
    const lineOf = (text: string) => until(() => {
      for (const m of portal().messages.values()) if (m.direction === 'in' && m.text.includes(text)) return portal().chats.get(m.chatId)?.lineId;
      return undefined;
    });
    const write = (userId: number, text: string) => postOk(`${sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: 'Пётр' }, text });

    test('a changed file reroutes new conversations; one already routed stays; a newly named line is set up', async () => {
      await write(820_001, 'before-reload');
      assert.equal(await lineOf('before-reload'), 1);
      writeConfig([{ name: 'default', to: { portal: 'main', line_id: 3 } }]);
      await until(() => (logLines.some((l) => l.msg === 'configuration reloaded') ? true : undefined));
      await until(() => (portal().lines.get(3)?.connectors.has('max_bridge') ? true : undefined), 30_000);
      await write(820_002, 'after-reload');
      assert.equal(await lineOf('after-reload'), 3, 'a new conversation takes the new route');
      await write(820_001, 'same-client-again');
      assert.equal(await lineOf('same-client-again'), 1, 'a conversation already routed stays on its line');
    });

    test('an invalid file is refused whole with check-config\'s words; the running routes keep working', async () => {
      writeConfig([{ name: 'default', to: { portal: 'nowhere', line_id: 2 } }]);
      const refused = await watch.reloadNow('test');
      assert.equal(refused.applied, false);
      assert.ok(!refused.applied && refused.errors.some((e) => e.includes('no portal has the id "nowhere"')), JSON.stringify(refused));
      assert.ok(logLines.some((l) => l.msg?.toString().startsWith('the new configuration is refused whole')), 'logged');
      writeFileSync(file, 'routes: [\n');
      assert.equal((await watch.reloadNow('test')).applied, false, 'a YAML error too');
      await write(820_003, 'after-refusal');
      assert.equal(await lineOf('after-refusal'), 3, 'the routes in force are the last valid ones');
    });
  });
}
