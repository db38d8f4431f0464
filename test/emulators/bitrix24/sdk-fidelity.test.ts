/**
 * Fidelity: the official @bitrix24/b24jssdk, unchanged, against the emulator
 * over HTTPS (trusted through NODE_EXTRA_CA_CERTS, which `npm test` sets):
 * B24OAuth built from the ONAPPINSTALL auth fields, token refresh with
 * rotation at the OAuth server, batch; B24Hook for the incoming-webhook form.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B24Hook, B24OAuth } from '@bitrix24/b24jssdk';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { ctl, installApp, startAppHandler, type AppHandler } from './helpers.ts';

describe('official @bitrix24/b24jssdk against the Bitrix24 emulator (HTTPS)', () => {
  let emu: Bitrix24Emulator;
  let handler: AppHandler;
  let b24: B24OAuth;
  const refreshed: string[] = [];
  let firstRefreshToken = '';

  before(async () => {
    emu = await startBitrix24Emulator({ tls: true });
    handler = await startAppHandler();
    const { app, auth } = await installApp(emu.controlUrl, handler);
    firstRefreshToken = auth.refresh_token!;
    b24 = new B24OAuth(
      {
        applicationToken: auth.application_token!, userId: Number(auth.user_id), memberId: auth.member_id!,
        accessToken: auth.access_token!, refreshToken: auth.refresh_token!, expires: Number(auth.expires),
        expiresIn: Number(auth.expires_in), scope: auth.scope!, domain: auth.domain!,
        clientEndpoint: auth.client_endpoint!, serverEndpoint: auth.server_endpoint!, status: auth.status as never,
      },
      { clientId: app.clientId, clientSecret: app.clientSecret },
    );
    b24.offClientSideWarning();
    b24.setCallbackRefreshAuth(async ({ authData }) => {
      refreshed.push(authData.refresh_token);
    });
  });
  after(async () => {
    await emu.close();
    await handler.close();
  });

  test('B24OAuth calls succeed and return what the spec says', async () => {
    assert.ok(emu.portals[0]!.baseUrl.startsWith('https://'));
    const added = await b24.actions.v2.call.make({ method: 'crm.lead.add', params: { fields: { TITLE: 'Из SDK', NAME: 'Ольга' } } });
    assert.equal(added.isSuccess, true);
    const id = added.getData()!.result as number;
    assert.ok(Number.isInteger(id));
    const got = await b24.actions.v2.call.make({ method: 'crm.lead.get', params: { id } });
    assert.equal((got.getData()!.result as { TITLE: string }).TITLE, 'Из SDK');
    const lines = await b24.actions.v2.call.make({ method: 'imopenlines.config.list.get', params: {} });
    assert.equal((lines.getData()!.result as Array<{ ID: string }>)[0]?.ID, '1');
  });

  test('an expired access token is refreshed at the OAuth server and the refresh token rotates', async () => {
    await ctl(emu.controlUrl, 'POST', '/portals/0/expire-tokens');
    const res = await b24.actions.v2.call.make({ method: 'crm.lead.list', params: {} });
    assert.equal(res.isSuccess, true);
    const calls = (await ctl(emu.controlUrl, 'GET', '/refresh-calls')).calls as Array<{ ok: boolean }>;
    assert.deepEqual(calls.map((c) => c.ok), [true]);
    assert.equal(refreshed.length, 1);
    assert.notEqual(refreshed[0], firstRefreshToken);
    // The used refresh token no longer works.
    const reuse = await fetch(`${emu.oauthUrl}/oauth/token/?grant_type=refresh_token&client_id=local.bridge.1&client_secret=secret-of-app&refresh_token=${firstRefreshToken}`);
    assert.equal(reuse.status, 400);
    assert.equal(((await reuse.json()) as { error: string }).error, 'invalid_grant');
  });

  test('batch.make runs several commands in one request', async () => {
    const res = await b24.actions.v2.batch.make({
      calls: [
        ['crm.lead.add', { fields: { TITLE: 'Пакет 1' } }],
        ['crm.lead.add', { fields: { TITLE: 'Пакет 2' } }],
      ],
      options: { isHaltOnError: true },
    });
    assert.equal(res.isSuccess, true);
    const data = res.getData() as unknown as Array<unknown> | Record<string, unknown>;
    assert.equal(Object.values(data as Record<string, unknown>).length, 2);
  });

  test('B24Hook (incoming webhook form) works for CRM and is refused imconnector.* with WRONG_AUTH_TYPE', async () => {
    const { url } = (await ctl(emu.controlUrl, 'POST', '/portals/0/webhooks', { userId: 1 })) as { url: string };
    const hook = B24Hook.fromWebhookUrl(url);
    hook.offClientSideWarning();
    const list = await hook.actions.v2.call.make({ method: 'crm.lead.list', params: {} });
    assert.equal(list.isSuccess, true);
    assert.ok((list.getData()!.result as unknown[]).length >= 1);
    let code: string;
    try {
      const r = await hook.actions.v2.call.make({ method: 'imconnector.register', params: { ID: 'x', NAME: 'x' } });
      code = r.isSuccess ? 'success' : r.getErrorMessages().join(';');
    } catch (err) {
      code = String((err as { code?: string }).code ?? err);
    }
    assert.match(code, /WRONG_AUTH_TYPE|Application context required/);
  });
});
