import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { configSchema } from '../../../src/config/schema.ts';

const noFile = (): string => {
  throw new Error('no file');
};
const PROD_ENV = {
  MAX_BOT_TOKEN: 'max-token-0123456789', BITRIX24_CLIENT_ID: 'local.app', BITRIX24_CLIENT_SECRET: 'client-secret-value',
  BRIDGE_SECRET_KEY: 'a-very-long-secret-key-000', PUBLIC_URL: 'https://bridge.example.ru',
};

test('nothing configured: sandbox with defaults', () => {
  const r = loadConfig({}, noFile);
  assert.ok(r.ok);
  assert.equal(r.mode, 'sandbox');
  assert.equal(r.config.server.port, 3000);
  assert.equal(r.config.database.url, '.data/bridge.sqlite');
});

test('MAX_BOT_TOKEN and BITRIX24_CLIENT_ID: production, default bot, portal, plan limits and route', () => {
  const r = loadConfig({ ...PROD_ENV, BITRIX24_LINE_ID: '7', PORT: '8080' }, noFile);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.equal(r.mode, 'production');
  assert.equal(r.config.server.port, 8080);
  assert.equal(r.config.bots[0]?.id, 'default');
  assert.equal(r.config.bots[0]?.updates, 'webhook');
  assert.deepEqual(r.config.portals[0]?.limits, { drain_per_second: 2, burst: 50 });
  assert.deepEqual(r.config.routes, [{ bot: '*', portal: 'default', line_id: 7 }]);
});

test('partial configuration is an error naming what is missing, not a silent sandbox', () => {
  const r = loadConfig({ MAX_BOT_TOKEN: 'max-token-0123456789' }, noFile);
  assert.equal(r.ok, false);
  assert.match((r as { errors: string[] }).errors.join('\n'), /BITRIX24_CLIENT_ID is missing/);
});

test('all errors at once, each naming the key or env variable and the fix; secrets never echoed', () => {
  const r = loadConfig({ ...PROD_ENV, PORT: 'eighty', PUBLIC_URL: 'http://bridge.example.ru', BRIDGE_SECRET_KEY: 'short-secret' }, noFile);
  assert.equal(r.ok, false);
  const text = (r as { errors: string[] }).errors.join('\n');
  assert.match(text, /server\.port \(env PORT\)/);
  assert.match(text, /server\.public_url \(env PUBLIC_URL\): must be https:\/\//);
  assert.match(text, /security\.secret_key \(env BRIDGE_SECRET_KEY\): at least 16 characters; make one with `openssl rand -hex 32`/);
  assert.ok(!text.includes('short-secret'));
});

test('http:// only for loopback hosts', () => {
  for (const url of ['http://127.0.0.1:3000', 'http://localhost:8080', 'http://[::1]:1']) {
    assert.ok(loadConfig({ ...PROD_ENV, PUBLIC_URL: url }, noFile).ok, url);
  }
  const bad = loadConfig({ ...PROD_ENV, MAX_API_URL: 'http://10.0.0.5' }, noFile);
  assert.match((bad as { errors: string[] }).errors.join('\n'), /bots\[0\]\.api_url \(env MAX_API_URL\): must be https/);
});

test('YAML: several bots and portals; env wins over the file; errors carry the YAML line', () => {
  const yaml = [
    'server:', '  public_url: https://b.example.ru', 'security:', '  secret_key: file-secret-key-0123456',
    'bots:', '  - id: sales', '    token: sales-token-0123456', '  - id: support', '    token: support-token-0123', '    updates: polling',
    'portals:', '  - id: ru', '    client_id: a', '    client_secret: b', '    plan: enterprise', '  - id: kz', '    client_id: c', '    client_secret: d',
    'routes:', '  - bot: sales', '    portal: ru', '  - bot: "*"', '    portal: kz',
  ].join('\n');
  const r = loadConfig({ CONFIG_FILE: 'x.yaml', BRIDGE_SECRET_KEY: 'env-secret-key-0123456' }, () => yaml);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.equal(r.config.security.secret_key, 'env-secret-key-0123456');
  assert.deepEqual(r.config.bots.map((b) => b.id), ['sales', 'support']);
  assert.deepEqual(r.config.portals[0]?.limits, { drain_per_second: 5, burst: 250 });
  const broken = loadConfig({ CONFIG_FILE: 'x.yaml' }, () => yaml.replace('updates: polling', 'updates: push').replace('portal: kz', 'portal: nowhere'));
  const text = (broken as { errors: string[] }).errors.join('\n');
  assert.match(text, /bots\[1\]\.updates \(line 10\)/);
  const unknownRoute = loadConfig({ CONFIG_FILE: 'x.yaml' }, () => yaml.replace('portal: kz', 'portal: nowhere'));
  assert.match((unknownRoute as { errors: string[] }).errors.join('\n'), /routes\[1\]\.portal: no portal "nowhere"/);
  assert.match((loadConfig({ CONFIG_FILE: 'missing.yaml' }, noFile) as { errors: string[] }).errors[0]!, /cannot read "missing.yaml"/);
});

test('config/example.yaml validates and mentions every key of the schema', () => {
  const text = readFileSync('config/example.yaml', 'utf8');
  const r = loadConfig({ CONFIG_FILE: 'config/example.yaml' }, () => text);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const keys = new Set<string>();
  const walk = (shape: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(shape)) {
      keys.add(k);
      let def = (v as { def?: Record<string, unknown> }).def;
      while (def && !def.shape && def.innerType) def = (def.innerType as { def: Record<string, unknown> }).def;
      if (def?.type === 'array') def = ((def.element as { def: Record<string, unknown> }).def);
      if (def?.shape) walk(def.shape as Record<string, unknown>);
    }
  };
  walk(configSchema.shape as Record<string, unknown>);
  for (const key of keys) assert.match(text, new RegExp(`^\\s*(- )?${key}:`, 'm'), `example.yaml lacks ${key}`);
  assert.ok(keys.size > 25);
});
