/**
 * `npm run bridge -- rotate-key` end to end against a real SQLite store written under
 * key A: exit codes, what it prints (Russian, then English), that a dry run changes
 * nothing, and that no key or token ever reaches the output. The runs that change the
 * store go through `npm run bridge` as a child process; usage and configuration
 * refusals call the same function in this process (a child costs seconds each).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { systemClock } from '../../../src/domain/clock.ts';
import { parseBotId } from '../../../src/domain/ids.ts';
import { rotateKey as rotateKeyCommand } from '../../../src/cli/rotate-key.ts';
import { CryptoBox } from '../../../src/store/crypto-box.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { testEngines } from '../../helpers/databases.ts';

const KEY_A = 'old-secret-key-AAAA-0123456789abcdef';
const KEY_B = 'new-secret-key-BBBB-0123456789abcdef';
const PLAINTEXTS = ['BOT-TOKEN-shop', 'ACCESS-p1', 'REFRESH-p1', 'APP-p1'];

function assertNoSecret(output: string): void {
  for (const secret of [KEY_A, KEY_B, ...PLAINTEXTS]) assert.ok(!output.includes(secret), `the output shows a secret: ${output}`);
}

/** `npm run bridge -- rotate-key <args>` as a child process, with only these variables set. */
function rotateKey(args: string[], env: Record<string, string>) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'rotate-key', ...args], {
    encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env },
  });
  assertNoSecret(`${res.stdout}\n${res.stderr}`);
  return res;
}

const VARIABLES = ['DATABASE_URL', 'BRIDGE_SECRET_KEY', 'BRIDGE_SECRET_KEY_PREVIOUS'];

