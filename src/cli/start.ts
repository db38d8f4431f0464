/**
 * `npm start`. With nothing configured it starts the sandbox (both emulators,
 * their pages and the bridge wired to them); with MAX_BOT_TOKEN and
 * BITRIX24_CLIENT_ID (or CONFIG_FILE) it runs the bridge for real.
 */
import { startBridge } from '../runtime/start-bridge.ts';
import { formatConfigErrors, loadConfigFromProcess } from '../config/load-from-process.ts';
import { systemClock } from '../domain/clock.ts';
import { createLogger } from '../log/logger.ts';
import { sandboxBanner, startSandboxWithBridge } from './sandbox.ts';

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  if (!config.ok) {
    console.error(formatConfigErrors(config.errors));
    process.exit(1);
  }
  if (config.mode === 'production') {
    const logger = createLogger({ level: config.config.log_level });
    const bridge = await startBridge(config.config, { clock: systemClock, host: config.config.server.host, logger });
    const publicUrl = config.config.server.public_url ?? bridge.url;
    console.log(`Мост запущен: ${bridge.url}. Bridge running.`);
    for (const p of config.config.portals) console.log(`  Установка приложения на портале «${p.id}»: ${publicUrl}/bitrix24/install/${p.id}`);
    const stopBridge = (): void => {
      void bridge.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', stopBridge);
    process.once('SIGINT', stopBridge);
    return;
  }
  const sandbox = await startSandboxWithBridge();
  console.log(sandboxBanner(sandbox));
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
