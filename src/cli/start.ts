/**
 * `npm start`. With nothing configured it starts the sandbox (both emulators
 * and their pages); with MAX_BOT_TOKEN and BITRIX24_CLIENT_ID set it runs the
 * bridge for real.
 */
import { sandboxBanner, startSandbox } from './sandbox.ts';

async function main(): Promise<void> {
  const configured = Boolean(process.env.MAX_BOT_TOKEN || process.env.BITRIX24_CLIENT_ID || process.env.CONFIG_FILE);
  if (configured) {
    console.error(
      'Рабочий режим моста ещё не собран в этой версии: уберите MAX_BOT_TOKEN, BITRIX24_CLIENT_ID и CONFIG_FILE, ' +
        'чтобы запустить песочницу.\nProduction mode is not available in this build yet; unset MAX_BOT_TOKEN, ' +
        'BITRIX24_CLIENT_ID and CONFIG_FILE to run the sandbox.',
    );
    process.exit(1);
  }
  const sandbox = await startSandbox();
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
