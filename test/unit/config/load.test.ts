import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { configSchema, deriveWebhookSecret } from '../../../src/config/schema.ts';
import { errorsOf, fileOf, noFile, okConfig, PROD_ENV } from './helpers.ts';

describe('defaults and mode', () => {
  test('nothing configured: sandbox with every default', () => {
    const r = okConfig(loadConfig({}, noFile));
    assert.equal(r.mode, 'sandbox');
    const c = r.config;
    assert.deepEqual(c.server, { host: '0.0.0.0', port: 3000, body_limit_bytes: 1_048_576, tls: { cert_file: null, key_file: null } });
    assert.equal(c.database.url, '.data/bridge.sqlite');
    assert.equal(c.workers.concurrency, 32);
    assert.deepEqual(c.messages, { system_messages: 'rewrite', operator_name: 'keep', outage_notices: 'line', client_wait_notice_minutes: 15 });
    assert.equal(c.journal.retention_days, 90);
    assert.equal(c.log_level, 'info');
    assert.deepEqual(c.max, { api_url: 'https://platform-api2.max.ru', updates: 'webhook', catchup_window_ms: 600_000, downtime_catchup_after_ms: 300_000, downtime_catchup_days: 7, group_chats: 'ignore', polling_backlog_max_age_ms: 300_000 });
    assert.deepEqual(c.bitrix24, { plan: 'standard', route_around_after_ms: 300_000 });
    assert.deepEqual([c.bots, c.portals, c.routes], [[], [], []]);
    assert.deepEqual(r.warnings, []);
  });

  test('settings that do not configure a bot or an app keep the sandbox', () => {
    const r = okConfig(loadConfig({ PORT: '4000', LOG_LEVEL: 'debug', CONFIG_FILE: 'c.yaml' }, fileOf('workers:\n  concurrency: 2\n')));
    assert.equal(r.mode, 'sandbox');
    assert.equal(r.config.server.port, 4000);
    assert.equal(r.config.workers.concurrency, 2);
  });

  test('MAX_BOT_TOKEN and BITRIX24_CLIENT_ID: production with bot and portal "default", plan limits, the default route', () => {
    const r = okConfig(loadConfig({ ...PROD_ENV, BITRIX24_LINE_ID: '7', PORT: '8080' }, noFile));
    assert.equal(r.mode, 'production');
    assert.equal(r.config.server.port, 8080);
    const [bot] = r.config.bots;
    assert.equal(bot?.id, 'default');
    assert.equal(bot?.token, PROD_ENV.MAX_BOT_TOKEN);
    assert.equal(bot?.updates, 'webhook');
    assert.equal(bot?.api_url, 'https://platform-api2.max.ru');
    const [portal] = r.config.portals;
    assert.equal(portal?.id, 'default');
    assert.equal(portal?.client_id, PROD_ENV.BITRIX24_CLIENT_ID);
    assert.equal(portal?.client_secret, PROD_ENV.BITRIX24_CLIENT_SECRET);
    assert.deepEqual(portal?.limits, { drain_per_second: 2, burst: 50 });
    assert.equal(portal?.line_id, 7);
    assert.deepEqual(r.config.routes, [{ bot: '*', portal: 'default', line_id: 7 }]);
  });

  test('BITRIX24_PLAN=enterprise: 5 requests/s with burst 250', () => {
    const r = okConfig(loadConfig({ ...PROD_ENV, BITRIX24_PLAN: 'enterprise' }, noFile));
    assert.deepEqual(r.config.portals[0]?.limits, { drain_per_second: 5, burst: 250 });
  });

  test('partial configuration is an error naming what is missing, never a silent sandbox', () => {
    const tokenOnly = errorsOf(loadConfig({ MAX_BOT_TOKEN: 'max-token-0123456789' }, noFile));
    assert.match(tokenOnly[0] ?? '', /^BITRIX24_CLIENT_ID is missing: MAX_BOT_TOKEN is set.*fix: set BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET/);
    const appOnly = errorsOf(loadConfig({ BITRIX24_CLIENT_ID: 'app', BITRIX24_CLIENT_SECRET: 'secret' }, noFile));
    assert.match(appOnly[0] ?? '', /^MAX_BOT_TOKEN is missing: BITRIX24_CLIENT_ID is set.*fix: set MAX_BOT_TOKEN/);
    const noSecret = errorsOf(loadConfig({ ...PROD_ENV, BITRIX24_CLIENT_SECRET: '' }, noFile));
    assert.ok(noSecret.some((e) => /^portals\[0\]\.client_secret: is missing.*fix: set BITRIX24_CLIENT_SECRET/.test(e)), noSecret.join('\n'));
    const fileBotsOnly = errorsOf(loadConfig({ CONFIG_FILE: 'c.yaml' }, fileOf('bots:\n  - id: a\n    token: token-0123456789\n')));
    assert.match(fileBotsOnly[0] ?? '', /^BITRIX24_CLIENT_ID is missing: CONFIG_FILE lists bots/);
  });

  test('production requires BRIDGE_SECRET_KEY and PUBLIC_URL, reporting both at once with how to make the key', () => {
    const errors = errorsOf(loadConfig({ ...PROD_ENV, BRIDGE_SECRET_KEY: '', PUBLIC_URL: '' }, noFile));
    assert.equal(errors.length, 2);
    assert.match(errors[0] ?? '', /^security\.secret_key: is required outside the sandbox.*`openssl rand -hex 32`.*BRIDGE_SECRET_KEY/);
    assert.match(errors[1] ?? '', /^server\.public_url: is required outside the sandbox.*fix: set PUBLIC_URL/);
  });
});

