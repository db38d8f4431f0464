/**
 * `npm start` with a real configuration (pointed at the emulators): the bridge
 * starts, subscribes its webhook at MAX, answers /health, and stops on SIGTERM.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import { startMaxEmulator } from '../../emulators/max/index.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

test('production mode starts, subscribes at MAX and stops cleanly', async () => {
  const max = await startMaxEmulator({ bots: [{ token: 'prod-token-0123456789' }] });
  const b24 = await startBitrix24Emulator({ apps: [{ clientId: 'local.prod', clientSecret: 'prod-secret' }] });
  const dir = mkdtempSync(join(tmpdir(), 'bridge-prod-'));
  const port = await freePort();
  // What `npm start` runs: the esbuild bundle on plain Node (built inside the project, so
  // its package imports resolve from node_modules; a directory of this test's own).
  mkdirSync('.data', { recursive: true });
  const dist = mkdtempSync(join('.data', 'dist-'));
  execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', dist]);
  const child = spawn(process.execPath, ['--enable-source-maps', join(dist, 'start.mjs')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: join(dir, 'bridge.sqlite'), BRIDGE_SECRET_KEY: 'production-test-secret-key', MAX_BOT_TOKEN: 'prod-token-0123456789',
      MAX_API_URL: max.baseUrl, BITRIX24_CLIENT_ID: 'local.prod', BITRIX24_CLIENT_SECRET: 'prod-secret',
    },
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 20_000;
    // The install link is printed on the line after "Bridge running" (it may come in a later chunk).
    while (!/\/bitrix24\/install\//.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /Bridge running/);
    assert.match(out, /\/bitrix24\/install\/default/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    const subs = ((await (await fetch(`${max.controlUrl}/subscriptions`)).json()) as { subscriptions: Array<{ url: string }> }).subscriptions;
    assert.deepEqual(subs.map((s) => s.url), [`http://127.0.0.1:${port}/max/webhook/default`]);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await max.close();
    await b24.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dist, { recursive: true, force: true });
  }
});
