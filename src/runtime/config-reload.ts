/**
 * Reloading the configuration without a restart: on SIGHUP, and when CONFIG_FILE
 * changes on disk (looked at every `intervalMs`), the file and the environment are
 * read again exactly as at start (src/config/load.ts). A configuration with any
 * problem is refused whole, each problem logged with the same words `check-config`
 * prints, and the running one stays; a valid one is applied by the bridge
 * (`Bridge.reload`: routes, bots, portals). Reloads run one at a time.
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { LoadResult } from '../config/load.ts';
import type { BridgeConfigData } from '../config/schema.ts';
import { codeOf, type Logger } from '../log/logger.ts';
import type { ReloadReport } from './start-bridge.ts';

export interface ConfigReloadDeps {
  /** Reads the configuration as at start (loadConfigFromProcess). */
  load: () => LoadResult;
  apply: (config: BridgeConfigData) => Promise<ReloadReport>;
  log: Logger;
  /** CONFIG_FILE, watched for changes; absent: SIGHUP only. */
  file?: string;
  /** How often the file's modification time is looked at (default 1 s). */
  intervalMs?: number;
  /** Listen for SIGHUP (default true; tests drive reloadNow instead). */
  onSighup?: boolean;
}

export type ReloadOutcome = { applied: true; report: ReloadReport } | { applied: false; errors: string[] };

export interface ConfigWatch {
  /** Reads and applies the configuration now (what SIGHUP and a changed file do). */
  reloadNow(why: string): Promise<ReloadOutcome>;
  stop(): void;
}

export function watchConfig(deps: ConfigReloadDeps): ConfigWatch {
  let chain: Promise<unknown> = Promise.resolve();
  const once = async (why: string): Promise<ReloadOutcome> => {
    const loaded = deps.load();
    if (!loaded.ok) {
      deps.log.error({ why, errors: loaded.errors }, 'the new configuration is refused whole; the running one stays (fix the file; npm run bridge -- check-config shows the same)');
      return { applied: false, errors: loaded.errors };
    }
    if (loaded.mode !== 'production') {
      const errors = ['the new configuration has no bots or no Bitrix24 app (it would be the sandbox); fix: restore them, or restart to run the sandbox'];
      deps.log.error({ why, errors }, 'the new configuration is refused whole; the running one stays');
      return { applied: false, errors };
    }
    const report = await deps.apply(loaded.config);
    return { applied: true, report };
  };
  const reloadNow = (why: string): Promise<ReloadOutcome> => {
    const next = chain.then(() => once(why));
    chain = next.catch((err: unknown) => {
      deps.log.error({ err, code: codeOf(err), why }, 'reloading the configuration failed; the running one stays');
    });
    return next;
  };
  const onSignal = () => void reloadNow('SIGHUP').catch(() => undefined);
  if (deps.onSighup ?? true) process.on('SIGHUP', onSignal);
  const onChange = (current: Stats, previous: Stats) => {
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size) return;
    void reloadNow('CONFIG_FILE changed').catch(() => undefined);
  };
  if (deps.file) watchFile(deps.file, { interval: deps.intervalMs ?? 1_000, persistent: false }, onChange);
  return {
    reloadNow,
    stop() {
      if (deps.onSighup ?? true) process.off('SIGHUP', onSignal);
      if (deps.file) unwatchFile(deps.file, onChange);
    },
  };
}
