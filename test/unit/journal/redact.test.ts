import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactText, redactUrl } from '../../../src/journal/redact.ts';

test('JSON bodies: tokens and secrets redacted at any depth', () => {
  const out = redactText(JSON.stringify({ auth: 'AT-1', fields: { TITLE: 'ok' }, nested: [{ refresh_token: 'RT-1', application_token: 'APP-1' }], secret: 's' }))!;
  for (const secret of ['AT-1', 'RT-1', 'APP-1', '"s"']) assert.ok(!out.includes(secret), secret);
  assert.ok(out.includes('"TITLE":"ok"'));
});

test('form bodies: bracketed auth keys redacted (Bitrix24 events)', () => {
  const out = redactText('event=ONIMCONNECTORMESSAGEADD&auth%5Baccess_token%5D=AT-2&auth%5Bapplication_token%5D=APP-2&data%5BLINE%5D=1&client_secret=CS')!;
  for (const secret of ['AT-2', 'APP-2', 'CS']) assert.ok(!out.includes(secret), secret);
  assert.ok(out.includes('data%5BLINE%5D=1'));
});

test('URLs: webhook secrets in the path and secret query values redacted', () => {
  assert.equal(redactUrl('https://p.bitrix24.ru/rest/1/abcdef123/crm.lead.add'), '/rest/1/[REDACTED]/crm.lead.add');
  assert.equal(redactUrl('https://api/me?access_token=X&count=2'), '/me?access_token=[REDACTED]&count=2');
});
