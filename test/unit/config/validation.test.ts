import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { checkServiceUrl } from '../../../src/config/url-rules.ts';
import { errorFor, errorsOf, fileOf, noFile, okConfig, PROD_ENV } from './helpers.ts';

describe('each error names the key (env variable or YAML line) and the fix', () => {
  const cases: Array<[string, Record<string, string>, string, RegExp]> = [
    ['PORT not a number', { PORT: 'eighty' }, 'server.port (env PORT)', /must be a number; fix: a TCP port from 1 to 65535/],
    ['PORT out of range', { PORT: '99999' }, 'server.port (env PORT)', /must be at most 65535; fix:/],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, 'log_level (env LOG_LEVEL)', /must be one of: fatal, error, warn, info, debug, trace/],
    ['MAX_UPDATES unknown', { MAX_UPDATES: 'push' }, 'max.updates (env MAX_UPDATES)', /must be one of: webhook, polling; fix:/],
    ['SYSTEM_MESSAGES unknown', { SYSTEM_MESSAGES: 'hide' }, 'messages.system_messages (env SYSTEM_MESSAGES)', /one of: forward, rewrite, drop/],
    ['OPERATOR_NAME unknown', { OPERATOR_NAME: 'remove' }, 'messages.operator_name (env OPERATOR_NAME)', /one of: keep, strip/],
    ['WORKER_CONCURRENCY zero', { WORKER_CONCURRENCY: '0' }, 'workers.concurrency (env WORKER_CONCURRENCY)', /must be at least 1; fix: a whole number from 1 to 256/],
    ['JOURNAL_RETENTION_DAYS fractional', { JOURNAL_RETENTION_DAYS: '1.5' }, 'journal.retention_days (env JOURNAL_RETENTION_DAYS)', /must be a whole number; fix:/],
    ['BODY_LIMIT_BYTES tiny', { BODY_LIMIT_BYTES: '10' }, 'server.body_limit_bytes (env BODY_LIMIT_BYTES)', /at least 1024; fix:/],
    ['BITRIX24_LINE_ID text', { BITRIX24_LINE_ID: 'main' }, 'bitrix24.line_id (env BITRIX24_LINE_ID)', /must be a number; fix: the number of an Open Line/],
    ['BITRIX24_PLAN unknown', { BITRIX24_PLAN: 'pro' }, 'bitrix24.plan (env BITRIX24_PLAN)', /standard, enterprise; fix:/],
    ['DATABASE_URL other engine', { DATABASE_URL: 'mysql://u:p@h/db' }, 'database.url (env DATABASE_URL)', /scheme mysql:\/\/.*fix: use a file path for SQLite/],
    ['MAX_WEBHOOK_SECRET bad chars', { MAX_WEBHOOK_SECRET: 'has spaces here' }, 'bots[0].webhook_secret (env MAX_WEBHOOK_SECRET)', /5–256 characters.*fix: remove it to derive one from BRIDGE_SECRET_KEY/],
    ['BRIDGE_SECRET_KEY short', { BRIDGE_SECRET_KEY: 'short' }, 'security.secret_key (env BRIDGE_SECRET_KEY)', /too short \(at least 16 characters\); fix: .*`openssl rand -hex 32`/],
    ['ADMIN_TOKEN short', { ADMIN_TOKEN: 'short' }, 'security.admin_token (env ADMIN_TOKEN)', /too short.*fix: .*`openssl rand -hex 24`, or remove it to turn the admin API off/],
    ['MAX_BOT_TOKEN short', { MAX_BOT_TOKEN: 'abc' }, 'bots[0].token (env MAX_BOT_TOKEN)', /too short.*fix: the bot token from MAX for business/],
    ['PUBLIC_URL not a URL', { PUBLIC_URL: 'bridge.example.ru' }, 'server.public_url (env PUBLIC_URL)', /is not a URL.*; fix: the https:\/\/ address/],
  ];
  for (const [name, env, key, message] of cases) {
    test(name, () => {
      const errors = errorsOf(loadConfig({ ...PROD_ENV, ...env }, noFile));
      assert.match(errorFor(errors, `${key}: `), message);
    });
  }

  test('all problems are reported at once, not just the first', () => {
    const errors = errorsOf(loadConfig({ ...PROD_ENV, PORT: 'x', LOG_LEVEL: 'loud', MAX_UPDATES: 'push', BRIDGE_SECRET_KEY: 'short', PUBLIC_URL: 'ftp://x' }, noFile));
    for (const key of ['server.port', 'log_level', 'max.updates', 'security.secret_key', 'server.public_url']) errorFor(errors, `${key} `);
    assert.equal(errors.length, 5);
  });

  test('YAML errors carry the line; unknown keys suggest the near one; cross references name the known ids', () => {
    const yaml = [
      'server:', '  prot: 3000', 'bots:', '  - id: Sales', '    token: sales-token-0123456', '    updates: push',
      'portals:', '  - id: ru', '    client_id: 12345', '    client_secret: s', '  - id: ru',
      'routes:', '  - bot: nobody', '    portal: nowhere',
    ].join('\n');
    const errors = errorsOf(loadConfig({ CONFIG_FILE: 'c.yaml', BRIDGE_SECRET_KEY: PROD_ENV.BRIDGE_SECRET_KEY, PUBLIC_URL: PROD_ENV.PUBLIC_URL }, fileOf(yaml)));
    assert.match(errorFor(errors, 'server.prot '), /^server\.prot \(line 2\): is not a known key; fix: did you mean "port"\?/);
    assert.match(errorFor(errors, 'bots[0].id '), /\(line 4\): must be 1–63 lowercase letters/);
    assert.match(errorFor(errors, 'bots[0].updates '), /\(line 6\): must be one of: webhook, polling/);
    assert.match(errorFor(errors, 'portals[0].client_id '), /\(line 9\): must be text \(quote it in YAML/);
    assert.match(errorFor(errors, 'portals[1].id '), /\(line 11\): "ru" is used twice in portals; fix: give each entry its own id/);
    assert.match(errorFor(errors, 'portals[1].client_id '), /\(line 11\): is missing and bitrix24\.client_id is not set either; fix: set BITRIX24_CLIENT_ID/);
    assert.match(errorFor(errors, 'routes[0].bot '), /\(line 13\): no bot has the id "nobody"; fix: use one of Sales or "\*"/);
    assert.match(errorFor(errors, 'routes[0].portal '), /\(line 14\): no portal has the id "nowhere"; fix: use one of ru/);
  });

  test('several portals need routes; a bot without a route is named', () => {
    const base = 'bots:\n  - id: a\n    token: a-token-0123456789\n  - id: b\n    token: b-token-0123456789\nbitrix24:\n  client_id: x\n  client_secret: y\nportals:\n  - id: p1\n  - id: p2\n';
    const env = { CONFIG_FILE: 'c.yaml', BRIDGE_SECRET_KEY: PROD_ENV.BRIDGE_SECRET_KEY, PUBLIC_URL: PROD_ENV.PUBLIC_URL };
    assert.match(errorFor(errorsOf(loadConfig(env, fileOf(base))), 'routes: '), /2 portals but no routes.*fix: add routes/);
    const partial = errorsOf(loadConfig(env, fileOf(`${base}routes:\n  - bot: a\n    portal: p1\n`)));
    assert.match(errorFor(partial, 'routes'), /bot b has no default route.*fix: add a route without `when`/);
    okConfig(loadConfig(env, fileOf(`${base}routes:\n  - bot: a\n    portal: p1\n  - bot: "*"\n    portal: p2\n`)));
  });

  test('CONFIG_FILE problems: unreadable, bad syntax, not a mapping, missing ${VAR}', () => {
    assert.match(errorsOf(loadConfig({ CONFIG_FILE: 'missing.yaml' }, noFile))[0] ?? '', /^CONFIG_FILE: cannot read "missing\.yaml"; fix: check the path/);
    assert.match(errorsOf(loadConfig({ CONFIG_FILE: 'c.yaml' }, fileOf('server:\n  port: [1\n')))[0] ?? '', /^CONFIG_FILE \(line \d+\): YAML syntax error: .*; fix the indentation or quoting/);
    assert.match(errorsOf(loadConfig({ CONFIG_FILE: 'c.yaml' }, fileOf('- just\n- a list\n')))[0] ?? '', /must be a YAML mapping.*fix: start from config\/example\.yaml/);
    const missing = errorsOf(loadConfig({ CONFIG_FILE: 'c.yaml' }, fileOf('security:\n  secret_key: ${MY_KEY}\n')));
    assert.deepEqual(missing, ['security.secret_key (line 2): refers to ${MY_KEY}, which is not set; fix: export MY_KEY (or write the value in the file)'],
      'reported once, not again as "too short" for the placeholder');
  });

  test('misspelt env variables of ours are warned about, with the near name; those the file refers to are not', () => {
    const r = okConfig(loadConfig({ MAX_BOT_TOKN: 'x', BITRIX24_SOMETHING: 'y', HOME: '/root', MAX_LEVEL: 'debug', CONFIG_FILE: 'c.yaml' }, fileOf('log_level: ${MAX_LEVEL}\n')));
    assert.equal(r.config.log_level, 'debug');
    assert.deepEqual(r.warnings, [
      'BITRIX24_SOMETHING: not a setting of the bridge, ignored',
      'MAX_BOT_TOKN: not a setting of the bridge, ignored; did you mean MAX_BOT_TOKEN?',
    ]);
  });
});

