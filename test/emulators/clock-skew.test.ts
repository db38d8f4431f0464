/**
 * The emulators' clock knob (`PUT /_control/clock`, docs/emulators-max.md and
 * docs/emulators-bitrix24.md): a server whose clock is off says so in the `Date` header of every
 * answer — and Bitrix24 in the tokens' absolute `expires` too — as real servers with a wrong
 * clock would; 0 puts it right; a bad value is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import { startMaxEmulator, type MaxEmulator } from '../../emulators/max/index.ts';

const TOKEN = 'clock-test-token-0123';
const APP = { clientId: 'local.clock', clientSecret: 'clock-secret' };

async function put(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const dateOf = (res: Response) => Date.parse(res.headers.get('date') ?? '');

describe('emulators: a skewed clock', () => {
  let max: MaxEmulator;
  let bitrix24: Bitrix24Emulator;
  before(async () => {
    max = await startMaxEmulator({ bots: [{ token: TOKEN }] });
    bitrix24 = await startBitrix24Emulator({ apps: [APP] });
  });
  after(async () => {
    await max.close();
    await bitrix24.close();
  });

  test('MAX: every answer\'s Date header is off by the skew; 0 puts it right; a bad skew is refused', async () => {
    assert.equal((await put(`${max.controlUrl}/clock`, { skewMs: 3_600_000 })).status, 200);
    const ahead = await fetch(`${max.baseUrl}/me`, { headers: { authorization: TOKEN } });
    assert.equal(ahead.status, 200);
    assert.ok(Math.abs(dateOf(ahead) - (Date.now() + 3_600_000)) < 5_000, ahead.headers.get('date') ?? '');
    // Refusals carry it too: the clock is the server's, whatever it answers.
    const refused = await fetch(`${max.baseUrl}/me`, { headers: { authorization: 'wrong-token-0000' } });
    assert.equal(refused.status, 401);
    assert.ok(dateOf(refused) - Date.now() > 3_500_000);
    assert.equal((await put(`${max.controlUrl}/clock`, { skewMs: 'soon' })).status, 400);
    assert.equal((await put(`${max.controlUrl}/clock`, { skewMs: 0 })).status, 200);
    const right = await fetch(`${max.baseUrl}/me`, { headers: { authorization: TOKEN } });
    assert.ok(Math.abs(dateOf(right) - Date.now()) < 5_000);
  });

  test('Bitrix24: the portals\' and the OAuth server\'s Date headers and the tokens\' expires follow the skew', async () => {
    assert.equal((await put(`${bitrix24.controlUrl}/clock`, { skewMs: -600_000 })).status, 200);
    try {
      const portal = await fetch(`${bitrix24.portals[0]!.baseUrl}/rest/profile`, { method: 'POST' });
      assert.ok(Math.abs(dateOf(portal) - (Date.now() - 600_000)) < 5_000, portal.headers.get('date') ?? '');
      const oauth = await fetch(`${bitrix24.oauthUrl}/oauth/token/?grant_type=refresh_token`);
      assert.ok(Math.abs(dateOf(oauth) - (Date.now() - 600_000)) < 5_000);
      // An install's tokens: `expires` is an hour after the portal's (skewed) now.
      const install = await fetch(`${bitrix24.controlUrl}/portals/0/install`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientId: APP.clientId, handlerUrl: 'http://127.0.0.1:9/install' }),
      });
      assert.equal(install.status, 200);
      const tokens = [...bitrix24.context.refreshTokens.keys()];
      assert.equal(tokens.length, 1);
      const refreshed = await fetch(`${bitrix24.oauthUrl}/oauth/token/`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: APP.clientId, client_secret: APP.clientSecret, refresh_token: tokens[0]! }).toString(),
      });
      const body = await refreshed.json() as { expires: number };
      assert.equal(refreshed.status, 200);
      assert.ok(Math.abs(body.expires * 1000 - (Date.now() - 600_000 + 3_600_000)) < 5_000, String(body.expires));
    } finally {
      assert.equal((await put(`${bitrix24.controlUrl}/clock`, { skewMs: 0 })).status, 200);
    }
    assert.equal((await put(`${bitrix24.controlUrl}/clock`, {})).status, 400);
  });
});
