/**
 * The `hooks` keys through the whole loader (YAML → checked configuration): the issue's own
 * shape validates; bad values are named with their fix and never echo a secret; two webhooks
 * with one name (a webhook without a name is named after its URL's host) are refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webhookName, webhooksFor } from '../../../src/config/hooks-schema.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { errorFor, errorsOf, fileOf, okConfig, PROD_ENV } from './helpers.ts';

const ENV = { CONFIG_FILE: 'c.yaml', BRIDGE_SECRET_KEY: PROD_ENV.BRIDGE_SECRET_KEY, PUBLIC_URL: PROD_ENV.PUBLIC_URL, ERP_WEBHOOK_SECRET: 'erp-secret-0123456789abcdef', ANTIFRAUD_SECRET: 'af-secret-0123456789abcdef' };
const BASE = 'bots:\n  - id: a\n    token: a-token-0123456789\nbitrix24:\n  client_id: x\n  client_secret: y\nportals:\n  - id: p1\n';

test('the issue\'s configuration validates, with its defaults', () => {
  const yaml = `${BASE}hooks:
  webhooks:
    - url: https://erp.example.ru/max-events
      secret: \${ERP_WEBHOOK_SECRET}
      events: [conversation.started, message.inbound, message.outbound, delivery.failed]
  checks:
    - name: antifraud
      url: https://af.example.ru/check
      secret: \${ANTIFRAUD_SECRET}
      timeout_ms: 800
      on_error: allow        # allow | hold | block
`;
  const { config } = okConfig(loadConfig(ENV, fileOf(yaml)));
  const [webhook] = config.hooks.webhooks;
  assert.equal(webhook?.secret, ENV.ERP_WEBHOOK_SECRET);
  assert.equal(webhook?.timeout_ms, 10_000);
  assert.equal(webhook?.masked, false);
  assert.equal(webhookName(webhook!), 'erp.example.ru');
  assert.equal(webhooksFor(config.hooks, 'message.inbound').length, 1);
  assert.equal(webhooksFor(config.hooks, 'crm.linked').length, 0, 'only the events it lists');
  assert.equal(config.hooks.checks[0]?.on_error, 'allow');
  assert.equal(config.hooks.checks[0]?.each_message, false);
  // No hooks at all is the default.
  assert.deepEqual(okConfig(loadConfig(ENV, fileOf(BASE))).config.hooks, { webhooks: [], checks: [] });
});

test('bad hook values are named with what to write, and a secret is never echoed', () => {
  const yaml = `${BASE}hooks:
  webhooks:
    - url: http://erp.example.ru/events
      secret: short-secret
      events: [message.sent]
  checks:
    - name: Anti Fraud
      url: https://af.example.ru/check
      secret: af-secret-0123456789abcdef
      on_error: maybe
`;
  const errors = errorsOf(loadConfig(ENV, fileOf(yaml)));
  assert.match(errorFor(errors, 'hooks.webhooks[0].url '), /must be https:\/\//);
  assert.match(errorFor(errors, 'hooks.webhooks[0].secret '), /too short \(at least 16 characters\).*openssl rand -hex 32/);
  assert.ok(!errors.join('\n').includes('short-secret'), 'the secret is not echoed');
  assert.match(errorFor(errors, 'hooks.webhooks[0].events[0] '), /conversation\.started/);
  assert.match(errorFor(errors, 'hooks.checks[0].name '), /lowercase letters/);
  assert.match(errorFor(errors, 'hooks.checks[0].on_error '), /allow.*hold.*block/);
});

test('two webhooks with one name are refused; names make them distinct', () => {
  const two = (extra: string) => `${BASE}hooks:
  webhooks:
    - url: https://erp.example.ru/a
      secret: erp-secret-0123456789abcdef
    - url: https://erp.example.ru/b
      secret: erp-secret-0123456789abcdef
${extra}`;
  assert.match(errorFor(errorsOf(loadConfig(ENV, fileOf(two('')))), 'hooks.webhooks[1].name '), /"erp\.example\.ru" names two webhooks.*fix: give each its own name/);
  const named = okConfig(loadConfig(ENV, fileOf(two('').replace('https://erp.example.ru/b\n', 'https://erp.example.ru/b\n      name: erp-orders\n'))));
  assert.deepEqual(named.config.hooks.webhooks.map((w) => webhookName(w)), ['erp.example.ru', 'erp-orders']);
});
