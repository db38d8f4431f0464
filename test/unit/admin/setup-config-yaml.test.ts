/**
 * The Setup page's edits of CONFIG_FILE (src/admin/setup/config-yaml.ts) and where it finds the
 * configuration (config-place.ts): a bot appended with its token as a `${VARIABLE}`, the
 * operator's comments, order and other values kept, a portal's line_id set, the variable name
 * chosen so that it clashes with nothing, a file without write bits seen as read-only.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { apiUrlForNewBot } from '../../../src/admin/setup/add-bot.ts';
import { configPlaceOf, tokenVariableFor } from '../../../src/admin/setup/config-place.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { botYamlFile, botYamlItem, fileListsPortal, withBotAdded, withPortalLine } from '../../../src/admin/setup/config-yaml.ts';

const FILE = `# Настройки моста / bridge settings
server:
  port: 3000 # the port
  public_url: https://bridge.example.ru

# Боты / bots
bots:
  # the shop's bot
  - id: shop
    token: \${SHOP_TOKEN}   # kept in the environment
    updates: webhook

portals:
  # Moscow
  - id: msk
    client_id: local.abc
    client_secret: \${MSK_SECRET}
    line_id: 3 # pinned
  - id: spb
routes:
  - name: default
    to: { portal: msk }
`;

test('a bot is appended to bots: with its token as a reference; comments, order and the other keys stay', () => {
  const next = withBotAdded(FILE, { id: 'support', tokenVariable: 'MAX_BOT_TOKEN_SUPPORT', updates: 'polling' });
  for (const comment of ['# Настройки моста / bridge settings', '# the port', '# Боты / bots', '# the shop\'s bot', '# kept in the environment', '# Moscow', '# pinned']) {
    assert.ok(next.includes(comment), `comment "${comment}" kept`);
  }
  const data = parse(next) as { bots: unknown[]; portals: unknown[]; routes: unknown[]; server: unknown };
  assert.deepEqual(data.bots, [
    { id: 'shop', token: '${SHOP_TOKEN}', updates: 'webhook' },
    { id: 'support', token: '${MAX_BOT_TOKEN_SUPPORT}', updates: 'polling' },
  ]);
  assert.deepEqual(data.server, { port: 3000, public_url: 'https://bridge.example.ru' });
  assert.equal(data.portals.length, 2);
  assert.deepEqual(data.routes, [{ name: 'default', to: { portal: 'msk' } }]);
  // The sections keep their order; the new bot sits right after the first one.
  assert.ok(next.indexOf('id: support') > next.indexOf('id: shop') && next.indexOf('id: support') < next.indexOf('portals:'));
});

test('a file without bots, with bots: [] or empty gets a block list of one bot', () => {
  const entry = { id: 'a-1', tokenVariable: 'MAX_BOT_TOKEN_A_1', updates: 'webhook' as const };
  for (const text of ['server:\n  port: 1\n', 'server:\n  port: 1\nbots: []\n', '']) {
    const next = withBotAdded(text, entry);
    assert.deepEqual((parse(next) as { bots: unknown }).bots, [{ id: 'a-1', token: '${MAX_BOT_TOKEN_A_1}', updates: 'webhook' }]);
    assert.match(next, /^bots:\n {2}- id: a-1\n/m);
  }
  assert.throws(() => withBotAdded('- just\n- a list\n', entry), /mapping/);
});

test('the fragments to paste are YAML that parses to the bot, never with a token value', () => {
  const entry = { id: 'support', tokenVariable: 'MAX_BOT_TOKEN_SUPPORT', updates: 'webhook' as const };
  assert.equal(botYamlItem(entry), '  - id: support\n    token: ${MAX_BOT_TOKEN_SUPPORT}\n    updates: webhook');
  assert.deepEqual(parse(botYamlFile(entry)), { bots: [{ id: 'support', token: '${MAX_BOT_TOKEN_SUPPORT}', updates: 'webhook' }] });
});

test("a portal's line_id is set in its own entry only; a portal the file does not list is left alone", () => {
  const next = withPortalLine(FILE, 'msk', 7);
  assert.ok(next);
  const portals = (parse(next) as { portals: Array<Record<string, unknown>> }).portals;
  assert.deepEqual(portals.map((p) => [p.id, p.line_id]), [['msk', 7], ['spb', undefined]]);
  assert.ok(next.includes('# Moscow'));
  assert.equal(withPortalLine(FILE, 'default', 7), null);
  assert.equal(fileListsPortal(FILE, 'spb'), true);
  assert.equal(fileListsPortal(FILE, 'default'), false);
});

test('the token variable is named after the bot and clashes with nothing already in use', () => {
  assert.equal(tokenVariableFor('support', 't0ken-value', {}, FILE), 'MAX_BOT_TOKEN_SUPPORT');
  assert.equal(tokenVariableFor('a-b_c', 't', {}, ''), 'MAX_BOT_TOKEN_A_B_C');
  // Set to another value, or referenced by the file already: the next free name.
  assert.equal(tokenVariableFor('support', 'new', { MAX_BOT_TOKEN_SUPPORT: 'other' }, ''), 'MAX_BOT_TOKEN_SUPPORT_2');
  assert.equal(tokenVariableFor('support', 'new', {}, 'token: ${MAX_BOT_TOKEN_SUPPORT}'), 'MAX_BOT_TOKEN_SUPPORT_2');
  // Set to this very token (added before, then removed from the file): reused.
  assert.equal(tokenVariableFor('support', 'same', { MAX_BOT_TOKEN_SUPPORT: 'same' }, ''), 'MAX_BOT_TOKEN_SUPPORT');
});

test('a new bot reaches MAX at max.api_url, or where every configured bot does when they all set one address (the sandbox)', () => {
  const config = (bots: Array<Record<string, unknown>>) => configSchema.parse({ max: { api_url: 'https://max.example.ru' }, bots });
  assert.equal(apiUrlForNewBot(config([])), 'https://max.example.ru');
  assert.equal(apiUrlForNewBot(config([{ id: 'a', token: '0123456789' }])), 'https://max.example.ru');
  assert.equal(apiUrlForNewBot(config([{ id: 'a', token: '0123456789', api_url: 'http://127.0.0.1:3001' }])), 'http://127.0.0.1:3001');
  assert.equal(apiUrlForNewBot(config([{ id: 'a', token: '0123456789', api_url: 'http://127.0.0.1:3001' }, { id: 'b', token: '9876543210' }])), 'https://max.example.ru');
  const entry = { id: 's', tokenVariable: 'MAX_BOT_TOKEN_S', updates: 'polling' as const, apiUrl: 'http://127.0.0.1:3001' };
  assert.deepEqual(parse(botYamlFile(entry)), { bots: [{ id: 's', token: '${MAX_BOT_TOKEN_S}', updates: 'polling', api_url: 'http://127.0.0.1:3001' }] });
});

test('where the configuration lives: env alone, a writable file, a file without write bits (read-only even for root), a missing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-setup-place-'));
  try {
    const file = join(dir, 'bridge.yaml');
    writeFileSync(file, 'bots: []\n');
    assert.deepEqual(configPlaceOf(null), { kind: 'env' });
    assert.deepEqual(configPlaceOf('  '), { kind: 'env' });
    assert.deepEqual(configPlaceOf(file), { kind: 'file', path: file, writable: true });
    chmodSync(file, 0o444);
    assert.deepEqual(configPlaceOf(file), { kind: 'file', path: file, writable: false });
    assert.deepEqual(configPlaceOf(join(dir, 'missing.yaml')), { kind: 'file', path: join(dir, 'missing.yaml'), writable: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
