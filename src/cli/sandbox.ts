/**
 * The sandbox: both emulators on loopback so that a newcomer can play with the
 * product without a real MAX bot or Bitrix24 portal. Preferred ports are tried
 * first (3001 MAX, 3002 Bitrix24 OAuth/control, 3003 portal), any free port
 * otherwise.
 */
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import { startMaxEmulator, type MaxEmulator } from '../../emulators/max/index.ts';

export const SANDBOX_BOT_TOKEN = 'sandbox-bot-token';
export const SANDBOX_APP = { clientId: 'local.sandbox.bridge', clientSecret: 'sandbox-client-secret' };

export interface Sandbox {
  max: MaxEmulator;
  bitrix24: Bitrix24Emulator;
  close(): Promise<void>;
}

async function withFallback<T>(start: (port: number) => Promise<T>, port: number): Promise<T> {
  try {
    return await start(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return start(0);
  }
}

export async function startSandbox(options: { host?: string; preferredPorts?: boolean } = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const preferred = options.preferredPorts ?? true;
  const max = await withFallback(
    (port) => startMaxEmulator({ host, port, bots: [{ token: SANDBOX_BOT_TOKEN, name: 'Бот компании' }], attachmentNotReadyMs: 500 }),
    preferred ? 3001 : 0,
  );
  const bitrix24 = await withFallback(
    (port) => startBitrix24Emulator({ host, port, portalPorts: port ? [3003] : [0], apps: [SANDBOX_APP] }),
    preferred ? 3002 : 0,
  );
  return {
    max,
    bitrix24,
    async close() {
      await Promise.all([max.close(), bitrix24.close()]);
    },
  };
}

export function sandboxBanner(sandbox: Sandbox): string {
  return [
    'Песочница запущена: настоящие MAX и Битрикс24 не нужны.',
    '',
    `  Клиент MAX (страница):          ${sandbox.max.controlUrl}/ui`,
    `  Оператор Битрикс24 (страница):  ${sandbox.bitrix24.controlUrl}/ui`,
    '',
    `  Эмулятор MAX Bot API:           ${sandbox.max.baseUrl} (токен бота: ${SANDBOX_BOT_TOKEN})`,
    `  Эмулятор портала Битрикс24:     ${sandbox.bitrix24.portals[0]?.baseUrl}/rest/`,
    '',
    'Остановить: Ctrl+C. Документация: docs/emulators.md.',
  ].join('\n');
}
