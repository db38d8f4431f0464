/**
 * The sandbox: both emulators on loopback so that a newcomer can play with the
 * product without a real MAX bot or Bitrix24 portal. Preferred ports are tried
 * first (3001 MAX, 3002 Bitrix24 OAuth/control, 3003 portal), any free port
 * otherwise.
 */
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import { startMaxEmulator, type MaxEmulator } from '../../emulators/max/index.ts';
import { startBridge, type Bridge } from '../runtime/start-bridge.ts';
import { configSchema } from '../config/schema.ts';
import { systemClock } from '../domain/clock.ts';
import type { Logger } from '../log/logger.ts';
import { hashPassword, randomPassword } from '../admin/password.ts';

export const SANDBOX_BOT_TOKEN = 'sandbox-bot-token';
export const SANDBOX_APP = { clientId: 'local.sandbox.bridge', clientSecret: 'sandbox-client-secret' };

export interface Sandbox {
  max: MaxEmulator;
  bitrix24: Bitrix24Emulator;
  bridge?: Bridge;
  /** The admin UI's first user, made by the sandbox (`adminUser: true`) when the store had none: its password is shown once. */
  admin?: { url: string; username: string; password: string };
  close(): Promise<void>;
}

/** Sandbox-only secrets: the sandbox talks to nothing but its own emulators on loopback. */
const SANDBOX_SECRET_KEY = 'sandbox-only-secret-key-not-for-production';
const SANDBOX_WEBHOOK_SECRET = 'sandbox_webhook_secret';
/** Reads the sandbox bridge's /metrics (Authorization: Bearer …). */
export const SANDBOX_METRICS_TOKEN = 'sandbox-metrics-token';

async function portFor(preferred: number): Promise<number> {
  const tryPort = (port: number) => new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  return tryPort(preferred).catch(() => tryPort(0)); // taken: any free port (the banner prints which)
}

/**
 * The whole sandbox: both emulators and the bridge wired to them. The app is
 * installed on the emulated portal (ONAPPINSTALL → the bridge), which then sets
 * up the connector; the bot's webhook points at the bridge.
 */
export async function startSandboxWithBridge(options: {
  preferredPorts?: boolean; dataDir?: string; databaseUrl?: string;
  /** How the app gets installed: the ONAPPINSTALL event (default), the install page flow, or not at all (tests drive it). */
  install?: 'event' | 'page' | 'none';
  /** The process logger (`npm start` makes it); none: the bridge logs nothing (tests). */
  logger?: Logger;
  /** With no admin UI user yet, make `admin` with a random password (`npm start` does; its banner shows them once). */
  adminUser?: boolean;
} = {}): Promise<Sandbox> {
  const sandbox = await startSandbox({ preferredPorts: options.preferredPorts });
  const port = await portFor(options.preferredPorts === false ? 0 : 3000);
  // The emulators start empty each time, so the sandbox's store does too.
  const databaseFile = join(options.dataDir ?? '.data', 'sandbox.sqlite');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${databaseFile}${suffix}`, { force: true });
  const publicUrl = `http://127.0.0.1:${port}`;
  const config = configSchema.parse({
    server: { port, public_url: publicUrl },
    database: { url: options.databaseUrl ?? databaseFile },
    security: { secret_key: SANDBOX_SECRET_KEY, metrics_token: SANDBOX_METRICS_TOKEN },
    bots: [{ id: 'sandbox', token: SANDBOX_BOT_TOKEN, webhook_secret: SANDBOX_WEBHOOK_SECRET, api_url: sandbox.max.baseUrl }],
    portals: [{ id: 'sandbox', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
    routes: [{ bot: '*', portal: 'sandbox' }],
  });
  const bridge = await startBridge(config, { clock: systemClock, logger: options.logger, mode: 'sandbox' });
  const install = options.install ?? 'event';
  if (install !== 'none') {
    const res = await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/install`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: SANDBOX_APP.clientId, handlerUrl: `${publicUrl}/bitrix24/install${install === 'event' ? '/sandbox' : ''}`, mode: install }),
    });
    const handlerStatus = res.ok ? ((await res.json()) as { status?: number | null }).status : res.status;
    if (handlerStatus !== 200) throw new Error(`sandbox: installing the app on the emulated portal failed (${String(handlerStatus)})`);
    // The install page's BX24.installFinish(), as the admin's browser would run it.
    if (install === 'page') {
      await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/install-finish`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientId: SANDBOX_APP.clientId }),
      });
    }
  }
  const admin = options.adminUser && (await bridge.store.adminUsers.count()) === 0 ? await firstAdmin(bridge) : undefined;
  return {
    ...sandbox,
    bridge,
    ...(admin ? { admin } : {}),
    async close() {
      await bridge.close();
      await sandbox.close();
    },
  };
}

/** The sandbox's admin UI user: `admin` with a random password (the sandbox's store starts empty each time). */
async function firstAdmin(bridge: Bridge): Promise<NonNullable<Sandbox['admin']>> {
  const password = randomPassword();
  await bridge.store.adminUsers.add('admin', 'admin', await hashPassword(password));
  return { url: `${bridge.url}/admin/`, username: 'admin', password };
}

async function withFallback<T>(start: (port: number) => Promise<T>, port: number): Promise<T> {
  try {
    return await start(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return start(0);
  }
}

export async function startSandbox(options: {
  host?: string; preferredPorts?: boolean;
  /** MAX's durations (webhook retries, the 8-hour give-up) scaled, for tests. */
  maxTimeFactor?: number;
  /** The portal's durations (token lifetime, the CRM tracker's lag) scaled, for tests. */
  bitrix24TimeFactor?: number;
} = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const preferred = options.preferredPorts ?? true;
  const max = await withFallback(
    (port) => startMaxEmulator({ host, port, bots: [{ token: SANDBOX_BOT_TOKEN, name: 'Бот компании' }], attachmentNotReadyMs: 500, timeFactor: options.maxTimeFactor ?? 1, webhookTimeoutMs: 30_000 / (options.maxTimeFactor ?? 1) }),
    preferred ? 3001 : 0,
  );
  const bitrix24 = await withFallback(
    (port) => startBitrix24Emulator({ host, port, portalPorts: port ? [3003] : [0], apps: [SANDBOX_APP], timeFactor: options.bitrix24TimeFactor ?? 1 }),
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
    ...(sandbox.bridge ? [
      `  Мост (API, вебхуки):            ${sandbox.bridge.url} (готовность: ${sandbox.bridge.url}/ready)`,
      `  Метрики Prometheus:             ${sandbox.bridge.url}/metrics (заголовок Authorization: Bearer ${SANDBOX_METRICS_TOKEN})`,
    ] : []),
    ...(sandbox.admin ? [
      `  Админка (веб-интерфейс):        ${sandbox.admin.url} — пользователь ${sandbox.admin.username}, пароль ${sandbox.admin.password} (показан один раз)`,
      `  Admin UI:                       ${sandbox.admin.url} — user ${sandbox.admin.username}, password ${sandbox.admin.password} (shown once)`,
    ] : []),
    '',
    'Напишите боту на странице клиента — сообщение появится в Открытой линии на странице оператора.',
    '',
    'Остановить: Ctrl+C. Документация: docs/emulators.md.',
  ].join('\n');
}
