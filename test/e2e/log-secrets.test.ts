/**
 * Secrets never reach the logs (bridge + both emulators over HTTP, SQLite: the
 * store plays no part in what is logged). A distinct value is planted in every
 * secret-bearing config field (bot token, webhook secret, both client secrets,
 * the secret key, the admin token); the emulators hand out their own (OAuth
 * access and refresh tokens, renewed once on the way; the application token;
 * the `auth` block of every event) and the bridge makes its own (the `sig` of
 * each media link). A whole round trip with failures runs at level trace, and
 * the output is searched for every one of those values.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import { startMaxEmulator, type MaxEmulator } from '../../emulators/max/index.ts';
import { freePort } from '../../bench/child-process.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createLogger } from '../../src/log/logger.ts';
import { until, waitForSetup } from '../helpers/e2e.ts';

/** One distinct value per secret-bearing config field. */
const PLANTED = {
  'bots[].token': 'planted-bot-token-1f9e8d7c6b',
  'bots[].webhook_secret': 'planted_webhook_secret_2a3b4c',
  'portals[].client_secret': 'planted-portal-client-secret-3c4d5e',
  'bitrix24.client_secret': 'planted-app-client-secret-4d5e6f7a',
  'security.secret_key': 'planted-secret-key-5e6f7a8b9c0d1e2f',
  'security.admin_token': 'planted-admin-token-6f7a8b9c0d1e',
};
const CLIENT_ID = 'local.log-secrets.test';

