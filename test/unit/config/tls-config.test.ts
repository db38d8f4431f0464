/**
 * server.tls (built-in HTTPS, docs/tls.md): both files from env or the file, or neither (plain
 * HTTP behind a reverse proxy); one without the other is refused, naming the missing key, its
 * variable and the fix. The files themselves are read at start (test/unit/http/tls-certificate.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { errorFor, errorsOf, fileOf, noFile, okConfig, PROD_ENV } from './helpers.ts';

test('off by default; TLS_CERT_FILE and TLS_KEY_FILE turn it on', () => {
  assert.deepEqual(okConfig(loadConfig({ ...PROD_ENV }, noFile)).config.server.tls, { cert_file: null, key_file: null });
  const on = okConfig(loadConfig({ ...PROD_ENV, TLS_CERT_FILE: '/etc/bridge/fullchain.pem', TLS_KEY_FILE: '/etc/bridge/privkey.pem' }, noFile));
  assert.deepEqual(on.config.server.tls, { cert_file: '/etc/bridge/fullchain.pem', key_file: '/etc/bridge/privkey.pem' });
  assert.deepEqual(on.warnings, [], 'known variables');
});

test('the file: server.tls with both keys; null for neither', () => {
  const yaml = (cert: string, key: string) => ['server:', '  public_url: https://bridge.example.ru', '  tls:', `    cert_file: ${cert}`, `    key_file: ${key}`].join('\n');
  const on = okConfig(loadConfig({ ...PROD_ENV, CONFIG_FILE: 'b.yaml' }, fileOf(yaml('tls/fullchain.pem', 'tls/privkey.pem'))));
  assert.equal(on.config.server.tls.cert_file, 'tls/fullchain.pem');
  assert.equal(okConfig(loadConfig({ ...PROD_ENV, CONFIG_FILE: 'b.yaml' }, fileOf(yaml('null', 'null')))).config.server.tls.key_file, null);
});

test('one file without the other is refused with the missing key, its variable and the fix', () => {
  const line = errorFor(errorsOf(loadConfig({ ...PROD_ENV, TLS_CERT_FILE: '/etc/bridge/fullchain.pem' }, noFile)), 'server.tls.key_file');
  assert.match(line, /is missing while server\.tls\.cert_file is set: built-in HTTPS needs both files; fix: set both \(env TLS_CERT_FILE and TLS_KEY_FILE\), or neither/);
  errorFor(errorsOf(loadConfig({ ...PROD_ENV, TLS_KEY_FILE: '/etc/bridge/privkey.pem' }, noFile)), 'server.tls.cert_file');
});

test('with server.tls on, an http:// PUBLIC_URL is refused: the port speaks HTTPS only', () => {
  const tls = { TLS_CERT_FILE: '/etc/bridge/fullchain.pem', TLS_KEY_FILE: '/etc/bridge/privkey.pem' };
  const line = errorFor(errorsOf(loadConfig({ ...PROD_ENV, ...tls, PUBLIC_URL: 'http://127.0.0.1:3000' }, noFile)), 'server.public_url');
  assert.match(line, /\(env PUBLIC_URL\): is http:\/\/, but with server\.tls set the bridge's port serves HTTPS only; fix: write https:\/\//);
  okConfig(loadConfig({ ...PROD_ENV, ...tls, PUBLIC_URL: 'https://127.0.0.1:3000' }, noFile));
});
