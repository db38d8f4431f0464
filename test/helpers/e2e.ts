/** Shared steps of the end-to-end tests (bridge + emulators over HTTP). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { HANDLED_EVENTS } from '../../src/bitrix24/connector-setup.ts';
import { SANDBOX_APP, startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';
import type { TestEngine } from './databases.ts';
import { teardown } from './teardown.ts';

/** Polls `probe` until it returns something other than undefined; generous deadline for loaded machines. */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('until: timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** POSTs JSON to an emulator's control or API URL; anything but 200 fails the test with the body. */
export async function postOk(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  assert.equal(res.status, 200, `${url}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Waits until the app's setup job bound every event it handles on the emulated portal 0 (its last step but recording the line). */
export async function waitForSetup(bitrix24ControlUrl: string): Promise<void> {
  await until(async () => {
    const { bindings } = (await (await fetch(`${bitrix24ControlUrl}/portals/0/bindings`)).json()) as { bindings: Array<{ event: string }> };
    return HANDLED_EVENTS.every((event) => bindings.some((b) => b.event === event)) ? true : undefined;
  });
}

/**
 * Installs the sandbox app on emulated portal 0, its install handler being the bridge's for
 * `portalId`, and waits until the setup job is done (the way an administrator installs it).
 */
export async function installApp(bitrix24ControlUrl: string, bridgeUrl: string, portalId = 'main'): Promise<void> {
  const res = await fetch(`${bitrix24ControlUrl}/portals/0/install`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: SANDBOX_APP.clientId, handlerUrl: `${bridgeUrl}/bitrix24/install/${portalId}` }),
  });
  if (res.status !== 200) throw new Error(`installApp: the Bitrix24 emulator answered ${res.status}: ${await res.text()}`);
  await waitForSetup(bitrix24ControlUrl);
}

/**
 * A sandbox (bridge + both emulators) on a fresh database of `engine` for a describe block,
 * set up before its tests (the app installed) and closed, dropped and removed after them.
 *
 *   const sandbox = sandboxFor(engine, 'bridge-e2e-media-');   // inside describe(); sandbox() in tests
 */
export function sandboxFor(engine: TestEngine, dirPrefix: string): () => Sandbox {
  let sandbox: Sandbox | null = null;
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  before(async () => {
    sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir, databaseUrl: await engine.createDatabase() });
    await waitForSetup(sandbox.bitrix24.controlUrl);
  });
  after(() => teardown([
    ['the sandbox (bridge and emulators) closes', () => sandbox?.close()],
    [`the ${engine.name} databases are dropped`, () => engine.dropAll()],
    ['the data directory is removed', () => rmSync(dir, { recursive: true, force: true })],
  ]));
  return () => {
    if (!sandbox) throw new Error('sandboxFor: the sandbox is started in before()');
    return sandbox;
  };
}
