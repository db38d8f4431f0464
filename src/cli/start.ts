/**
 * `npm start`. With nothing configured it starts the sandbox (both emulators,
 * their pages and the bridge wired to them); with MAX_BOT_TOKEN and
 * BITRIX24_CLIENT_ID (or CONFIG_FILE) it runs the bridge for real.
 */
import { dirname, resolve } from 'node:path';
import { watchConfig, type ConfigWatch } from '../runtime/config-reload.ts';
import { startBridge } from '../runtime/start-bridge.ts';
import { formatConfigErrors, loadConfigFromProcess } from '../config/load-from-process.ts';
import { systemClock } from '../domain/clock.ts';
import { chooseLogFormat } from '../log/format.ts';
import { privacyHashKey } from '../journal/hash-key.ts';
import { createMasker } from '../journal/masking.ts';
import { createLogger } from '../log/logger.ts';
import { sandboxBanner, startSandboxWithBridge } from './sandbox.ts';

/** Routes' transform modules are relative to the configuration file's folder (else the working directory). */
function configDirOf(env: NodeJS.ProcessEnv): string {
  const file = env.CONFIG_FILE?.trim();
  return file ? dirname(resolve(file)) : process.cwd();
}

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  if (!config.ok) {
    console.error(formatConfigErrors(config.errors));
    process.exit(1);
  }
  // One logger for the process: JSON lines in production, readable ones in the sandbox or a terminal (docs/logging.md).
  const logger = createLogger({
    level: config.config.log_level,
    // Names, phones, emails, texts and files in the lines, as the journal writes them (docs/privacy.md).
    masker: createMasker(config.config.privacy, privacyHashKey(config.config.security.secret_key ?? process.env.BRIDGE_SECRET_KEY)),
    format: chooseLogFormat({ configured: config.config.log_format, sandbox: config.mode === 'sandbox', stdoutIsTty: process.stdout.isTTY === true }),
  });
  if (config.mode === 'production') {
    // The admin UI's Setup page writes CONFIG_FILE and reloads it as SIGHUP does (the watch is made just below).
    let watch: ConfigWatch | null = null;
    const configSource = {
      file: process.env.CONFIG_FILE?.trim() || null, env: process.env,
      reload: (why: string) => (watch ? watch.reloadNow(why) : Promise.resolve({ applied: false as const, errors: ['the bridge is still starting'] })),
    };
    const bridge = await startBridge(config.config, { clock: systemClock, host: config.config.server.host, logger, configDir: configDirOf(process.env), configSource });
    const publicUrl = config.config.server.public_url ?? bridge.url;
    console.log(`Мост запущен: ${bridge.url}. Bridge running.`);
    for (const p of config.config.portals) console.log(`  Установка приложения на портале «${p.id}»: ${publicUrl}/bitrix24/install/${p.id}`);
    // SIGHUP or a changed CONFIG_FILE: routes, bots and portals reloaded without a restart (config-reload.ts).
    watch = watchConfig({
      load: loadConfigFromProcess, apply: (next) => bridge.reload(next), log: logger.child({ component: 'config' }), file: process.env.CONFIG_FILE?.trim() || undefined,
    });
    const stopBridge = (): void => {
      watch?.stop();
      void bridge.close().then(() => process.exit(0), (err: unknown) => {
        logger.error({ err }, 'stopping the bridge failed');
        process.exit(1);
      });
    };
    process.once('SIGTERM', stopBridge);
    process.once('SIGINT', stopBridge);
    return;
  }
  const sandbox = await startSandboxWithBridge({ logger, adminUser: true });
  console.log(sandboxBanner(sandbox));
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'stopping the sandbox failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
