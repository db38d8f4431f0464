/**
 * The admin UI's Setup page (src/admin/pages/setup.ts) against a running bridge and both
 * emulators over HTTP, on each storage engine. The bridge runs from a CONFIG_FILE with
 * comments, reloaded as `npm start` reloads it (config-reload.ts):
 * - a good token adds the bot: GET /me asked with it (journaled), the bot written to the file
 *   with its token as `${MAX_BOT_TOKEN_SUPPORT}` and every comment kept, applied live (its
 *   webhook subscription is in the MAX emulator and a client's message reaches the line);
 * - a revoked or unknown token, or MAX not answering, is refused in Russian and nothing is written;
 * - a read-only file: the YAML to paste and the variable are shown, the file unchanged;
 * - choosing another line: the connector is activated on it in the Bitrix24 emulator, the
 *   portal's line_id changed in the file (comments kept);
 * - the pasted token is never in a page, the file, the log lines or the journal; viewers cannot open the page.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import { startMaxEmulator, type MaxEmulator } from '../../emulators/max/index.ts';
import { hashPassword } from '../../src/admin/password.ts';
import { SANDBOX_APP } from '../../src/cli/sandbox.ts';
import type { Env } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/load.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createLogger } from '../../src/log/logger.ts';
import { watchConfig, type ConfigWatch } from '../../src/runtime/config-reload.ts';
import { CONNECTOR_ID, startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { testEngines } from '../helpers/databases.ts';
import { installApp, postOk, until } from '../helpers/e2e.ts';

const SHOP_TOKEN = 'shop-bot-token-0001-abcdef';
const SUPPORT_TOKEN = 'support-bot-token-0002-abcdef';
const POLLING_TOKEN = 'polling-bot-token-0003-abcdef';
const SECRETS = [SHOP_TOKEN, SUPPORT_TOKEN, POLLING_TOKEN, SANDBOX_APP.clientSecret];
const PASSWORD = 'correct horse battery staple 19';

/** A form's fields as the browser sends them. */
const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

