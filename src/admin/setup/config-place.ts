/**
 * Where the configuration lives, as the Setup page sees it: CONFIG_FILE that the bridge may
 * write (a bot added there), CONFIG_FILE that it may not (a read-only mount, or a file whose
 * write bits the operator took away: the YAML to paste is shown instead), or environment
 * variables alone (no file: the YAML of a new file is shown). A file with no write bit for
 * anyone counts as read-only even for root: that is the operator's intent.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';

export type ConfigPlace =
  | { kind: 'file'; path: string; writable: boolean }
  | { kind: 'env' };

export function configPlaceOf(configFile: string | null | undefined): ConfigPlace {
  const file = configFile?.trim();
  if (!file) return { kind: 'env' };
  const path = resolve(file);
  let writable: boolean;
  try {
    writable = (statSync(path).mode & 0o222) !== 0;
    accessSync(path, constants.W_OK);
  } catch {
    writable = false; // missing, not ours, or a read-only file system
  }
  return { kind: 'file', path, writable };
}

/**
 * The variable a bot's token is read from (`${MAX_BOT_TOKEN_SUPPORT}` for bot `support`): one
 * that neither the environment nor the file uses for something else.
 */
export function tokenVariableFor(botId: string, token: string, env: Record<string, string | undefined>, fileText: string): string {
  const base = `MAX_BOT_TOKEN_${botId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const free = (name: string) => (env[name] === undefined || env[name] === token) && !fileText.includes(`\${${name}}`);
  if (free(base)) return base;
  for (let n = 2; ; n++) if (free(`${base}_${n}`)) return `${base}_${n}`;
}
