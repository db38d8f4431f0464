/**
 * BRIDGE_SECRET_KEY_PREVIOUS / security.previous_secret_keys: read from env (commas) or
 * the file (a list), checked without echoing a key, and what it changes while a key
 * rotation is under way: derived webhook secrets come from the oldest key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { deriveWebhookSecret } from '../../../src/config/schema.ts';
import { errorFor, errorsOf, fileOf, noFile, okConfig, PROD_ENV } from './helpers.ts';

const OLD = 'old-secret-key-0123456789';
const OLDER = 'older-secret-key-0123456789';

test('env BRIDGE_SECRET_KEY_PREVIOUS: one key, or several separated by commas (spaces and empty entries dropped)', () => {
  const one = okConfig(loadConfig({ ...PROD_ENV, BRIDGE_SECRET_KEY_PREVIOUS: OLD }, noFile));
  assert.deepEqual(one.config.security.previous_secret_keys, [OLD]);
  const two = okConfig(loadConfig({ ...PROD_ENV, BRIDGE_SECRET_KEY_PREVIOUS: ` ${OLD} ,${OLDER},` }, noFile));
  assert.deepEqual(two.config.security.previous_secret_keys, [OLD, OLDER]);
  assert.equal(okConfig(loadConfig({ ...PROD_ENV }, noFile)).config.security.previous_secret_keys, undefined);
  assert.deepEqual(one.warnings, [], 'a known variable, not an "unknown BRIDGE_*" warning');
});

test('the file: a YAML list under security.previous_secret_keys', () => {
  const yaml = ['security:', '  secret_key: file-secret-key-0123456', '  previous_secret_keys:', `    - ${OLD}`, `    - ${OLDER}`].join('\n');
  const r = okConfig(loadConfig({ CONFIG_FILE: 'x.yaml' }, fileOf(yaml)));
  assert.deepEqual(r.config.security.previous_secret_keys, [OLD, OLDER]);
});

test('a previous key shorter than 16 characters is refused, naming the variable, never the value', () => {
  const errors = errorsOf(loadConfig({ ...PROD_ENV, BRIDGE_SECRET_KEY_PREVIOUS: `${OLD},tiny-key-9` }, noFile));
  const line = errorFor(errors, 'security.previous_secret_keys');
  assert.match(line, /\(env BRIDGE_SECRET_KEY_PREVIOUS\)/);
  assert.match(line, /shorter than 16 characters/);
  assert.ok(!errors.join('\n').includes('tiny-key-9') && !errors.join('\n').includes(OLD), 'no key echoed');
});

test('while previous keys are set, a derived webhook secret comes from the last (oldest) one, so processes on either key agree', () => {
  const rotating = okConfig(loadConfig({ ...PROD_ENV, BRIDGE_SECRET_KEY_PREVIOUS: `${OLD},${OLDER}` }, noFile));
  assert.equal(rotating.config.bots[0]?.webhook_secret, deriveWebhookSecret(OLDER, 'default'));
  const oldAlone = okConfig(loadConfig({ ...PROD_ENV, BRIDGE_SECRET_KEY: OLDER }, noFile));
  assert.equal(oldAlone.config.bots[0]?.webhook_secret, rotating.config.bots[0]?.webhook_secret);
  const after = okConfig(loadConfig({ ...PROD_ENV }, noFile));
  assert.equal(after.config.bots[0]?.webhook_secret, deriveWebhookSecret(PROD_ENV.BRIDGE_SECRET_KEY, 'default'), 'without previous keys: the current key');
  const pinned = okConfig(loadConfig({ ...PROD_ENV, BRIDGE_SECRET_KEY_PREVIOUS: OLD, MAX_WEBHOOK_SECRET: 'pinned_secret_1' }, noFile));
  assert.equal(pinned.config.bots[0]?.webhook_secret, 'pinned_secret_1', 'an explicit secret never changes');
});