describe('secrets are never echoed', () => {
  const MARK = 'S3CR3T';
  test('no secret value appears in errors or warnings, whatever is wrong with it', () => {
    const env = {
      MAX_BOT_TOKEN: `${MARK}1`, BRIDGE_SECRET_KEY: `${MARK}2`, ADMIN_TOKEN: `${MARK}3`, MAX_WEBHOOK_SECRET: `${MARK} 4!`,
      DATABASE_URL: `mysql://user:${MARK}5@db/x`, PUBLIC_URL: `http://user:${MARK}6@bridge.example.ru`, MAX_API_URL: `ftp://${MARK}7`,
      BITRIX24_CLIENT_SECRET: `${MARK}8`, BITRIX24_CLIENT_ID: '', MAX_BOT_TOKEM: `${MARK}9`, CONFIG_FILE: 'c.yaml',
    };
    const yaml = `portals:\n  - id: p\n    client_secret: ${MARK}10\n    limits: ${MARK}11\nbots:\n  - id: b\n    token: [${MARK}12]\n`;
    const r = loadConfig(env, fileOf(yaml));
    const text = [...errorsOf(r), ...r.warnings].join('\n');
    assert.ok(text.length > 200, 'there are errors to check');
    assert.ok(!text.includes(MARK), `a secret leaked:\n${text}`);
    const broken = loadConfig({ CONFIG_FILE: 'c.yaml' }, fileOf(`bots:\n  - id: b\n    token: "${MARK}13\n  - x: [\n`));
    assert.ok(!errorsOf(broken).join('\n').includes(MARK), 'YAML syntax errors do not quote the source');
  });
});

