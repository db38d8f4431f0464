/**
 * `npm run emulator -- max|bitrix24`: a real child process prints its URLs,
 * serves, and exits 0 on SIGTERM; bad arguments get a message naming the fix.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';

const CLI = 'src/cli/emulator.ts';

function startCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitForLine = async (pattern: RegExp): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const m = out.match(pattern);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no line ${pattern} in: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, waitForLine };
}

test('max emulator CLI prints URLs, serves the Bot API and stops on SIGTERM', async () => {
  const cli = startCli(['max', '--port', '0', '--token', 'cli-token']);
  const [, baseUrl] = await cli.waitForLine(/base URL (http:\/\/\S+)/);
  await cli.waitForLine(/control URL/);
  const me = await fetch(`${baseUrl}/me`, { headers: { authorization: 'cli-token' } });
  assert.equal(me.status, 200);
  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0);
});

test('bitrix24 emulator CLI prints URLs, serves REST and stops on SIGTERM', async () => {
  const cli = startCli(['bitrix24']);
  const [, baseUrl] = await cli.waitForLine(/portal base URL (http:\/\/\S+)/);
  const [, controlUrl] = await cli.waitForLine(/control URL (http:\/\/\S+)/);
  const res = await fetch(`${baseUrl}/rest/crm.lead.list`);
  assert.equal(res.status, 401);
  assert.equal(((await res.json()) as { error: string }).error, 'NO_AUTH_FOUND');
  assert.equal((await fetch(`${controlUrl}/state`)).status, 200);
  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0);
});

test('unknown emulator or bad port: exit 2 with usage', () => {
  const res = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'telegram'], { encoding: 'utf8' });
  assert.equal(res.status, 2);
  assert.match(res.stderr, /unknown emulator "telegram"/);
  assert.match(res.stderr, /usage: npm run emulator -- max\|bitrix24/);
  const port = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'max', '--port', 'x'], { encoding: 'utf8' });
  assert.equal(port.status, 2);
  assert.match(port.stderr, /--port must be/);
});