/** The command's function in this process, with these variables in process.env and its output captured. */
async function rotateKeyHere(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  const saved = { env: VARIABLES.map((name) => [name, process.env[name]] as const), log: console.log, error: console.error };
  const out: string[] = [];
  const err: string[] = [];
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const status = await rotateKeyCommand(args);
    const res = { status, stdout: out.join('\n'), stderr: err.join('\n') };
    assertNoSecret(`${res.stdout}\n${res.stderr}`);
    return res;
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    for (const [name, value] of saved.env) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

test('rotate-key: usage, a refusal without the old key, a dry run, the run, a second run; exit codes 2, 1, 0', async () => {
  const sqlite = testEngines()[0]!;
  const url = await sqlite.createDatabase();
  const seed = await openStore({ databaseUrl: url, secretKey: KEY_A, clock: systemClock });
  await seed.bots.ensurePolling({ id: parseBotId('shop'), name: 'Магазин', token: 'BOT-TOKEN-shop' });
  await seed.portals.upsertInstall({
    portalId: 'p1', memberId: 'member-1', domain: 'p1.bitrix24.ru', accessToken: 'ACCESS-p1', refreshToken: 'REFRESH-p1', expiresAtMs: 1_900_000_000_000,
    clientEndpoint: 'https://p1.bitrix24.ru/rest/', serverEndpoint: 'https://oauth.bitrix24.tech/rest/', applicationToken: 'APP-p1',
  }, 'local.app');
  await seed.close();
  const sealed = async () => {
    const store = await openStore({ databaseUrl: url, secretKey: KEY_B, previousSecretKeys: [KEY_A], clock: systemClock });
    try {
      const bot = await store.db.selectFrom('bots').select(['token_enc']).executeTakeFirstOrThrow();
      const portal = await store.db.selectFrom('portals').select(['application_token_enc', 'access_token_enc', 'refresh_token_enc']).executeTakeFirstOrThrow();
      return [bot.token_enc, portal.application_token_enc, portal.access_token_enc, portal.refresh_token_enc];
    } finally {
      await store.close();
    }
  };
  const written = await sealed();
  const ids = { a: new CryptoBox(KEY_A).currentKeyId, b: new CryptoBox(KEY_B).currentKeyId };

  const help = await rotateKeyHere(['--help'], {});
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Использование \/ usage: npm run bridge -- rotate-key \[--dry-run\]/);
  assert.match(help.stdout, /прежние ключи берутся из BRIDGE_SECRET_KEY_PREVIOUS/);
  assert.match(help.stdout, /Re-encrypt every stored token/);

  const typo = await rotateKeyHere(['--dryrun'], { DATABASE_URL: url, BRIDGE_SECRET_KEY: KEY_B });
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown argument "--dryrun"; fix: did you mean "--dry-run"\?/);

  const shortPrevious = await rotateKeyHere([], { DATABASE_URL: url, BRIDGE_SECRET_KEY: KEY_B, BRIDGE_SECRET_KEY_PREVIOUS: 'tiny-key-9' });
  assert.equal(shortPrevious.status, 2);
  assert.match(shortPrevious.stderr, /security\.previous_secret_keys \(env BRIDGE_SECRET_KEY_PREVIOUS\)/);
  assert.ok(!shortPrevious.stderr.includes('tiny-key-9'));

  const noKey = await rotateKeyHere([], { DATABASE_URL: url });
  assert.equal(noKey.status, 2);
  assert.match(noKey.stderr, /BRIDGE_SECRET_KEY не задан \/ is not set/);

  const withoutOld = rotateKey([], { DATABASE_URL: url, BRIDGE_SECRET_KEY: KEY_B });
  assert.equal(withoutOld.status, 1);
  assert.match(withoutOld.stdout, /BRIDGE_SECRET_KEY_PREVIOUS не задан/);
  assert.match(withoutOld.stdout, /Re-encrypted: 0; already current: 0; failed: 4;/);
  assert.match(withoutOld.stdout, /Left under old keys: 4\./);
  assert.match(withoutOld.stderr, /^ {2}portals p1 access_token_enc BRG_ERR_SECRET_KEY_MISMATCH$/m);
  assert.match(withoutOld.stderr, /Fix: add the key they were sealed with to BRIDGE_SECRET_KEY_PREVIOUS/);
  assert.deepEqual(await sealed(), written, 'nothing changed');

  const env = { DATABASE_URL: url, BRIDGE_SECRET_KEY: KEY_B, BRIDGE_SECRET_KEY_PREVIOUS: KEY_A };
  const dry = rotateKey(['--dry-run'], env);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`Current key id ${ids.b}; previous: ${ids.a}\\.`));
  assert.match(dry.stdout, /Пробный прогон, ничего не изменено/);
  assert.match(dry.stdout, /Would re-encrypt: 4; already current: 0; would fail: 0\./);
  assert.deepEqual(await sealed(), written, 'a dry run changes nothing');

  const run = rotateKey([], env);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Зашифровано заново: 4; уже под текущим ключом: 0; не удалось: 0;/);
  assert.match(run.stdout, /Re-encrypted: 4; already current: 0; failed: 0; rewritten by a running bridge meanwhile: 0\./);
  assert.match(run.stdout, /Left under old keys: 0\./);
  assert.match(run.stdout, /Now remove BRIDGE_SECRET_KEY_PREVIOUS/);
  assert.equal(run.stderr, '');
  const after = await sealed();
  assert.ok(after.every((v, i) => v !== written[i] && v !== null && CryptoBox.keyIdOf(v) === ids.b), 'every value under B now');

  const again = await rotateKeyHere([], env);
  assert.equal(again.status, 0);
  assert.match(again.stdout, /Re-encrypted: 0; already current: 4; failed: 0;/);
  assert.deepEqual(await sealed(), after);

  // The rotation is done: B alone is enough.
  const store = await openStore({ databaseUrl: url, secretKey: KEY_B, clock: systemClock });
  assert.equal((await store.portals.load('p1'))?.refreshToken, 'REFRESH-p1');
  await store.close();
  await sqlite.dropAll();
});
