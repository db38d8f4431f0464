/** loadConfig over the real process environment and file system. */
import { readFileSync } from 'node:fs';
import { loadConfig, type LoadResult } from './load.ts';

export function loadConfigFromProcess(): LoadResult {
  return loadConfig(process.env, (path) => readFileSync(path, 'utf8'));
}

export function formatConfigErrors(errors: string[]): string {
  return ['Конфигурация содержит ошибки / The configuration has errors:', ...errors.map((e) => `  - ${e}`)].join('\n');
}