describe('secrets in the logs', () => {
  let max: MaxEmulator;
  let b24: Bitrix24Emulator;
  let bridge: Bridge;
  const dir = mkdtempSync(join(tmpdir(), 'bridge-log-secrets-'));
  const lines: string[] = [];
  /** Secrets the emulators and the bridge made on the way (tokens, application token, media signatures). */
  const handedOut = new Set<string>();

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) => fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  const portal = () => b24.context.portals[0]!;
  const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
  const lineMessagesOf = (userId: number) => (lineChatOf(userId)?.messageIds ?? []).map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in');
  const botTexts = (userId: number) => {
    const chat = [...max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
    return (chat?.mids ?? []).map((mid) => max.world.messages.get(mid)!).filter((m) => m.fromBot).map((m) => m.message.body.text ?? '');
  };
  /** Every token the emulated portal has issued and still knows, and its application token. */
  const collectTokens = () => {
    for (const token of b24.context.accessTokens.keys()) handedOut.add(token);
    for (const token of b24.context.refreshTokens.keys()) handedOut.add(token);
    for (const install of portal().installs.values()) handedOut.add(install.applicationToken);
  };

  before(async () => {
    max = await startMaxEmulator({ host: '127.0.0.1', port: 0, bots: [{ token: PLANTED['bots[].token'], name: 'Бот магазина' }], attachmentNotReadyMs: 0 });
    b24 = await startBitrix24Emulator({ host: '127.0.0.1', port: 0, portalPorts: [0], apps: [{ clientId: CLIENT_ID, clientSecret: PLANTED['portals[].client_secret'] }] });
    const port = await freePort();
    const config = configSchema.parse({
      server: { port, public_url: `http://127.0.0.1:${port}` },
      database: { url: join(dir, 'bridge.sqlite') },
      security: { secret_key: PLANTED['security.secret_key'], admin_token: PLANTED['security.admin_token'] },
      log_level: 'trace',
      workers: { line_reorder_window_ms: 0 },
      bitrix24: { client_secret: PLANTED['bitrix24.client_secret'] },
      bots: [{ id: 'shop', token: PLANTED['bots[].token'], webhook_secret: PLANTED['bots[].webhook_secret'], api_url: max.baseUrl }],
      portals: [{ id: 'main', client_id: CLIENT_ID, client_secret: PLANTED['portals[].client_secret'], request_timeout_ms: 2_000 }],
      routes: [{ bot: '*', portal: 'main' }],
    });
    const logger = createLogger({ level: config.log_level, destination: { write: (line: string) => void lines.push(line) } });
    bridge = await startBridge(config, { clock: systemClock, logger });
    const installed = await post(`${b24.controlUrl}/portals/0/install`, { clientId: CLIENT_ID, handlerUrl: `${bridge.url}/bitrix24/install/main` });
    assert.equal(installed.status, 200);
    await waitForSetup(b24.controlUrl);
  });
  after(async () => {
    await bridge?.close();
    await Promise.all([max?.close(), b24?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a secret planted in every config field, and every token handed out on the way, never appears in the logs (a round trip with failures at level trace)', async () => {
    // A client's text and file; the file reaches the portal at a signed bridge link.
    await post(`${max.controlUrl}/messages`, { user: { user_id: 7301, first_name: 'Вера' }, text: 'Здравствуйте' });
    await post(`${max.controlUrl}/messages`, {
      user: { user_id: 7301, first_name: 'Вера' }, text: 'Фото',
      attachments: [{ type: 'file', filename: 'счёт.pdf', content_type: 'application/pdf', content_base64: Buffer.from('%PDF-1.4 счёт').toString('base64') }],
    });
    const fetched = await until(() => lineMessagesOf(7301).flatMap((m) => m.files).find((f) => f.fetchStatus !== undefined));
    assert.equal(fetched.fetchStatus, 200, 'the portal fetched the file from the bridge');
    // The bridge's signed link, as it went to the portal: the line outbox keeps the item sent
    // (the journal keeps file links masked, docs/privacy.md; the portal keeps its own copy).
    const link = await until(async () => (await bridge.store.db.selectFrom('line_outbox').select('item_json').execute())
      .map((r) => /"url":"(http[^"]+\/media\/[^"]+)"/.exec(r.item_json)?.[1]).find((url) => url !== undefined));
    const sig = link ? new URL(link).searchParams.get('sig') : null;
    assert.ok(link && sig, `the media link is signed: ${link}`);
    handedOut.add(sig);
    collectTokens();

    // Failures: MAX answers 500 until the send's job gives up a try; the portal refuses a flush;
    // the access tokens expire (the bridge renews them).
    await fetch(`${max.controlUrl}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [{ kind: 'status', status: 500, pathPrefix: '/messages', remaining: 4 }] }) });
    await post(`${b24.controlUrl}/portals/0/chats/${lineChatOf(7301)!.chatId}/reply`, { text: 'Добрый день! Счёт получили.' });
    await until(() => (botTexts(7301).some((t) => t.includes('Счёт получили')) ? true : undefined));
    await fetch(`${b24.controlUrl}/portals/0/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [{ kind: 'status', status: 500, methodPrefix: 'imconnector.send.messages', remaining: 4 }] }) });
    collectTokens();
    await post(`${b24.controlUrl}/portals/0/expire-tokens`, {});
    await post(`${max.controlUrl}/messages`, { user: { user_id: 7301, first_name: 'Вера' }, text: 'Спасибо' });
    await until(() => (lineMessagesOf(7301).some((m) => m.text.includes('Спасибо')) ? true : undefined));
    collectTokens();

    // Callers the bridge refuses, with secrets where a careless log would print them.
    const webhook = await post(`${bridge.url}/max/webhook/shop?token=${PLANTED['bots[].token']}`, { update_type: 'message_created', timestamp: Date.now() }, { 'x-max-bot-api-secret': 'wrong-secret' });
    assert.equal(webhook.status, 401);
    const forged = await fetch(`${bridge.url}/bitrix24/events/main`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `event=ONIMCONNECTORMESSAGEADD&auth[application_token]=${PLANTED['security.admin_token']}&auth[access_token]=${[...handedOut][0]}`,
    });
    assert.ok(forged.status >= 400, `a forged event is refused (${forged.status})`);
    assert.equal((await fetch(link)).status, 200, 'the media link serves the file');
    const tampered = new URL(link);
    tampered.searchParams.set('exp', '1');
    assert.ok((await fetch(tampered)).status >= 400, 'a tampered media link is refused');
    assert.equal((await fetch(link.replace(/\/media\//, '/media-nowhere/'))).status, 404);
    const admin = await fetch(`${bridge.url}/admin/dead-letters?access_token=${PLANTED['security.admin_token']}`, { headers: { authorization: `Bearer ${PLANTED['security.admin_token']}` } });
    assert.equal(admin.status, 200);
    collectTokens();

    const text = lines.join('');
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The output is the real thing: trace and debug lines, the failures, the refused callers.
    assert.ok(entries.some((e) => e.level === 10), 'trace lines were written');
    assert.ok(entries.some((e) => e.msg === 'job failed; retry scheduled' && e.jobId !== undefined), 'a job retry was logged');
    assert.ok(entries.some((e) => e.msg === 'request refused' && String((e.req as { url?: string } | undefined)?.url).startsWith('/max/webhook/shop?token=[redacted]')), 'the refused webhook was logged, its query redacted');
    assert.ok(handedOut.size >= 6, `tokens were handed out on the way: ${handedOut.size}`);
    for (const [field, value] of Object.entries(PLANTED)) assert.ok(!text.includes(value), `${field} leaked into the logs`);
    for (const value of handedOut) assert.ok(!text.includes(value), `a token handed out on the way (${value.slice(0, 4)}…) leaked into the logs`);
  });
});
