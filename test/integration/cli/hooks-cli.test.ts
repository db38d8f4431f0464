/**
 * `npm run bridge -- hooks …` (src/cli/hooks.ts): bad input is refused with exit 2 and a
 * message naming the fix, before any store is opened; with a configured webhook, `hooks webhooks`
 * lists it with its counts and `hooks deliveries` reads the (empty) log.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'hooks', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

test('hooks: bad input names the fix and exits 2', () => {
  const unknown = run(['deliverys']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /did you mean "hooks deliveries"\?/);
  const state = run(['deliveries', '--state', 'lost']);
  assert.equal(state.status, 2);
  assert.match(state.stderr, /--state lost: must be pending, delivered or failed/);
  const limit = run(['deliveries', '--limit', '0']);
  assert.equal(limit.status, 2);
  assert.match(limit.stderr, /--limit 0: must be a whole number from 1 to 1000/);
  const type = run(['deliveries', '--type', 'message.sent']);
  assert.equal(type.status, 2);
  assert.match(type.stderr, /--type message\.sent: must be one of conversation\.started/);
});

test('hooks webhooks lists a configured webhook with its counts; deliveries reads the log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooks-cli-'));
  try {
    const env = {
      DATABASE_URL: join(dir, 'bridge.sqlite'), BRIDGE_SECRET_KEY: 'hooks-cli-secret-key-0123456789',
    };
    // The sandbox configuration plus one webhook, through a YAML file.
    const file = join(dir, 'config.yaml');
    spawnSync(process.execPath, ['-e', `require('node:fs').writeFileSync(${JSON.stringify(file)}, 'hooks:\\n  webhooks:\\n    - name: erp\\n      url: https://erp.example.ru/max-events?token=abc\\n      secret: erp-secret-0123456789abcdef\\n')`]);
    const listed = run(['webhooks', '--json'], { ...env, CONFIG_FILE: file });
    assert.equal(listed.status, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as Array<{ name: string; url: string; pending: number; failed: number }>;
    assert.deepEqual(rows.map((r) => r.name), ['erp']);
    assert.ok(!rows[0]!.url.includes('abc'), 'a query value is hidden');
    assert.equal(rows[0]!.pending, 0);
    const log = run(['deliveries'], { ...env, CONFIG_FILE: file });
    assert.equal(log.status, 0, log.stderr);
    assert.match(log.stdout, /Доставок нет\. No deliveries\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
