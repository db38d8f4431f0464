/**
 * The connector settings page (PLACEMENT_HANDLER of imconnector.register, placement
 * SETTING_CONNECTOR) end to end on both engines: the emulated portal opens it as the
 * Contact Center does (admin: MAX tile → Connect → pick an open line), the bridge
 * verifies the caller and answers a Russian page; picking another line connects
 * it and MAX clients' messages go there. Bad input gets a coded 4xx; no secret is shown.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'qs';
import { CONNECTOR_ID } from '../../src/runtime/start-bridge.ts';
import { testEngines } from '../helpers/databases.ts';
import { sandboxFor, until } from '../helpers/e2e.ts';

type PageAnswer = { status: number; contentType: string; body: string };
type LineChat = { lineId: number; messages: Array<{ text: string }> };

for (const engine of testEngines()) {
  describe(`connector settings page (${engine.name})`, () => {
    const sandbox = sandboxFor(engine, 'bridge-e2e-settings-');
    const b24 = async (method: string, path: string, body?: unknown) => (await (await fetch(`${sandbox().bitrix24.controlUrl}${path}`, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    })).json()) as Record<string, unknown>;
    const openSettings = async (line: number) => (await b24('POST', `/portals/0/connectors/${CONNECTOR_ID}/settings`, { line })) as unknown as PageAnswer;
    // The setup job records its line when it completes, just after its last event.bind.
    const bridgeLine = () => until(() => sandbox().bridge!.store.db.selectFrom('lines').selectAll().where('portal_id', '=', 'sandbox').orderBy('updated_at_ms', 'desc').executeTakeFirst());
    const secrets = async () => {
      const tokens = (await sandbox().bridge!.store.portals.load('sandbox'))!;
      return [tokens.accessToken, tokens.refreshToken, tokens.applicationToken, tokens.memberId];
    };

    test('the settings page Bitrix24 opens for the connected line answers 200 in Russian, not 404, and shows no secret', async () => {
      const line = await bridgeLine();
      const page = await openSettings(line.line_id);
      assert.equal(page.status, 200, page.body);
      assert.match(page.contentType, /^text\/html/);
      assert.match(page.body, new RegExp(`Открытая линия № ${line.line_id} подключена к MAX`));
      for (const secret of await secrets()) assert.ok(!page.body.includes(secret), 'no token or member_id on the page');
    });

    test('picking another open line in the Contact Center connects it: MAX clients now write to that line', async () => {
      const before = await bridgeLine();
      const created = await b24('POST', '/portals/0/lines', { name: 'Поддержка' });
      const newLine = Number(created.ID);
      const page = await openSettings(newLine);
      assert.equal(page.status, 200, page.body);
      assert.match(page.body, new RegExp(`Открытая линия № ${newLine} подключена к MAX`));
      assert.match(page.body, new RegExp(`Прежняя линия № ${before.line_id} больше не используется`));
      const now = await bridgeLine();
      assert.deepEqual([now.line_id, now.state], [newLine, 'active']);
      // Opened again: the line is the bridge's, active and connected (STATUS true): nothing more to do.
      const again = await openSettings(newLine);
      assert.equal(again.status, 200);
      await fetch(`${sandbox().max.controlUrl}/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { user_id: 7301, first_name: 'Глеб' }, text: 'в новую линию' }),
      });
      const chat = await until(async () => ((await b24('GET', '/portals/0/chats')).chats as LineChat[]).find((c) => c.messages.some((m) => m.text === 'в новую линию')));
      assert.equal(chat.lineId, newLine);
    });

    test('bad or unverified requests to the settings page get a coded 4xx and queue nothing', async () => {
      const url = `${sandbox().bridge!.url}/bitrix24/settings`;
      const memberId = (await secrets())[3]!;
      const line = (await bridgeLine()).line_id;
      const post = async (fields: Record<string, unknown>) => {
        const res = await fetch(`${url}?DOMAIN=127.0.0.1&PROTOCOL=0`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stringify(fields) });
        return { status: res.status, body: (await res.json()) as { error: string; detail?: string } };
      };
      const options = (o: Record<string, unknown>) => JSON.stringify({ CONNECTOR: CONNECTOR_ID, LINE: String(line), STATUS: false, ...o });
      const valid = { AUTH_ID: 'not-a-token', member_id: memberId, PLACEMENT: 'SETTING_CONNECTOR', PLACEMENT_OPTIONS: options({}) };
      const eventsBefore = await sandbox().bridge!.store.events.count();
      const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
        ['no placement', { ...valid, PLACEMENT: undefined }, 400, /SETTING_CONNECTOR/],
        ['options not JSON', { ...valid, PLACEMENT_OPTIONS: '{LINE:' }, 400, /not JSON/],
        ['another connector', { ...valid, PLACEMENT_OPTIONS: options({ CONNECTOR: 'telegrambot' }) }, 400, /max_bridge/],
        ['line not a number', { ...valid, PLACEMENT_OPTIONS: options({ LINE: 'abc' }) }, 400, /LINE/],
        ['no AUTH_ID', { ...valid, AUTH_ID: undefined }, 400, /AUTH_ID/],
        ['unknown portal', { ...valid, member_id: 'someone-else' }, 401, /not installed|not valid/],
        ['AUTH_ID not valid at the portal', valid, 401, /not valid/],
      ];
      for (const [name, fields, status, detail] of cases) {
        const res = await post(fields);
        assert.equal(res.status, status, name);
        assert.equal(res.body.error, status === 400 ? 'BRG_ERR_INVALID_BODY' : 'BRG_ERR_UNAUTHORIZED', name);
        assert.match(res.body.detail ?? '', detail, name);
      }
      const get = await fetch(url);
      assert.equal(get.status, 400);
      assert.match(((await get.json()) as { detail: string }).detail, /Contact Center/);
      assert.equal(await sandbox().bridge!.store.events.count(), eventsBefore);
    });
  });
}
