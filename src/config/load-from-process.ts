/** loadConfig over the real process environment and file system, and how the CLIs print its result. */
import { readFileSync } from 'node:fs';
import { loadConfig, type LoadResult } from './load.ts';

export function loadConfigFromProcess(): LoadResult {
  return loadConfig(process.env, (path) => readFileSync(path, 'utf8'));
}

export function formatConfigErrors(errors: string[]): string {
  return [
    `Конфигурация содержит ошибки (${errors.length}) / The configuration has ${errors.length} error(s):`,
    ...errors.map((e) => `  - ${e}`),
    'Все ключи и переменные / every key and variable: docs/configuration.md, config/example.yaml',
  ].join('\n');
}

export function formatConfigWarnings(warnings: string[]): string {
  return ['Предупреждения / Warnings:', ...warnings.map((w) => `  - ${w}`)].join('\n');
}