describe('the public address', () => {
  test('a PUBLIC_URL with a trailing slash is stored without it, so no registered address starts its path with "//"', () => {
    const cases: Array<[string, string]> = [
      ['https://bridge.example.ru/', 'https://bridge.example.ru'],
      ['https://bridge.example.ru//', 'https://bridge.example.ru'],
      ['https://bridge.example.ru', 'https://bridge.example.ru'],
      ['https://Bridge.Example.RU:443/', 'https://bridge.example.ru'],
      ['https://example.ru/bridge/', 'https://example.ru/bridge'],
      ['https://example.ru//bridge//max/', 'https://example.ru/bridge/max'],
      ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ];
    for (const [given, stored] of cases) {
      const r = okConfig(loadConfig({ ...PROD_ENV, PUBLIC_URL: given }, noFile));
      assert.equal(r.config.server.public_url, stored, given);
      assert.ok(!`${r.config.server.public_url}/max/webhook/default`.replace(/^https?:\/\//, '').includes('//'), given);
    }
    const fromFile = okConfig(loadConfig({ CONFIG_FILE: 'c.yaml', ...PROD_ENV, PUBLIC_URL: '' }, fileOf('server:\n  public_url: https://file.example.ru/bridge/\n')));
    assert.equal(fromFile.config.server.public_url, 'https://file.example.ru/bridge', 'the same from CONFIG_FILE');
    assert.equal(configSchema.parse({ server: { public_url: 'https://x.example.ru/' } }).server.public_url, 'https://x.example.ru', 'and for a config built in code');
  });

  test('a PUBLIC_URL with a ?query or #fragment is refused, naming the key and why', () => {
    for (const bad of ['https://bridge.example.ru/?a=1', 'https://bridge.example.ru/#x', 'https://user:pw@bridge.example.ru']) {
      const errors = errorsOf(loadConfig({ ...PROD_ENV, PUBLIC_URL: bad }, noFile));
      assert.match(errors.join('\n'), /^server\.public_url \(env PUBLIC_URL\): must not/m, bad);
    }
  });
});

describe('precedence: env over file over default', () => {
  const yaml = [
    'server:', '  port: 4000', '  public_url: https://file.example.ru',
    'security:', '  secret_key: file-secret-key-0123456',
    'log_level: warn',
    'bots:', '  - id: default', '    token: file-token-0123456789', '  - id: other', '    token: other-token-0123456789',
    'bitrix24:', '  client_id: file.app', '  client_secret: file-secret', '  line_id: 2',
    'portals:', '  - id: main',
  ].join('\n');

  test('an env variable wins over the same key in the file; the file wins over the default', () => {
    const r = okConfig(loadConfig({ CONFIG_FILE: 'c.yaml', PORT: '5000', BITRIX24_CLIENT_ID: 'env.app', MAX_BOT_TOKEN: 'env-token-0123456789' }, fileOf(yaml)));
    assert.equal(r.config.server.port, 5000, 'env PORT over file');
    assert.equal(r.config.server.public_url, 'https://file.example.ru', 'file over default');
    assert.equal(r.config.log_level, 'warn');
    assert.equal(r.config.workers.concurrency, 32, 'default');
    assert.equal(r.config.portals[0]?.client_id, 'env.app', 'env BITRIX24_CLIENT_ID over file bitrix24.client_id');
    assert.equal(r.config.portals[0]?.client_secret, 'file-secret');
    assert.deepEqual(r.config.bots.map((b) => [b.id, b.token]), [['default', 'env-token-0123456789'], ['other', 'other-token-0123456789']], 'MAX_BOT_TOKEN overrides the bot "default" only');
  });

  test('a portal\'s own key wins over the bitrix24 section; a bot\'s own key over the max section', () => {
    const own = yaml.replace('  - id: main', '  - id: main\n    client_id: own.app\n    plan: enterprise\n    line_id: 9')
      .replace('log_level: warn', 'log_level: warn\nmax:\n  updates: polling\n  api_url: https://max-test.example.ru')
      .replace('  - id: other\n', '  - id: other\n    api_url: https://platform-api2.max.ru\n');
    const r = okConfig(loadConfig({ CONFIG_FILE: 'c.yaml', BITRIX24_CLIENT_ID: 'env.app' }, fileOf(own)));
    const portal = r.config.portals[0];
    assert.deepEqual([portal?.client_id, portal?.client_secret, portal?.plan, portal?.line_id], ['own.app', 'file-secret', 'enterprise', 9]);
    assert.deepEqual(r.config.bots.map((b) => [b.updates, b.api_url]), [['polling', 'https://max-test.example.ru'], ['polling', 'https://platform-api2.max.ru']]);
  });

  test('env MAX_UPDATES and MAX_API_URL set the defaults of every bot', () => {
    const r = okConfig(loadConfig({ CONFIG_FILE: 'c.yaml', MAX_UPDATES: 'polling', MAX_API_URL: 'http://127.0.0.1:9000' }, fileOf(yaml)));
    assert.ok(r.config.bots.every((b) => b.updates === 'polling' && b.api_url === 'http://127.0.0.1:9000'));
  });

  test('${NAME} in the file reads the env variable (numbers stay numbers)', () => {
    const withRefs = yaml.replace('file-token-0123456789', '${BOT_A}').replace('line_id: 2', 'line_id: ${LINE}');
    const r = okConfig(loadConfig({ CONFIG_FILE: 'c.yaml', BOT_A: 'from-env-token-01234', LINE: '12' }, fileOf(withRefs)));
    assert.equal(r.config.bots[0]?.token, 'from-env-token-01234');
    assert.equal(r.config.portals[0]?.line_id, 12);
  });
});

describe('several bots and portals', () => {
  const yaml = [
    'server:', '  public_url: https://b.example.ru', 'security:', '  secret_key: file-secret-key-0123456',
    'bots:', '  - id: sales', '    token: sales-token-0123456', '  - id: support', '    token: support-token-0123', '    updates: polling',
    '    webhook_secret: support_secret',
    'portals:', '  - id: ru', '    client_id: a', '    client_secret: b', '    plan: enterprise',
    '  - id: kz', '    client_id: c', '    client_secret: d', '    limits:', '      drain_per_second: 1', '      burst: 10',
    'routes:', '  - bot: sales', '    portal: ru', '    line_id: 4', '  - bot: "*"', '    portal: kz',
  ].join('\n');

  test('bots, portals with their limits, routes as written', () => {
    const r = okConfig(loadConfig({ CONFIG_FILE: 'x.yaml' }, fileOf(yaml)));
    assert.equal(r.mode, 'production');
    assert.deepEqual(r.config.bots.map((b) => [b.id, b.updates]), [['sales', 'webhook'], ['support', 'polling']]);
    assert.deepEqual(r.config.portals.map((p) => p.limits), [{ drain_per_second: 5, burst: 250 }, { drain_per_second: 1, burst: 10 }]);
    assert.deepEqual(r.config.routes, [{ bot: 'sales', portal: 'ru', line_id: 4 }, { bot: '*', portal: 'kz' }]);
  });

  test('a bot without webhook_secret gets one derived from the secret key: stable, per bot, accepted by MAX', () => {
    const r = okConfig(loadConfig({ CONFIG_FILE: 'x.yaml' }, fileOf(yaml)));
    const [sales, support] = r.config.bots;
    assert.equal(support?.webhook_secret, 'support_secret', 'an explicit secret is kept');
    assert.equal(sales?.webhook_secret, deriveWebhookSecret('file-secret-key-0123456', 'sales'));
    assert.match(sales?.webhook_secret ?? '', /^[A-Za-z0-9_-]{5,256}$/);
    assert.notEqual(deriveWebhookSecret('file-secret-key-0123456', 'sales'), deriveWebhookSecret('file-secret-key-0123456', 'support'));
    assert.notEqual(deriveWebhookSecret('file-secret-key-0123456', 'sales'), deriveWebhookSecret('another-secret-key-0000', 'sales'));
  });

  test('the sandbox can build its config straight from the schema, with the same completion', () => {
    const c = configSchema.parse({ portals: [{ id: 'p', client_id: 'x', client_secret: 'y' }], bots: [{ id: 'b', token: 'token-0123456789' }] });
    assert.deepEqual(c.routes, [{ bot: '*', portal: 'p', line_id: undefined }]);
    assert.deepEqual(c.portals[0]?.limits, { drain_per_second: 2, burst: 50 });
    assert.equal(c.bots[0]?.webhook_secret, undefined, 'no secret key, nothing derived');
  });
});
