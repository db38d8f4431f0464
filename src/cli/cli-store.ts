/**
 * What the data commands (journal, purge, erase, export) start from: the configuration as
 * the bridge loads it (CONFIG_FILE, the environment), and the store it names, opened with
 * the same BRIDGE_SECRET_KEY. A configuration error or a missing key is printed with its
 * fix and ends the command with exit 2, before anything is opened.
 */
import type { BridgeConfigData as BridgeConfig } from '../config/schema.ts';
import { formatConfigErrors, loadConfigFromProcess } from '../config/load-from-process.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import { openStore, type Store } from '../store/open-store.ts';

export type CliStore = { ok: true; config: BridgeConfig; store: Store } | { ok: false; exitCode: 2 };

export async function openCliStore(command: string, options: { clock?: Clock } = {}): Promise<CliStore> {
  const loaded = loadConfigFromProcess();
  if (!loaded.ok) {
    console.error(formatConfigErrors(loaded.errors));
    return { ok: false, exitCode: 2 };
  }
  const secretKey = loaded.config.security.secret_key ?? process.env.BRIDGE_SECRET_KEY;
  if (!secretKey) {
    console.error(`${command}: не задан BRIDGE_SECRET_KEY / BRIDGE_SECRET_KEY is not set; fix: set the same key the bridge runs with`);
    return { ok: false, exitCode: 2 };
  }
  const store = await openStore({ databaseUrl: loaded.config.database.url, secretKey, clock: options.clock ?? systemClock });
  return { ok: true, config: loaded.config, store };
}
