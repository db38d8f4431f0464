/**
 * A bridge of its own configuration beside the emulators, for a describe block: the
 * emulators start, the bridge starts on a fresh database logging into memory, the app
 * is installed on the emulated portal; all is closed and dropped after the block.
 * `stop()` and `start(patch)` restart the bridge on the same database (a configuration
 * change, a downtime), its log lines kept in the same list.
 */
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../bench/child-process.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox, type Sandbox } from '../../src/cli/sandbox.ts';
import { configSchema, type BridgeConfigData as Config } from '../../src/config/schema.ts';
import { systemClock, type Clock } from '../../src/domain/clock.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { TestEngine } from './databases.ts';
import { installApp } from './e2e.ts';
import type { ManualClock } from './manual-clock.ts';
import { teardown } from './teardown.ts';

export interface BridgeWorld {
  sandbox: Sandbox;
  /** The running bridge; throws between stop() and start(). */
  bridge: Bridge;
  /** The configuration it runs with (parsed). */
  config: Config;
  /** Every log line the bridge wrote, parsed, across restarts. */
  logLines: Array<Record<string, unknown>>;
  /** Stops the bridge (a clean stop). */
  stop(): Promise<void>;
  /** Starts it again on the same database, with `patch` applied to the configuration. */
  start(patch?: (config: Config) => Record<string, unknown>): Promise<Bridge>;
}

export interface BridgeWorldOptions {
  /** The configuration but `database`: given the emulators and a free port for the bridge. */
  config: (sandbox: Sandbox, port: number) => Promise<Record<string, unknown>> | Record<string, unknown>;
  logLevel?: string;
  /** MAX's durations scaled (webhook retries, the 8-hour give-up), for tests of long outages. */
  maxTimeFactor?: number;
  /** The portal's durations scaled (token lifetime, the CRM tracker's lag). */
  bitrix24TimeFactor?: number;
  /** The bridge's clock (default the system's); a ManualClock driven by test/helpers/clock-driver.ts for outages of hours. */
  clock?: Clock;
}

/**
 * The usual test bridge: bot `shop` on the MAX emulator by webhook, portal `main` on the
 * Bitrix24 emulator, one route, no reorder wait; `extra` sections replace the defaults'.
 */
export function webhookBridgeConfig(emulators: Sandbox, port: number, extra: Record<string, unknown> & { security: Record<string, unknown> }): Record<string, unknown> {
  return {
    server: { port, public_url: `http://127.0.0.1:${port}` },
    workers: { line_reorder_window_ms: 0 },
    bots: [{ id: 'shop', token: SANDBOX_BOT_TOKEN, webhook_secret: 'shop_secret', api_url: emulators.max.baseUrl }],
    portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
    routes: [{ bot: '*', portal: 'main' }],
    ...extra,
  };
}

export function bridgeWorldFor(engine: TestEngine, options: BridgeWorldOptions): () => BridgeWorld {
  let world: BridgeWorld | null = null;
  let sandbox: Sandbox | null = null;
  let bridge: Bridge | null = null;
  before(async () => {
    const emulators = await startSandbox({ preferredPorts: false, maxTimeFactor: options.maxTimeFactor, bitrix24TimeFactor: options.bitrix24TimeFactor });
    sandbox = emulators;
    const given = await options.config(emulators, await freePort());
    let config = configSchema.parse({ ...given, database: { url: await engine.createDatabase() } });
    const logLines: BridgeWorld['logLines'] = [];
    const logger = createLogger({ level: options.logLevel ?? 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });
    const clock = options.clock ?? systemClock;
    bridge = await startBridge(config, { clock, logger });
    world = {
      sandbox: emulators,
      get bridge() {
        if (!bridge) throw new Error('bridgeWorldFor: the bridge is stopped');
        return bridge;
      },
      get config() {
        return config;
      },
      logLines,
      async stop() {
        await bridge?.close();
        bridge = null;
      },
      async start(patch) {
        if (patch) config = configSchema.parse(patch(config));
        bridge = await startBridge(config, { clock, logger });
        return bridge;
      },
    };
    // A ManualClock stands still unless moved: while the app is installed it keeps
    // pace with real time, so the peers' heartbeats and the setup job's waits pass.
    const manual = options.clock && 'advance' in options.clock ? (options.clock as ManualClock) : null;
    let installing = true;
    const ticking = manual ? (async () => {
      while (installing) {
        await sleep(10);
        await manual.advance(10);
      }
    })() : Promise.resolve();
    try {
      await installApp(emulators.bitrix24.controlUrl, bridge.url);
    } finally {
      installing = false;
      await ticking;
    }
  });
  after(() => teardown([
    ['the bridge closes', () => bridge?.close()],
    ['the emulators close', () => sandbox?.close()],
    [`the ${engine.name} databases are dropped`, () => engine.dropAll()],
  ]));
  return () => {
    if (!world) throw new Error('bridgeWorldFor: the world is started in before()');
    return world;
  };
}
