/**
 * `npm run emulator -- max|bitrix24 [options]`: starts one emulator alone,
 * prints its base URL and control URL, and stops cleanly on SIGTERM/SIGINT.
 *
 *   --port N          listening port (default 0: any free port)
 *   --host H          default 127.0.0.1
 *   --tls             serve HTTPS with the self-signed certificate in .data/tls/
 *   --time-factor F   scale real-world durations (default 1)
 *   --token T         MAX: the bot token (default max-emulator-token)
 */
import { parseArgs } from 'node:util';
import { startBitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import { startMaxEmulator } from '../../emulators/max/index.ts';

const USAGE = 'usage: npm run emulator -- max|bitrix24 [--port N] [--host H] [--tls] [--time-factor F] [--token T]';

function fail(message: string): never {
  console.error(`emulator: ${message}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      tls: { type: 'boolean', default: false },
      'time-factor': { type: 'string', default: '1' },
      token: { type: 'string', default: 'max-emulator-token' },
    },
  });
  const port = Number(values.port);
  const timeFactor = Number(values['time-factor']);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`--port must be 0..65535, got ${values.port}`);
  if (!(timeFactor > 0)) fail(`--time-factor must be a positive number, got ${values['time-factor']}`);
  const kind = positionals[0];
  let close: () => Promise<void>;
  if (kind === 'max') {
    const emu = await startMaxEmulator({ host: values.host, port, tls: values.tls, timeFactor, bots: [{ token: values.token }] });
    console.log(`MAX emulator: base URL ${emu.baseUrl}`);
    console.log(`MAX emulator: control URL ${emu.controlUrl}`);
    console.log(`MAX emulator: client page ${emu.controlUrl}/ui`);
    close = () => emu.close();
  } else if (kind === 'bitrix24') {
    const emu = await startBitrix24Emulator({ host: values.host, port, tls: values.tls, timeFactor });
    console.log(`Bitrix24 emulator: portal base URL ${emu.portals[0]?.baseUrl}`);
    console.log(`Bitrix24 emulator: OAuth server ${emu.oauthUrl}`);
    console.log(`Bitrix24 emulator: control URL ${emu.controlUrl}`);
    console.log(`Bitrix24 emulator: operator page ${emu.controlUrl}/ui`);
    close = () => emu.close();
  } else {
    fail(kind ? `unknown emulator "${kind}"` : 'which emulator?');
  }
  const stop = (): void => {
    void close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`emulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