describe('http:// only for loopback hosts', () => {
  test('loopback http is accepted for PUBLIC_URL, MAX_API_URL and portal addresses', () => {
    for (const url of ['http://127.0.0.1:3000', 'http://127.5.6.7', 'http://localhost:8080', 'http://[::1]:1']) {
      const yaml = `portals:\n  - id: p\n    url: ${url}\n`;
      okConfig(loadConfig({ ...PROD_ENV, PUBLIC_URL: url, MAX_API_URL: url, CONFIG_FILE: 'c.yaml' }, fileOf(yaml)));
    }
  });

  test('http to any other host is refused, naming the key and the rule', () => {
    const yaml = 'portals:\n  - id: p\n    url: http://company.bitrix24.ru\n';
    const errors = errorsOf(loadConfig({ ...PROD_ENV, PUBLIC_URL: 'http://10.0.0.5', MAX_API_URL: 'http://platform-api2.max.ru', CONFIG_FILE: 'c.yaml' }, fileOf(yaml)));
    const rule = /must be https:\/\/ \(plain http:\/\/ is accepted only for 127\.0\.0\.1, ::1 and localhost\); fix:/;
    assert.match(errorFor(errors, 'server.public_url (env PUBLIC_URL)'), rule);
    assert.match(errorFor(errors, 'max.api_url (env MAX_API_URL)'), rule);
    assert.match(errorFor(errors, 'portals[0].url (line 3)'), rule);
  });

  test('look-alike hosts are not loopback', () => {
    for (const url of ['http://127.0.0.1.example.ru', 'http://localhost.example.ru', 'http://128.0.0.1', 'http://[::2]']) {
      assert.ok(checkServiceUrl(url), url);
    }
    assert.equal(checkServiceUrl('https://anything.example.ru:8443/x'), null);
  });

  test('webhook bots need PUBLIC_URL without a port (MAX delivers only to 443); polling bots do not', () => {
    const errors = errorsOf(loadConfig({ ...PROD_ENV, PUBLIC_URL: 'https://bridge.example.ru:8443' }, noFile));
    assert.match(errorFor(errors, 'server.public_url (env PUBLIC_URL)'), /has port 8443.*only to port 443.*fix:/);
    okConfig(loadConfig({ ...PROD_ENV, PUBLIC_URL: 'https://bridge.example.ru:8443', MAX_UPDATES: 'polling' }, noFile));
    okConfig(loadConfig({ ...PROD_ENV, PUBLIC_URL: 'http://127.0.0.1:3000' }, noFile));
  });
});
