/**
 * `npm run bridge -- user …` (src/cli/user.ts): bad input is refused with exit 2 and a message
 * naming the fix, before any store is opened; users are added (password from stdin, stored as a
 * scrypt hash), listed, given a new password, unlocked and removed in the store the configuration
 * names; the command appears in `help`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { verifyPassword } from '../../../src/admin/password.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { openStore } from '../../../src/store/open-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'user-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { DATABASE_URL: join(dir, 'bridge.sqlite'), BRIDGE_SECRET_KEY: 'user-cli-secret-key-0123456789' };

const run = (args: string[], input = '', extraEnv: Record<string, string> = env) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', ...args], { encoding: 'utf8', input, env: { PATH: process.env.PATH ?? '', ...extraEnv } });
const user = (args: string[], input = '') => run(['user', ...args], input);

test('user: bad input names the fix and exits 2, opening no store', () => {
  const cases: Array<[string[], string, RegExp]> = [
    [['ad', 'anna'], '', /did you mean "user add"\?/],
    [[], '', /which subcommand\?/],
    [['add', 'anna'], 'long-enough-password', /add needs --role admin or --role viewer/],
    [['add', 'anna', '--role', 'owner'], 'long-enough-password', /--role owner: must be admin or viewer/],
    [['add', 'anna', '--role', 'admin'], 'short', /shorter than 10 characters; fix: choose a longer password/],
    [['add', 'анна мария', '--role', 'admin'], 'long-enough-password', /is not a user name: 1–64 letters/],
    [['passwd', 'anna', '--role', 'viewer'], 'long-enough-password', /--role is for add only/],
    [['remove'], '', /remove needs a user name; fix: npm run bridge -- user remove <name>/],
    [['unlock', 'anna', '--password-stdin'], '', /--password-stdin is for add and passwd only/],
  ];
  for (const [args, input, message] of cases) {
    const res = user(args, input);
    assert.equal(res.status, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, message);
  }
  assert.equal(existsSync(env.DATABASE_URL), false, 'no store was opened');
  const help = run(['help']);
  assert.match(help.stdout, /user add\|list\|passwd\|remove\|unlock/);
});

test('user add, list, passwd, unlock, remove', async () => {
  const added = user(['add', 'anna', '--role', 'admin', '--password-stdin'], 'первый-пароль-123\n');
  assert.equal(added.status, 0, added.stderr);
  assert.match(added.stdout, /added: anna \(admin\)/);
  assert.equal(user(['add', 'victor', '--role', 'viewer'], 'viewer-password-1').status, 0);
  const again = user(['add', 'anna', '--role', 'viewer'], 'another-password');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /"anna" exists; fix: npm run bridge -- user passwd anna/);
  const listed = user(['list', '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as Array<{ username: string; role: string; locked_until: string | null }>;
  assert.deepEqual(rows.map((r) => [r.username, r.role]), [['anna', 'admin'], ['victor', 'viewer']]);
  assert.doesNotMatch(listed.stdout, /scrypt/, 'no hash is shown');

  const readHash = async () => {
    const store = await openStore({ databaseUrl: env.DATABASE_URL, secretKey: env.BRIDGE_SECRET_KEY, clock: systemClock });
    try {
      return (await store.adminUsers.get('anna'))!;
    } finally {
      await store.close();
    }
  };
  const first = await readHash();
  assert.match(first.passwordHash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.equal(await verifyPassword('первый-пароль-123', first.passwordHash), true, 'the trailing newline is not part of the password');
  assert.equal(await verifyPassword('первый-пароль-12', first.passwordHash), false);

  // A lock (as five wrong passwords leave it) is lifted by unlock.
  const store = await openStore({ databaseUrl: env.DATABASE_URL, secretKey: env.BRIDGE_SECRET_KEY, clock: systemClock });
  await store.adminUsers.recordFailure('anna', 1, Date.now() + 60_000);
  await store.close();
  assert.match(user(['list']).stdout, /anna\tadmin\t.*locked until/);
  assert.equal(user(['unlock', 'anna']).status, 0);
  assert.doesNotMatch(user(['list']).stdout, /locked until/);

  assert.equal(user(['passwd', 'anna'], 'второй-пароль-456').status, 0);
  assert.equal(await verifyPassword('второй-пароль-456', (await readHash()).passwordHash), true);
  const missing = user(['passwd', 'nobody'], 'password-for-nobody');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no user "nobody"; fix: see npm run bridge -- user list/);

  assert.equal(user(['remove', 'victor']).status, 0);
  assert.equal(user(['remove', 'victor']).status, 1);
  assert.deepEqual((JSON.parse(user(['list', '--json']).stdout) as Array<{ username: string }>).map((r) => r.username), ['anna']);
});
