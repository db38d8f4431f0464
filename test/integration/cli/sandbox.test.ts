/** The sandbox starts both emulators and serves the client and operator pages (Russian first). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SANDBOX_BOT_TOKEN, sandboxBanner, startSandbox } from '../../../src/cli/sandbox.ts';

test('sandbox serves both emulators and both pages', async () => {
  const sandbox = await startSandbox({ preferredPorts: false });
  try {
    const me = await fetch(`${sandbox.max.baseUrl}/me`, { headers: { authorization: SANDBOX_BOT_TOKEN } });
    assert.equal(me.status, 200);
    const client = await (await fetch(`${sandbox.max.controlUrl}/ui`)).text();
    assert.match(client, /Запустить бота/);
    const operator = await (await fetch(`${sandbox.bitrix24.controlUrl}/ui`)).text();
    assert.match(operator, /Открытые линии — оператор/);
    const banner = sandboxBanner(sandbox);
    assert.ok(banner.includes(`${sandbox.max.controlUrl}/ui`));
    assert.ok(banner.includes(`${sandbox.bitrix24.controlUrl}/ui`));
  } finally {
    await sandbox.close();
  }
});
