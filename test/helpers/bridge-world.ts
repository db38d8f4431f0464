/**
 * A bridge of its own configuration beside the emulators, for a describe block: the
 * emulators start, the bridge starts on a fresh database logging into memory, the app
 * is installed on the emulated portal; all is closed and dropped after the block.
 */
import { after, before } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { TestEngine } from './databases.ts';
import { installApp } from './e2e.ts';

export interface BridgeWorld {
  sandbox: Sandbox;
  bridge: Bridge;
  /** Every log line the bridge wrote, parsed. */
  logLines: Array<Record<string, unknown>>;
}

export interface BridgeWorldOptions {
  /** The configuration but `database`: given the emulators and a free port for the bridge. */
  config: (sandbox: Sandbox, port: number) => Promise<Record<string, unknown>> | Record<string, unknown>;
  logLevel?: string;
}

export function bridgeWorldFor(engine: TestEngine, options: BridgeWorldOptions): () => BridgeWorld {
  let world: BridgeWorld | null = null;
  let sandbox: Sandbox | null = null;
  before(async () => {
    sandbox = await startSandbox({ preferredPorts: false });
    const given = await options.config(sandbox, await freePort());
    const config = configSchema.parse({ ...given, database: { url: await engine.createDatabase() } });
    const logLines: BridgeWorld['logLines'] = [];
    const logger = createLogger({ level: options.logLevel ?? 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });
    const bridge = await startBridge(config, { clock: systemClock, logger });
    world = { sandbox, bridge, logLines };
    await installApp(sandbox.bitrix24.controlUrl, bridge.url);
  });
  after(async () => {
    await world?.bridge.close();
    await sandbox?.close();
    await engine.dropAll();
  });
  return () => {
    if (!world) throw new Error('bridgeWorldFor: the world is started in before()');
    return world;
  };
}
