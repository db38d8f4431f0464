/**
 * `batch` references to earlier results (`$result[key][field]`, docs
 * settings/how-to-call-rest-api/batch.md) resolve whether the command string
 * carries them plain or URL-encoded: the portal decodes a command's query as PHP
 * parses it, then substitutes. The official SDK encodes every parameter
 * (qs.stringify), so this is what an SDK user sees.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'qs';
import { B24OAuth } from '@bitrix24/b24jssdk';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { installApp, rest, startAppHandler, type AppHandler } from './helpers.ts';

interface BatchBody { result: { result: Record<string, unknown>; result_error: Record<string, { error: string }> | [] } }

describe('Bitrix24 emulator batch: $result references in encoded commands', () => {
  let emu: Bitrix24Emulator;
  let handler: AppHandler;
  let auth: Record<string, string>;
  let clientId = '';
  let clientSecret = '';

  before(async () => {
    emu = await startBitrix24Emulator({ tls: true });
    handler = await startAppHandler();
    const installed = await installApp(emu.controlUrl, handler);
    auth = installed.auth;
    ({ clientId, clientSecret } = installed.app);
  });
  after(async () => {
    await emu.close();
    await handler.close();
  });

  test('the official SDK batch gets a lead added and read back through $result[a] (sent as %24result%5Ba%5D)', async () => {
    const b24 = new B24OAuth({
      applicationToken: auth.application_token!, userId: Number(auth.user_id), memberId: auth.member_id!, accessToken: auth.access_token!,
      refreshToken: auth.refresh_token!, expires: Number(auth.expires), expiresIn: Number(auth.expires_in), scope: auth.scope!,
      domain: auth.domain!, clientEndpoint: auth.client_endpoint!, serverEndpoint: auth.server_endpoint!, status: auth.status as never,
    }, { clientId, clientSecret });
    b24.offClientSideWarning();
    const res = await b24.actions.v2.batch.make({
      calls: {
        added: ['crm.lead.add', { fields: { TITLE: 'Лид из пакета', NAME: 'Вера' } }],
        got: ['crm.lead.get', { id: '$result[added]' }],
        titled: ['crm.lead.add', { fields: { TITLE: 'Копия: $result[got][TITLE]', NAME: '$result[got][NAME]' } }],
      },
      options: { isHaltOnError: true, returnAjaxResult: false },
    });
    assert.deepEqual(res.getErrorMessages(), []);
    assert.equal(res.isSuccess, true);
    const data = res.getData() as Record<string, unknown>;
    const id = Number(data.added);
    assert.ok(Number.isInteger(id) && id > 0);
    const got = data.got as { ID: string; TITLE: string };
    assert.equal(Number(got.ID), id);
    assert.equal(got.TITLE, 'Лид из пакета');
    const copy = await rest(emu.portals[0]!.baseUrl, 'crm.lead.get', { id: data.titled }, auth.access_token);
    assert.deepEqual([(copy.body.result as { TITLE: string }).TITLE, (copy.body.result as { NAME: string }).NAME], ['Копия: Лид из пакета', 'Вера']);
  });

  test('a raw batch with URL-encoded commands and nested keys (fields%5BTITLE%5D) resolves $result like a plain one', async () => {
    const res = await rest(emu.portals[0]!.baseUrl, 'batch', {
      halt: 1,
      cmd: {
        contact: `crm.contact.add?${stringify({ fields: { NAME: 'Пётр & сын', LAST_NAME: '50% скидка' } })}`,
        deal: `crm.deal.add?${stringify({ fields: { TITLE: 'Сделка для $result[contact]', CONTACT_ID: '$result[contact]' } })}`,
        get: 'crm.deal.get?id=%24result%5Bdeal%5D',
        contactBack: 'crm.contact.get?id=$result[get][CONTACT_ID]',
      },
    }, auth.access_token);
    assert.equal(res.status, 200);
    const body = res.body as unknown as BatchBody;
    assert.deepEqual(body.result.result_error, []);
    const contactId = String(body.result.result.contact);
    const deal = body.result.result.get as { TITLE: string; CONTACT_ID: string };
    assert.equal(deal.CONTACT_ID, contactId);
    assert.equal(deal.TITLE, `Сделка для ${contactId}`);
    const contact = body.result.result.contactBack as { NAME: string; LAST_NAME: string };
    assert.deepEqual([contact.NAME, contact.LAST_NAME], ['Пётр & сын', '50% скидка']);
  });

  test('the whole batch in a query string, commands double-encoded as in the docs, resolves $result', async () => {
    const query = `auth=${auth.access_token}&halt=0&cmd[lead]=${encodeURIComponent('crm.lead.add?fields%5BTITLE%5D=%D0%98%D0%B7%20%D0%B0%D0%B4%D1%80%D0%B5%D1%81%D0%B0')}`
      + `&cmd[again]=${encodeURIComponent('crm.lead.get?ID=%24result%5Blead%5D')}`;
    const res = await fetch(`${emu.portals[0]!.baseUrl}/rest/batch?${query}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as BatchBody;
    assert.deepEqual(body.result.result_error, []);
    assert.equal((body.result.result.again as { TITLE: string }).TITLE, 'Из адреса');
  });
});
