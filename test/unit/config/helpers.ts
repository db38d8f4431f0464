/** Shared inputs for the configuration tests. */
import assert from 'node:assert/strict';
import type { LoadResult } from '../../../src/config/load.ts';

export const noFile = (): string => {
  throw new Error('ENOENT: no such file');
};

export const fileOf = (text: string) => (): string => text;

/** A complete production setup from env variables only. */
export const PROD_ENV = {
  MAX_BOT_TOKEN: 'max-token-0123456789',
  BITRIX24_CLIENT_ID: 'local.0123456789abcd.12345678',
  BITRIX24_CLIENT_SECRET: 'client-secret-value',
  BRIDGE_SECRET_KEY: 'a-very-long-secret-key-000',
  PUBLIC_URL: 'https://bridge.example.ru',
} as const;

export function errorsOf(result: LoadResult): string[] {
  assert.equal(result.ok, false, 'expected configuration errors');
  return result.ok ? [] : result.errors;
}

export function okConfig(result: LoadResult) {
  assert.ok(result.ok, `expected a valid configuration, got:\n${result.ok ? '' : result.errors.join('\n')}`);
  return result;
}

/** The single error line that mentions `key`, failing when there is none. */
export function errorFor(errors: string[], key: string): string {
  const line = errors.find((e) => e.startsWith(key));
  assert.ok(line, `no error for ${key} in:\n${errors.join('\n')}`);
  return line;
}
