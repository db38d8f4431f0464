/**
 * Bitrix24 emulator faults a bridge must survive (spec §8, §9): the portal
 * blocking the app (OVERLOAD_LIMIT), one command of a batch failing inside an
 * HTTP 200 (result_error), and a client file the portal cannot download.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { ctl, rest, startEmulatorWithApp, type EmulatorWithApp } from './helpers.ts';

describe('Bitrix24 emulator: blocked app, failing batch commands, unfetchable files', () => {
  let env: EmulatorWithApp;
  let emu: Bitrix24Emulator;
  let token: string;
  let base: string;
  let files: Server;
  let filesUrl: string;
  const call = (method: string, params: Record<string, unknown>) => rest(base, method, params, token);

  before(async () => {
    env = await startEmulatorWithApp();
    ({ emu, token, base } = env);
    await call('imconnector.register', { ID: 'max_bridge', NAME: 'MAX', ICON: { DATA_IMAGE: 'data:image/svg+xml,x' }, PLACEMENT_HANDLER: 'https://bridge.example/settings' });
    await call('imconnector.activate', { CONNECTOR: 'max_bridge', LINE: 1, ACTIVE: 1 });
    files = createServer((req, res) => (req.url?.startsWith('/ok/') ? res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF') : res.writeHead(404).end()));
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
  });
  after(async () => {
    await env.close();
    await new Promise((r) => files.close(r));
  });

  test('a blocked app gets 503 OVERLOAD_LIMIT for every call, batch included, until the switch is off', async () => {
    await ctl(emu.controlUrl, 'PUT', '/portals/0/faults', { rules: [{ kind: 'status', status: 503, code: 'OVERLOAD_LIMIT' }] });
    for (const method of ['crm.lead.list', 'batch', 'imconnector.send.messages']) {
      const res = await call(method, {});
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, { error: 'OVERLOAD_LIMIT', error_description: 'REST API is blocked due to overload' });
    }
    await ctl(emu.controlUrl, 'PUT', '/portals/0/faults', { rules: [] });
    assert.equal((await call('crm.lead.list', {})).status, 200);
  });

  test('a fault on one method and parameters fails that command inside a batch (result_error, HTTP 200), the others run', async () => {
    await ctl(emu.controlUrl, 'PUT', '/portals/0/faults', {
      rules: [{ kind: 'status', status: 429, code: 'OPERATION_TIME_LIMIT', methodPrefix: 'crm.lead.list', params: { start: 50 }, remaining: 1 }],
    });
    const batch = () => call('batch', { halt: 0, cmd: { a: 'crm.lead.list?start=0', b: 'crm.lead.list?start=50' } });
    const first = await batch();
    assert.equal(first.status, 200);
    const result = first.body.result as { result: Record<string, unknown>; result_error: Record<string, unknown> };
    assert.ok('a' in result.result);
    assert.deepEqual(result.result_error, { b: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit' } });
    const second = (await batch()).body.result as { result_error: unknown };
    assert.deepEqual(second.result_error, [], 'the rule fired once');
  });

  test('an item whose file the portal cannot download comes back SUCCESS:false; one it can is stored with its copy', async () => {
    const item = (id: string, url: string) => ({ user: { id: '7001' }, message: { id, date: 1795477449, text: 'подпись', files: [{ url, name: 'счёт.pdf' }] }, chat: { id: '7001' } });
    const sent = await call('imconnector.send.messages', { CONNECTOR: 'max_bridge', LINE: 1, MESSAGES: [item('m1', `${filesUrl}/gone/1`), item('m2', `${filesUrl}/ok/2`)] });
    assert.equal(sent.status, 200);
    const [bad, good] = (sent.body.result as { DATA: { RESULT: Array<Record<string, unknown>> } }).DATA.RESULT;
    assert.equal(bad!.SUCCESS, false);
    assert.deepEqual(bad!.ERRORS, [{ code: 'ERROR_FILE_DOWNLOAD', message: 'Could not download the file счёт.pdf' }]);
    assert.equal(good!.SUCCESS, true);
    const chat = emu.context.portals[0]!.chats.get(Number((good!.session as { CHAT_ID: string }).CHAT_ID))!;
    const stored = chat.messageIds.map((id) => emu.context.portals[0]!.messages.get(id)!);
    assert.deepEqual(stored.map((m) => m.externalIds[0]), ['m2'], 'the refused item left nothing in the chat');
    assert.equal(stored[0]!.files[0]!.fetchStatus, 200);
    assert.match(stored[0]!.files[0]!.url, new RegExp(`^${base}/upload/`));
  });
});