for (const engine of testEngines()) {
  describe(`admin UI: Setup page (${engine.name})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-admin-setup-'));
    const file = join(dir, 'bridge.yaml');
    let max: MaxEmulator;
    let bitrix24: Bitrix24Emulator;
    let bridge: Bridge;
    let watch: ConfigWatch;
    let env: Env;
    const logLines: string[] = [];
    let cookie = '';

    /** Every page the tests got, to look for secrets in them at the end. */
    const pages: string[] = [];
    const request = async (method: 'GET' | 'POST', path: string, fields?: Record<string, string>, who = cookie) => {
      const res = await fetch(`${bridge.url}${path}`, {
        method, redirect: 'manual',
        headers: { cookie: who, ...(fields ? { 'content-type': 'application/x-www-form-urlencoded', origin: bridge.url } : {}) },
        body: fields ? formBody(fields) : undefined,
      });
      const body = await res.text();
      pages.push(body);
      return { status: res.status, body, headers: res.headers };
    };
    const login = async (username: string) => {
      const res = await fetch(`${bridge.url}/admin/login`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: bridge.url },
        body: formBody({ username, password: PASSWORD, next: '/admin/' }),
      });
      assert.equal(res.status, 303, await res.text());
      const set = res.headers.getSetCookie().find((c) => c.startsWith('bridge_admin_session='));
      assert.ok(set, 'a session cookie');
      return set.split(';')[0] as string;
    };
    const csrf = async () => {
      const page = await request('GET', '/admin/ui/setup');
      assert.equal(page.status, 200, page.body);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
      assert.ok(token, 'the page carries the CSRF token');
      return token;
    };
    const post = async (fields: Record<string, string>) => request('POST', '/admin/ui/setup', { _csrf: await csrf(), ...fields });
    const configText = () => readFileSync(file, 'utf8');

    before(async () => {
      max = await startMaxEmulator({
        bots: [
          { token: SHOP_TOKEN, name: 'Магазин', username: 'shop_bot' },
          { token: SUPPORT_TOKEN, name: 'Поддержка', username: 'support_bot' },
          { token: POLLING_TOKEN, name: 'Опрос', username: 'polling_bot' },
        ],
      });
      bitrix24 = await startBitrix24Emulator({ port: 0, portalPorts: [0], apps: [SANDBOX_APP] });
      await postOk(`${bitrix24.controlUrl}/portals/0/lines`, { name: 'Поддержка' });
      const port = await freePort();
      writeFileSync(file, [
        '# Мост для проверки страницы «Настройка» / the Setup page\'s test bridge',
        'server:',
        `  port: ${port}`,
        `  public_url: http://127.0.0.1:${port} # loopback: http is allowed`,
        'database:',
        `  url: ${JSON.stringify(await engine.createDatabase())}`,
        'security:',
        '  secret_key: setup-test-secret-key-0123456789',
        'workers:',
        '  line_reorder_window_ms: 0',
        'max:',
        `  api_url: ${max.baseUrl}`,
        '# Боты / bots',
        'bots:',
        '  # the shop\'s bot; its token is in the environment',
        '  - id: shop',
        '    token: ${SHOP_TOKEN}',
        'portals:',
        '  # the emulated portal',
        '  - id: main',
        `    client_id: ${SANDBOX_APP.clientId}`,
        '    client_secret: ${MAIN_CLIENT_SECRET}',
        '    line_id: 1 # the first line, fixed here',
        '',
      ].join('\n'));
      env = { CONFIG_FILE: file, SHOP_TOKEN, MAIN_CLIENT_SECRET: SANDBOX_APP.clientSecret };
      const load = () => loadConfig(env, (path) => readFileSync(path, 'utf8'));
      const loaded = load();
      assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors));
      const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
      bridge = await startBridge(loaded.config, {
        clock: systemClock, logger,
        configSource: { file, env, reload: (why) => watch.reloadNow(why) },
      });
      watch = watchConfig({ load, apply: (next) => bridge.reload(next), log: logger.child({ component: 'config' }), file, intervalMs: 100, onSighup: false });
      await installApp(bitrix24.controlUrl, bridge.url, 'main');
      await bridge.store.adminUsers.add('anna', 'admin', await hashPassword(PASSWORD));
      await bridge.store.adminUsers.add('victor', 'viewer', await hashPassword(PASSWORD));
      cookie = await login('anna');
    });
    after(async () => {
      watch?.stop();
      await bridge?.close();
      await Promise.all([max?.close(), bitrix24?.close()]);
      await engine.dropAll();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the page is in Russian, lists the bot, the portal\'s install address and its lines; a viewer cannot open it', async () => {
      const page = await request('GET', '/admin/ui/setup');
      assert.equal(page.status, 200, page.body);
      assert.match(page.body, /<html lang="ru">/);
      assert.match(page.body, /Добавить бота/);
      assert.match(page.body, /<code>shop<\/code>/);
      assert.ok(page.body.includes(`<code>${bridge.url}/bitrix24/install/main</code>`), 'the install address');
      assert.match(page.body, /Приложение установлено/);
      assert.match(page.body, /<td>Поддержка<\/td>/, 'the portal\'s second line is listed');
      assert.ok(page.body.includes(`Файл ${file}: изменения записываются в него`), 'where the configuration lives');
      const english = await request('GET', '/admin/ui/setup?lang=en');
      assert.match(english.body, /Add a bot/);
      await request('GET', '/admin/ui/setup?lang=ru');
      const viewer = await login('victor');
      const refused = await request('GET', '/admin/ui/setup', undefined, viewer);
      assert.equal(refused.status, 403);
      const overview = await request('GET', '/admin/', undefined, viewer);
      assert.doesNotMatch(overview.body, /href="\/admin\/ui\/setup"/, 'no Setup link for a viewer');
    });

    test('an unknown or revoked token is refused in Russian and nothing is written; so is a token MAX cannot be asked about', async () => {
      const before = configText();
      const unknown = await post({ action: 'add-bot', bot_id: 'support', token: 'not-a-real-token-000000', updates: 'webhook' });
      assert.equal(unknown.status, 422, unknown.body);
      assert.match(unknown.body, /class="notice bad"/);
      assert.match(unknown.body, /MAX не принял токен \(401\)/);
      assert.match(unknown.body, /Ничего не записано/);
      assert.ok(!unknown.body.includes('not-a-real-token-000000'), 'the refused token is not echoed');
      assert.match(unknown.body, /name="bot_id" value="support"/, 'the id is given back to correct');
      // MAX reissued the support bot's token: the old one is refused from now on (as a revoked token is).
      const supportBot = [...max.world.bots.values()].find((b) => b.token === SUPPORT_TOKEN)!;
      await fetch(`${max.controlUrl}/bots/${supportBot.userId}/token`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'reissued-support-token-0002' }) });
      const revoked = await post({ action: 'add-bot', bot_id: 'support', token: SUPPORT_TOKEN, updates: 'webhook' });
      assert.equal(revoked.status, 422);
      assert.match(revoked.body, /MAX не принял токен/);
      await fetch(`${max.controlUrl}/bots/${supportBot.userId}/token`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: SUPPORT_TOKEN }) });
      // The connection dropped on GET /me: MAX not reachable.
      await fetch(`${max.controlUrl}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [{ kind: 'drop', pathPrefix: '/me', remaining: 1 }] }) });
      const unreachable = await post({ action: 'add-bot', bot_id: 'support', token: SUPPORT_TOKEN, updates: 'webhook' });
      await fetch(`${max.controlUrl}/faults`, { method: 'DELETE' });
      assert.equal(unreachable.status, 422, unreachable.body);
      assert.match(unreachable.body, /недоступен из моста/);
      // Bad input is refused before MAX is asked.
      const badId = await post({ action: 'add-bot', bot_id: 'Support Bot', token: SUPPORT_TOKEN, updates: 'webhook' });
      assert.equal(badId.status, 422);
      assert.match(badId.body, /Идентификатор бота: от 1 до 63/);
      const taken = await post({ action: 'add-bot', bot_id: 'shop', token: SUPPORT_TOKEN, updates: 'webhook' });
      assert.equal(taken.status, 422);
      assert.match(taken.body, /уже настроен/);
      assert.equal(configText(), before, 'the file is unchanged');
      assert.equal(env.MAX_BOT_TOKEN_SUPPORT, undefined, 'no token put in the environment');
    });

    test('a good token adds the bot: /me asked, written to the file with comments kept, live at once, subscribed', async () => {
      const before = configText();
      const added = await post({ action: 'add-bot', bot_id: 'support', token: SUPPORT_TOKEN, updates: 'webhook' });
      assert.equal(added.status, 200, added.body);
      assert.match(added.body, /<div class="notice" role="status">/);
      assert.match(added.body, /MAX принял токен: это бот Поддержка \(@support_bot\)/);
      assert.match(added.body, /Мост уже работает с ботом/);
      assert.match(added.body, /MAX_BOT_TOKEN_SUPPORT=&lt;токен бота&gt;/);
      assert.match(added.body, /Подписка на вебхук есть/);
      const after = configText();
      const comments = before.split('\n').flatMap((l) => (l.includes('#') && !l.includes('${') ? [l.slice(l.indexOf('#'))] : []));
      assert.equal(comments.length, 6);
      for (const comment of comments) assert.ok(after.includes(comment), `comment kept: ${comment}`);
      assert.match(after, /- id: support\n {4}token: \$\{MAX_BOT_TOKEN_SUPPORT\}\n {4}updates: webhook/);
      assert.ok(!after.includes(SUPPORT_TOKEN), 'the token is not in the file');
      // GET /me was asked with the new token (journaled under the new bot).
      const me = await bridge.store.db.selectFrom('journal').select(['endpoint', 'status']).where('bot_id', '=', 'support').where('endpoint', '=', 'GET /me').execute();
      assert.ok(me.some((r) => r.status === 200), 'GET /me answered 200');
      // Subscribed in the MAX emulator at the bridge's address for the bot.
      const { subscriptions } = (await (await fetch(`${max.controlUrl}/subscriptions`)).json()) as { subscriptions: Array<{ url: string }> };
      assert.ok(subscriptions.some((s) => s.url === `${bridge.url}/max/webhook/support`), JSON.stringify(subscriptions));
      // Live: a client writing to the new bot reaches the line.
      const supportBot = [...max.world.bots.values()].find((b) => b.token === SUPPORT_TOKEN)!;
      await postOk(`${max.controlUrl}/messages`, { bot_id: supportBot.userId, user: { user_id: 930_001, first_name: 'Ольга' }, text: 'через нового бота' });
      const portal = bitrix24.context.portals[0]!;
      await until(() => ([...portal.messages.values()].some((m) => m.direction === 'in' && m.text.includes('через нового бота')) ? true : undefined));
      // The page now lists it with its token accepted.
      const page = await request('GET', '/admin/ui/setup');
      assert.match(page.body, /<code>support<\/code>/);
    });

    test('a read-only file: the YAML to paste and the variable are shown, the file is not changed', async () => {
      const before = configText();
      chmodSync(file, 0o444);
      try {
        const shown = await post({ action: 'add-bot', bot_id: 'poll', token: POLLING_TOKEN, updates: 'polling' });
        assert.equal(shown.status, 200, shown.body);
        assert.match(shown.body, /только для чтения/);
        assert.match(shown.body, /<pre> {2}- id: poll\n {4}token: \$\{MAX_BOT_TOKEN_POLL\}\n {4}updates: polling<\/pre>/);
        assert.match(shown.body, /MAX_BOT_TOKEN_POLL=&lt;токен бота&gt;/);
        assert.ok(!shown.body.includes(POLLING_TOKEN));
        assert.equal(configText(), before, 'the file is unchanged');
        // Put in the running process's environment, so that the operator's edit reloads live.
        assert.equal(env.MAX_BOT_TOKEN_POLL, POLLING_TOKEN);
      } finally {
        chmodSync(file, 0o644);
      }
    });

    test('choosing another line activates the connector on it and changes the portal\'s line_id in the file', async () => {
      const portal = bitrix24.context.portals[0]!;
      const second = [...portal.lines.values()].find((l) => l.name === 'Поддержка')!;
      assert.equal(second.connectors.has(CONNECTOR_ID), false, 'not connected yet');
      const chosen = await post({ action: 'choose-line', portal: 'main', line: String(second.id) });
      assert.equal(chosen.status, 200, chosen.body);
      assert.match(chosen.body, /<div class="notice" role="status">/);
      assert.match(chosen.body, new RegExp(`Открытая линия № ${second.id} портала «main» подключена к MAX`));
      assert.match(chosen.body, /Прежняя линия № 1 больше не используется/);
      assert.equal(second.connectors.has(CONNECTOR_ID), true, 'the connector is active on the chosen line in the emulator');
      assert.deepEqual(await bridge.store.lines.latestOf('main' as never), { lineId: second.id, active: true });
      const text = configText();
      assert.match(text, new RegExp(`line_id: ${second.id} # the first line, fixed here`));
      assert.match(text, /# the emulated portal/);
      // A line that does not exist is refused.
      const missing = await post({ action: 'choose-line', portal: 'main', line: '999' });
      assert.equal(missing.status, 422);
      assert.match(missing.body, /class="notice bad"/);
      assert.match(missing.body, /нет открытой линии № 999/);
    });

    test('no pasted token in any page, in the log lines or in the journal', async () => {
      for (const body of pages) for (const secret of SECRETS) assert.ok(!body.includes(secret), 'no secret in a page');
      const log = logLines.join('\n');
      for (const secret of SECRETS) assert.ok(!log.includes(secret), 'no secret in the log');
      const rows = await bridge.store.db.selectFrom('journal').selectAll().execute();
      const journal = JSON.stringify(rows);
      for (const secret of SECRETS) assert.ok(!journal.includes(secret), 'no secret in the journal');
    });
  });
}
