/**
 * `npm start`. With nothing configured it starts the sandbox (both emulators
 * and their pages); with MAX_BOT_TOKEN and BITRIX24_CLIENT_ID set it runs the
 * bridge for real.
 */
import { formatConfigErrors, loadConfigFromProcess } from '../config/load-from-process.ts';
import { sandboxBanner, startSandboxWithBridge } from './sandbox.ts';

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  if (!config.ok) {
    console.error(formatConfigErrors(config.errors));
    process.exit(1);
  }
  if (config.mode === 'production') {
    console.error(
      'Конфигурация в порядке, но рабочий режим (конвейеры MAX ↔ Открытые линии) ещё не собран в этой версии. ' +
        'Уберите MAX_BOT_TOKEN, BITRIX24_CLIENT_ID и CONFIG_FILE, чтобы запустить песочницу.\n' +
        'The configuration is valid, but production mode (the MAX ↔ Open Lines pipelines) is not in this build yet; ' +
        'unset MAX_BOT_TOKEN, BITRIX24_CLIENT_ID and CONFIG_FILE to run the sandbox.',
    );
    process.exit(1);
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
