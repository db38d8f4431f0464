import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { issueServerCertificate, makeTestCa } from '../../helpers/tls-certificates.ts';

const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/check-config.ts'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });

test('check-config: OK in the sandbox, every error listed and exit 1 otherwise', () => {
  const ok = run({});
  assert.equal(ok.status, 0);
  assert.match(ok.stdout, /Конфигурация в порядке/);
  const bad = run({ MAX_BOT_TOKEN: 'token-0123456789', PORT: '99999' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /server\.port \(env PORT\)/);
  assert.ok(!bad.stderr.includes('token-0123456789'), 'no secret echoed');
});

test('check-config: config/example.yaml with its variables set is OK in production; problems go to stderr with exit 1', () => {
  const secrets = {
    BRIDGE_SECRET_KEY: 'k'.repeat(32), ADMIN_TOKEN: 'a'.repeat(24), BITRIX24_CLIENT_ID: 'app', BITRIX24_CLIENT_SECRET: 'app-secret',
    METRICS_TOKEN: 'm'.repeat(24), MAX_SUPPORT_BOT_TOKEN: 'support-token-0123456789', MAX_SUPPORT_WEBHOOK_SECRET: 'support_secret', MAX_SALES_BOT_TOKEN: 'sales-token-0123456789',
    BITRIX24_MSK_CLIENT_ID: 'msk-app', BITRIX24_MSK_CLIENT_SECRET: 'msk-secret',
    ERP_WEBHOOK_SECRET: 'e'.repeat(32), ANTIFRAUD_SECRET: 'f'.repeat(32),
  };
  const ok = run({ CONFIG_FILE: 'config/example.yaml', ...secrets });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Конфигурация в порядке \(рабочий режим: ботов 2, порталов 2, маршрутов 10/);
  assert.equal(ok.stderr, '', 'no warnings for the variables the file refers to');
  const bad = run({ CONFIG_FILE: 'config/example.yaml', ...secrets, MAX_SALES_BOT_TOKEN: '' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /Конфигурация содержит ошибки \(1\)/);
  assert.match(bad.stderr, /bots\[1\]\.token \(line \d+\): refers to \$\{MAX_SALES_BOT_TOKEN\}, which is not set; fix: export MAX_SALES_BOT_TOKEN/);
});

test('check-config: the built-in HTTPS pair is read as `npm start` reads it: an unusable one is an error, what MAX would refuse a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'check-config-tls-'));
  try {
    const ca = await makeTestCa();
    const good = await issueServerCertificate(ca, ['bridge.example.ru']);
    const other = await issueServerCertificate(ca, ['bridge.example.ru']);
    writeFileSync(join(dir, 'fullchain.pem'), good.fullchain);
    writeFileSync(join(dir, 'cert.pem'), good.cert);
    writeFileSync(join(dir, 'privkey.pem'), good.key);
    writeFileSync(join(dir, 'other-key.pem'), other.key);
    const production = {
      MAX_BOT_TOKEN: 'token-0123456789', BITRIX24_CLIENT_ID: 'app', BITRIX24_CLIENT_SECRET: 'app-secret', BRIDGE_SECRET_KEY: 'k'.repeat(32),
      PUBLIC_URL: 'https://bridge.example.ru', TLS_KEY_FILE: join(dir, 'privkey.pem'),
    };
    const ok = run({ ...production, TLS_CERT_FILE: join(dir, 'fullchain.pem') });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stderr, '');
    assert.ok(ok.stdout.includes(`SHA-256 ${good.fingerprint256}`), ok.stdout);
    const alone = run({ ...production, TLS_CERT_FILE: join(dir, 'cert.pem') });
    assert.equal(alone.status, 0, alone.stderr);
    assert.match(alone.stderr, /server\.tls\.cert_file: the file holds the certificate alone, without the chain/);
    const mismatched = run({ ...production, TLS_CERT_FILE: join(dir, 'fullchain.pem'), TLS_KEY_FILE: join(dir, 'other-key.pem') });
    assert.equal(mismatched.status, 1);
    assert.match(mismatched.stderr, /server\.tls\.key_file: the private key in ".*other-key\.pem" does not belong to the certificate/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
