/** Shared steps of the end-to-end tests (bridge + emulators over HTTP). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';
import type { TestEngine } from './databases.ts';

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

/** Waits until the app's setup job bound its last event on the emulated portal 0 (setup is done). */
export async function waitForSetup(bitrix24ControlUrl: string): Promise<void> {
  await until(async () => ((await (await fetch(`${bitrix24ControlUrl}/portals/0/bindings`)).json()) as { bindings: Array<{ event: string }> })
    .bindings.some((b) => b.event === 'ONAPPUNINSTALL') ? true : undefined);
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
  after(async () => {
    await sandbox?.close();
    await engine.dropAll();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (!sandbox) throw new Error('sandboxFor: the sandbox is started in before()');
    return sandbox;
  };
}
