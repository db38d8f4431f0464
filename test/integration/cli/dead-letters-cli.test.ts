/** `npm run dead-letters`: list and replay dead letters in a real SQLite store, from a child process. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { systemClock } from '../../../src/domain/clock.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/dead-letters.ts', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

test('list shows dead letters with their code; replay makes them pending; bad input names the fix', async () => {
  const sqlite = testEngines()[0]!;
  const url = await sqlite.createDatabase();
  const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
  const id = await store.jobs.enqueue({ kind: 'deliver', conversationKey: 'c1', payload: {} });
  const job = (await store.jobs.claim({ workerId: 'w', leaseMs: 1_000 }))!;
  await store.jobs.markDead(job, { code: 'BRG_ERR_MAX_USER_BLOCKED_BOT', message: 'client blocked the bot' });
  const env = { DATABASE_URL: url, BRIDGE_SECRET_KEY: TEST_SECRET_KEY };
  const list = run(['list'], env);
  assert.equal(list.status, 0);
  assert.match(list.stdout, new RegExp(`^${id}\\tdeliver\\tc1\\tBRG_ERR_MAX_USER_BLOCKED_BOT`, 'm'));
  assert.equal(run(['replay', String(id)], env).status, 0);
  assert.equal((await store.jobs.get(id))?.state, 'pending');
  const again = (await store.jobs.claim({ workerId: 'w', leaseMs: 1_000 }))!;
  await store.jobs.markDead(again, { code: 'BRG_ERR_MAX_CHAT_DENIED', message: 'denied' });
  const all = run(['replay', '--all', '--code', 'BRG_ERR_MAX_CHAT_DENIED'], env);
  assert.equal(all.status, 0);
  assert.match(all.stdout, /replayed 1/);
  assert.equal((await store.jobs.get(id))?.state, 'pending');
  const missing = run(['replay', '999'], env);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no dead letter with id 999/);
  const bad = run(['replay'], env);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /replay needs a job id or --all/);
  assert.match(run(['list'], { DATABASE_URL: url, BRIDGE_SECRET_KEY: '' }).stderr, /BRIDGE_SECRET_KEY is not set/);
  await store.close();
  await sqlite.dropAll();
});
