import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../src/log/logger.ts';

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
