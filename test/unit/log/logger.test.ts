import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, redactNested } from '../../../src/log/logger.ts';

test('tokens, secrets and auth never reach a log line, at the top or nested', () => {
  const out: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (l: string) => void out.push(l) } });
  logger.child({ component: 'test' }).warn({
    portal: 'main', auth: 'AUTH-1', token: 'TOK-2', body: { access_token: 'AT-3', refresh_token: 'RT-4', nested: { client_secret: 'CS-5' } },
    config: { security: { secret_key: 'SK-6' } },
  }, 'something happened');
  logger.debug({ secret: 'DEBUG-7' }, 'below the level');
  const text = out.join('');
  for (const secret of ['AUTH-1', 'TOK-2', 'AT-3', 'RT-4', 'CS-5', 'SK-6', 'DEBUG-7']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  const line = JSON.parse(out[0] as string) as Record<string, unknown>;
  assert.equal(line.component, 'test');
  assert.equal(line.portal, 'main');
  assert.equal(line.msg, 'something happened');
  assert.equal(out.length, 1, 'the level is honoured');
});

test('a secret key is redacted at any depth and in any case, in child bindings too, without copying lines that hold none', () => {
  const out: string[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (l: string) => void out.push(l) } });
  logger.child({ component: 'test', token: 'BIND-1' }).info({
    event: { data: { MESSAGES: [{ im: { chat: { auth: { access_token: 'DEEP-2' } } } }] } },
    headers: { Authorization: 'Bearer CASE-3' }, form: { AUTH_ID: 'AUTH-4', auth_id: 'AUTH-5', DOMAIN: 'x.bitrix24.ru' },
  }, 'deep');
  const text = out.join('');
  for (const secret of ['BIND-1', 'DEEP-2', 'CASE-3', 'AUTH-4', 'AUTH-5']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  assert.ok(text.includes('x.bitrix24.ru'), 'what is not secret stays');
  const fields = { conversationId: 'shop:1', nested: { messageKey: 'mid.1' } };
  assert.equal(redactNested(fields), fields, 'nothing secret: the same object');
});
