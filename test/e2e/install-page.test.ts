/**
 * The install page flow end to end (bridge + both emulators over HTTP, SQLite
 * and PostgreSQL): the portal opens `POST /bitrix24/install` (one handler URL;
 * the portal is found by its domain) with AUTH_ID/REFRESH_ID/APPLICATION_TOKEN,
 * the bridge stores the tokens encrypted and answers the page that calls
 * BX24.installFinish(); the connector is set up and messages flow. Bad installs
 * get a coded 4xx and store nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSandboxWithBridge, type Sandbox } from '../../src/cli/sandbox.ts';
import { testEngines } from '../helpers/databases.ts';
import { until } from '../helpers/e2e.ts';

for (const engine of testEngines()) {
  describe(`install page flow (${engine.name})`, () => {
    let sandbox: Sandbox;
    const dir = mkdtempSync(join(tmpdir(), 'bridge-e2e-install-'));

    const b24 = async (path: string) => (await (await fetch(`${sandbox.bitrix24.controlUrl}${path}`)).json()) as Record<string, unknown>;

    before(async () => {
      sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir, databaseUrl: await engine.createDatabase(), install: 'page' });
    });
    after(async () => {
      await sandbox.close();
      await engine.dropAll();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the install page sets up the connector, binds events once, and stores tokens encrypted', async () => {
      const bindings = await until(async () => {
        const list = (await b24('/portals/0/bindings')).bindings as Array<{ event: string; handler: string }>;
        return list.some((b) => b.event === 'ONAPPUNINSTALL') ? list : undefined;
      });
      assert.equal(bindings.filter((b) => b.event === 'ONIMCONNECTORMESSAGEADD').length, 1);
      const row = await sandbox.bridge!.store.db.selectFrom('portals').selectAll().where('id', '=', 'sandbox').executeTakeFirstOrThrow();
      const state = (await b24('/state')) as { portals: Array<{ member_id: string }> };
      assert.equal(row.member_id, state.portals[0]!.member_id);
      const tokens = (await sandbox.bridge!.store.portals.load('sandbox'))!;
      assert.ok(tokens.accessToken.length > 10);
      for (const column of [row.access_token_enc, row.refresh_token_enc, row.application_token_enc]) {
        assert.ok(column && !column.includes(tokens.accessToken) && !column.includes(tokens.refreshToken) && !column.includes(tokens.applicationToken), 'stored encrypted');
      }
    });

    test('after installFinish, a client message reaches the line and operator events are accepted', async () => {
      await fetch(`${sandbox.max.controlUrl}/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { user_id: 4242, first_name: 'Олег' }, text: 'после установки' }),
      });
      await until(async () => ((await b24('/portals/0/chats')).chats as Array<{ messages: Array<{ text: string }> }>)
        .some((c) => c.messages.some((m) => m.text === 'после установки')) ? true : undefined);
    });

    test('an install for an unknown domain or without APPLICATION_TOKEN is refused with a code and stores nothing', async () => {
      const store = sandbox.bridge!.store;
      const eventsBefore = await store.events.count();
      const post = (query: string, body: string) => fetch(`${sandbox.bridge!.url}/bitrix24/install${query}`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body,
      });
      // Two portals configured → the domain must match one; here one portal without url → any domain maps to it,
      // so the unknown-domain case is shown with an unknown portal id instead.
      const unknown = await post('/nope?DOMAIN=evil.example&PROTOCOL=1', 'AUTH_ID=a&REFRESH_ID=b&APPLICATION_TOKEN=c&member_id=m&SERVER_ENDPOINT=https://oauth.bitrix.info/rest/');
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { error: string }).error, 'BRG_ERR_NOT_FOUND');
      const noToken = await post('?DOMAIN=evil.example&PROTOCOL=1', 'AUTH_ID=a&REFRESH_ID=b&member_id=m&SERVER_ENDPOINT=https://oauth.bitrix.info/rest/');
      assert.equal(noToken.status, 400);
      assert.match(((await noToken.json()) as { detail: string }).detail, /application_token/);
      const foreignOauth = await post('?DOMAIN=evil.example&PROTOCOL=1', 'AUTH_ID=a&REFRESH_ID=b&APPLICATION_TOKEN=c&member_id=m&SERVER_ENDPOINT=https://evil.example/oauth/');
      assert.equal(foreignOauth.status, 401);
      assert.equal(await store.events.count(), eventsBefore);
      const portal = (await store.portals.load('sandbox'))!;
      assert.notEqual(portal.accessToken, 'a');
    });
  });
}
