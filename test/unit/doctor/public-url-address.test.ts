/**
 * `public_url.address` from the configuration alone: MAX delivers webhooks only to https on
 * port 443 with no port in the address — "not on 443" and "not https" are findings of their
 * own, with the fix; a loopback address is an emulator's set-up (skipped, saying what
 * production needs); bots that poll need no address MAX can reach.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../../../src/config/schema.ts';
import { diagnose } from '../../../src/cli/doctor.ts';
import { publicUrlAddressCheck } from '../../../src/doctor/checks/public-url-address.ts';
import { exitCodeOf } from '../../../src/doctor/result.ts';

/**
 * The configuration loader refuses most of these addresses already (check-config names them);
 * the doctor says the same of a configuration built otherwise, so they are set after parsing.
 */
const configWith = (publicUrl: string, updates: 'webhook' | 'polling' = 'webhook') => {
  const config = configSchema.parse({
    server: { public_url: 'https://bridge.example.ru' }, security: { secret_key: 'unit-test-secret-key-0123456789' },
    bots: [{ id: 'main', token: 'token-main-0123456789', updates }], portals: [{ id: 'p', client_id: 'local.x', client_secret: 'secret' }],
  });
  return { ...config, server: { ...config.server, public_url: publicUrl } };
};

test('https on 443 with no port: ok', () => {
  const r = publicUrlAddressCheck(configWith('https://bridge.example.ru'));
  assert.equal(r.status, 'ok');
  assert.equal(r.id, 'public_url.address');
});

test('https on another port: "not on 443" fails with the fix, naming the bots that get nothing', () => {
  const r = publicUrlAddressCheck(configWith('https://bridge.example.ru:8443'));
  assert.equal(r.status, 'fail');
  assert.match(r.problem.ru, /не на порту 443 \(порт 8443\)/);
  assert.match(r.problem.en, /not on port 443 \(port 8443\).*bots main get no updates/);
  assert.match(r.fix.ru, /уберите порт из PUBLIC_URL/);
  assert.match(r.fix.en, /drop the port from PUBLIC_URL/);
});

test('plain http fails: MAX delivers over https only', () => {
  const r = publicUrlAddressCheck(configWith('http://bridge.example.ru'));
  assert.equal(r.status, 'fail');
  assert.match(r.problem.en, /MAX delivers webhooks over https only/);
  assert.match(r.fix.en, /reverse proxy/);
});

test('a loopback address is skipped, with what production needs', () => {
  for (const url of ['https://127.0.0.1:8443', 'http://localhost:3000']) {
    const r = publicUrlAddressCheck(configWith(url));
    assert.equal(r.status, 'skip', url);
    assert.match(r.problem.en, /Production needs a public https address on port 443/);
  }
});

test('bots that poll: an https address on any port is fine; plain http only warns', () => {
  assert.equal(publicUrlAddressCheck(configWith('https://bridge.example.ru:8443', 'polling')).status, 'ok');
  const http = publicUrlAddressCheck(configWith('http://bridge.example.ru', 'polling'));
  assert.equal(http.status, 'warn');
  assert.match(http.problem.en, /travel unencrypted/);
});

test('through the CLI\'s path, a PUBLIC_URL with a port is a configuration failure naming 443 and the fix; nothing else runs; exit 1', async () => {
  const report = await diagnose({ env: {
    MAX_BOT_TOKEN: 'token-main-0123456789', BITRIX24_CLIENT_ID: 'local.x', BITRIX24_CLIENT_SECRET: 'secret',
    BRIDGE_SECRET_KEY: 'unit-test-secret-key-0123456789', PUBLIC_URL: 'https://bridge.example.ru:8443',
  } });
  assert.deepEqual(report.results.map((r) => [r.id, r.status]), [['config', 'fail'], ['doctor', 'skip']]);
  assert.match(report.results[0]!.problem.en, /port 8443, but MAX delivers webhooks only to port 443/);
  assert.match(report.results[0]!.fix.ru, /docs\/configuration\.md/);
  assert.equal(exitCodeOf(report), 1);
});
