/**
 * The app uninstalled on the portal (ONAPPUNINSTALL, spec §3: `auth` without
 * tokens, handlers and connectors removed by the portal), end to end on both
 * engines: the bridge forgets the portal's tokens, marks it uninstalled and
 * pauses its line; events signed with the old application token are refused; a
 * client message meanwhile waits (not lost); nothing crashes; a re-install
 * (new tokens, new application token) restores the line and the waiting message goes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'qs';
import { SANDBOX_APP } from '../../src/cli/sandbox.ts';
import { testEngines } from '../helpers/databases.ts';
import { sandboxFor, until, waitForSetup } from '../helpers/e2e.ts';

type LineChat = { messages: Array<{ text: string }> };

for (const engine of testEngines()) {
  describe(`app uninstall and re-install (${engine.name})`, () => {
    const sandbox = sandboxFor(engine, 'bridge-e2e-uninstall-');
    const b24 = async (method: string, path: string, body?: unknown) => (await (await fetch(`${sandbox().bitrix24.controlUrl}${path}`, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    })).json()) as Record<string, unknown>;
    const sendFromMax = (userId: number, text: string) => fetch(`${sandbox().max.controlUrl}/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { user_id: userId, first_name: 'Ирина' }, text }),
    });
    const lineHas = (text: string) => until(async () => ((await b24('GET', '/portals/0/chats')).chats as LineChat[])
      .some((c) => c.messages.some((m) => m.text === text)) ? true : undefined);
    const portalRow = () => sandbox().bridge!.store.db.selectFrom('portals').selectAll().where('id', '=', 'sandbox').executeTakeFirstOrThrow();
    const lineRows = () => sandbox().bridge!.store.db.selectFrom('lines').selectAll().where('portal_id', '=', 'sandbox').execute();
    const postEvent = async (event: string, applicationToken: string, data: Record<string, unknown>) => {
      const memberId = (await portalRow()).member_id;
      return fetch(`${sandbox().bridge!.url}/bitrix24/events/sandbox`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: stringify({ event, data, ts: String(Math.floor(Date.now() / 1000)), auth: { domain: 'x', member_id: memberId, application_token: applicationToken } }),
      });
    };

    test('after the app is uninstalled the portal\'s tokens are gone, its line is paused, and old-token events are refused', async () => {
      await sendFromMax(5150, 'до удаления');
      await lineHas('до удаления');
      const oldApplicationToken = (await sandbox().bridge!.store.portals.applicationToken('sandbox'))!;
      assert.equal((await b24('POST', '/portals/0/uninstall', { clientId: SANDBOX_APP.clientId })).ok, true);
      const row = await until(async () => ((await portalRow()).status === 'uninstalled' ? portalRow() : undefined));
      assert.equal(row.access_token_enc, null, 'access token dropped');
      assert.equal(row.refresh_token_enc, null, 'refresh token dropped');
      assert.equal(await sandbox().bridge!.store.portals.load('sandbox'), null);
      const lines = await until(async () => {
        const rows = await lineRows();
        return rows.length > 0 && rows.every((l) => l.state === 'paused') ? rows : undefined;
      });
      assert.equal(lines[0]!.paused_reason, 'app uninstalled');
      // A stray or forged event with the old application token: refused, nothing stored.
      const eventsBefore = await sandbox().bridge!.store.events.count();
      const refused = await postEvent('ONIMCONNECTORMESSAGEADD', oldApplicationToken, { CONNECTOR: 'max_bridge', LINE: String(lines[0]!.line_id), MESSAGES: [] });
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { error: string }).error, 'BRG_ERR_UNAUTHORIZED');
      assert.equal(await sandbox().bridge!.store.events.count(), eventsBefore);
    });

    test('while uninstalled a client message waits, /ready says why, maintenance does not throw', async () => {
      await sendFromMax(5150, 'пока приложение удалено');
      const health = await until(async () => {
        const res = await fetch(`${sandbox().bridge!.url}/ready`);
        const body = (await res.json()) as { problems?: string[] };
        return body.problems?.some((p) => p.includes('app uninstalled')) ? { status: res.status, body } : undefined;
      });
      assert.notEqual(health.status, 200);
      const report = await sandbox().bridge!.maintain();
      assert.deepEqual(report.reactivated, []);
      const waiting = await until(async () => {
        const rows = await sandbox().bridge!.store.db.selectFrom('line_outbox').select('state').execute();
        return rows.some((r) => r.state === 'pending') ? rows : undefined;
      });
      assert.ok(waiting.length > 0);
      const chats = (await b24('GET', '/portals/0/chats')).chats as LineChat[];
      assert.ok(!chats.some((c) => c.messages.some((m) => m.text === 'пока приложение удалено')));
    });

    test('a re-install restores the line: the waiting message arrives and new events are accepted', async () => {
      const res = await b24('POST', '/portals/0/install', { clientId: SANDBOX_APP.clientId, handlerUrl: `${sandbox().bridge!.url}/bitrix24/install/sandbox`, mode: 'event' });
      assert.equal(res.status, 200);
      await waitForSetup(sandbox().bitrix24.controlUrl);
      const row = await until(async () => ((await portalRow()).status === 'active' ? portalRow() : undefined));
      assert.notEqual(row.access_token_enc, null);
      await lineHas('пока приложение удалено');
      assert.ok((await lineRows()).some((l) => l.state === 'active'));
      const newApplicationToken = (await sandbox().bridge!.store.portals.applicationToken('sandbox'))!;
      const accepted = await postEvent('ONIMCONNECTORDIALOGSTART', newApplicationToken, { CONNECTOR: 'max_bridge' });
      assert.equal(accepted.status, 200);
      await sendFromMax(5150, 'после переустановки');
      await lineHas('после переустановки');
    });
  });
}
