import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

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
