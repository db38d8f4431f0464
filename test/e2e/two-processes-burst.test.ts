/**
 * Two bridge processes on one PostgreSQL database (bridge + both emulators over HTTP), a
 * burst of new clients each writing two messages at once: every message reaches the Open
 * Line exactly once. The inbound job of a client's second message and the line's flush of
 * the first may complete at the same moment, locking the conversation row and the line's
 * flush job in opposite orders; PostgreSQL then aborts one of them as a deadlock. A flush's
 * items were in the line already: its completion is tried again, never the flush (which
 * would send them a second time). Whether a deadlock happens in a given run is up to timing;
 * test/integration/store/complete-deadlock.test.ts makes one on purpose.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { webhookBridgeConfig } from '../helpers/bridge-world.ts';
import { testEngines } from '../helpers/databases.ts';
import { installApp, postOk, until } from '../helpers/e2e.ts';

const CLIENTS = 30;

for (const engine of testEngines().filter((e) => e.name === 'postgres')) {
  describe(`two bridge processes, a burst of new clients writing twice at once (${engine.name})`, () => {
    let sandbox: Sandbox;
    const bridges: Bridge[] = [];
    before(async () => {
      sandbox = await startSandbox({ preferredPorts: false });
      const url = await engine.createDatabase();
      const [portA, portB] = [await freePort(), await freePort()];
      // Both answer at A's address (MAX and the portal call A); both claim the jobs of the one store.
      const configFor = (port: number) => configSchema.parse({
        ...webhookBridgeConfig(sandbox, port, { security: { secret_key: 'two-processes-secret-key-0123' } }),
        server: { port, public_url: `http://127.0.0.1:${portA}` },
        database: { url },
      });
      bridges.push(await startBridge(configFor(portA), { host: '127.0.0.1', clock: (await import('../../src/domain/clock.ts')).systemClock }));
      await installApp(sandbox.bitrix24.controlUrl, bridges[0]!.url);
      bridges.push(await startBridge(configFor(portB), { host: '127.0.0.1', clock: (await import('../../src/domain/clock.ts')).systemClock }));
    });
    after(async () => {
      for (const b of bridges) await b.close();
      await sandbox?.close();
      await engine.dropAll();
    });

    test('each client\'s two messages reach the Open Line once each, in order', async () => {
      const portal = sandbox.bitrix24.context.portals[0]!;
      const lineTexts = (userId: number) => {
        const chat = [...portal.chats.values()].find((c) => c.externalUserId === String(userId));
        return (chat?.messageIds ?? []).map((id) => portal.messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
      };
      const users = Array.from({ length: CLIENTS }, (_, i) => 8_401 + i);
      await Promise.all(users.map(async (userId) => {
        const write = (text: string) => postOk(`${sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: `Клиент ${userId}` }, text });
        await Promise.all([write(`${userId}: первое`), write(`${userId}: второе`)]);
      }));
      await until(() => (users.every((u) => lineTexts(u).length >= 2) ? true : undefined), 60_000);
      // At rest a moment longer: a second send of anything would arrive now.
      await new Promise((r) => setTimeout(r, 1_500));
      for (const userId of users) {
        // Two writes at once: MAX orders them by its own time, which is either.
        assert.deepEqual([...lineTexts(userId)].sort(), [`${userId}: второе`, `${userId}: первое`], `client ${userId}: each message once`);
      }
      const dead = await bridges[0]!.store.deadLetters.list();
      assert.deepEqual(dead, []);
    });
  });
}
