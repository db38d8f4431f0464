/** `hooks.checks` as check-config reads it (docs/hooks.md, "Checks"): defaults, and errors that name the key and the fix. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { DEFAULT_BLOCK_REPLY } from '../../../src/bridge/checks/conversation-checks.ts';
import { errorFor, errorsOf, fileOf, okConfig, PROD_ENV } from './helpers.ts';

const load = (yaml: string) => loadConfig({ CONFIG_FILE: 'c.yaml', ...PROD_ENV }, fileOf(yaml));

test('a check with only name, url and secret gets the documented defaults', () => {
  const r = okConfig(load('hooks:\n  checks:\n    - name: antifraud\n      url: https://af.example.ru/check\n      secret: 0123456789abcdef0123\n'));
  assert.deepEqual(r.config.hooks.checks, [{
    name: 'antifraud', url: 'https://af.example.ru/check', secret: '0123456789abcdef0123', timeout_ms: 800, on_error: 'allow', each_message: false,
    block_reply: DEFAULT_BLOCK_REPLY, hold_reply: '',
  }]);
  assert.match(DEFAULT_BLOCK_REPLY, /не можем принять/);
});

test('a check without a secret, with a bad on_error or timeout, or a name used twice: each error names its key', () => {
  const errors = errorsOf(load([
    'hooks:', '  checks:',
    '    - name: antifraud', '      url: https://af.example.ru/check',
    '    - name: erp', '      url: https://erp.example.ru/check', '      secret: short', '      on_error: maybe', '      timeout_ms: 10',
    '    - name: antifraud', '      url: https://af.example.ru/other', '      secret: 0123456789abcdef0123', '      each_message: sometimes',
  ].join('\n')));
  assert.match(errorFor(errors, 'hooks.checks[0].secret '), /\(line 3\): .*(required|missing)/);
  assert.match(errorFor(errors, 'hooks.checks[1].secret '), /short|16 characters/);
  assert.match(errorFor(errors, 'hooks.checks[1].on_error '), /allow.*hold.*block/);
  assert.match(errorFor(errors, 'hooks.checks[1].timeout_ms '), /50/);
  assert.match(errorFor(errors, 'hooks.checks[2].each_message '), /true or false|boolean/);
  assert.match(errorFor(errors, 'hooks.checks[2].name '), /used twice/);
  assert.ok(!errors.some((e) => e.includes('0123456789abcdef0123')), 'a secret is never echoed');
});

test('a check URL that is not a service address, or carries credentials, is refused', () => {
  const errors = errorsOf(load('hooks:\n  checks:\n    - name: af\n      url: ftp://af.example.ru/check\n      secret: 0123456789abcdef0123\n    - name: erp\n      url: https://user:pass@erp.example.ru/check\n      secret: 0123456789abcdef0123\n'));
  errorFor(errors, 'hooks.checks[0].url ');
  assert.match(errorFor(errors, 'hooks.checks[1].url '), /user name or password/);
});
