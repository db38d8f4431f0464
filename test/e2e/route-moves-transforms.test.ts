/**
 * A route's transforms and moving a conversation by hand, end to end against the
 * emulators (docs/configuration.md, "Routes"):
 * - the client card and prefixes as configured; a code hook that changes, drops,
 *   throws, never returns or loops forever — the last three leave the message
 *   delivered unchanged within the time limit, counted in /metrics;
 * - `/route <name>` typed by the operator moves the conversation (the command never
 *   reaches the client) with a note on both lines; the admin API moves it too, and
 *   explains where a sample update would go without sending anything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN } from '../../src/cli/sandbox.ts';
import { bridgeWorldFor } from '../helpers/bridge-world.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, until } from '../helpers/e2e.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const METRICS = 'metrics-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'bridge-hooks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const hook = join(dir, 'hook.mjs');
writeFileSync(hook, `
export function transformInbound(message) {
  if (message.text.includes('throw')) throw new Error('the hook broke');
  if (message.text.includes('hang')) return new Promise(() => {});
  if (message.text.includes('loop')) { for (;;) {} }
  if (message.text.includes('drop')) return null;
  if (message.text.includes('upper')) return { ...message, text: message.text.toUpperCase() };
  return message;
}
export function transformOutbound(message) {
  return message.text.includes('secret') ? { ...message, text: message.text.replace('secret', '***') } : message;
}
`);

for (const engine of testEngines()) {
  describe(`route transforms and moves (${engine.name})`, () => {
    const world = bridgeWorldFor(engine, {
      config: async (sandbox, port) => {
        // Line 2 exists before the app is installed: the setup connects both.
        await postOk(`${sandbox.bitrix24.controlUrl}/portals/0/lines`, { name: 'VIP' });
        return {
          server: { port, public_url: `http://127.0.0.1:${port}` },
          security: { secret_key: 'route-moves-secret-key-0123456789', admin_token: ADMIN, metrics_token: METRICS },
          workers: { line_reorder_window_ms: 0, transform_timeout_ms: 300 },
          bots: [{ id: 'shop', token: SANDBOX_BOT_TOKEN, webhook_secret: 'shop_secret', api_url: sandbox.max.baseUrl }],
          portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
          routes: [
            // Line 9 does not exist on the portal: it cannot be set up, and its route falls back.
            { name: 'ghost', when: { text_contains: 'ghost' }, to: { portal: 'main', line_id: 9 }, fallback: { portal: 'main', line_id: 1 } },
            { name: 'vip', when: { text_contains: 'vip' }, to: { portal: 'main', line_id: 2 } },
            {
              name: 'default', to: { portal: 'main', line_id: 1 },
              transform: { card: 'Клиент: {{name}} · {{route}} · {{source}}', prefix: '[{{route}}] ', outbound_prefix: '— ', module: hook },
            },
          ],
        };
      },
    });
    const portal = () => world().sandbox.bitrix24.context.portals[0]!;
    const lineMessages = (lineId: number) => [...portal().chats.values()].filter((c) => c.lineId === lineId)
      .flatMap((c) => c.messageIds.map((id) => portal().messages.get(id)?.text ?? ''));
    const write = (userId: number, text: string) => postOk(`${world().sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: 'Ирина' }, text });
    const admin = (path: string, body: unknown) => fetch(`${world().bridge.url}${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const botMessages = (userId: number) => [...world().sandbox.max.world.messages.values()]
      .filter((m) => m.fromBot && m.message.recipient.user_id === userId).map((m) => m.message.body.text ?? '');

    test('a line a route names but that cannot be set up is named on /ready; its route falls back, the operator told why', async () => {
      const ready = await until(async () => {
        const body = await (await fetch(`${world().bridge.url}/ready`)).json() as { problems?: string[] };
        return body.problems?.find((p) => p.includes('линия 9 портала main') && p.includes('cannot be set up')) ?? undefined;
      });
      assert.match(ready, /приостановлена/);
      await write(810_009, 'ghost please');
      await until(() => (lineMessages(1).some((t) => t.includes('ghost please')) ? true : undefined));
      assert.ok(lineMessages(1).some((t) => t.includes('Маршрут «ghost»') && t.includes('main:9')), `the note: ${lineMessages(1).join(' | ')}`);
    });

    test('card and prefix; a hook that changes or drops; one that throws, hangs or loops leaves the message unchanged, counted', async () => {
      await write(810_001, 'первое upper');
      await until(() => (lineMessages(1).some((t) => t.includes('ПЕРВОЕ UPPER')) ? true : undefined));
      assert.ok(lineMessages(1).some((t) => t.includes('Клиент: Ирина · default · —')), `the card: ${lineMessages(1).join(' | ')}`);
      assert.ok(lineMessages(1).some((t) => t.includes('[default] ПЕРВОЕ UPPER')), 'the prefix, then the hook\'s text');
      const started = Date.now();
      for (const word of ['throw', 'hang', 'loop']) await write(810_001, `${word} please`);
      await write(810_001, 'drop this');
      await write(810_001, 'last one');
      await until(() => (lineMessages(1).some((t) => t.includes('last one')) ? true : undefined));
      for (const word of ['throw', 'hang', 'loop']) assert.ok(lineMessages(1).some((t) => t.includes(`[default] ${word} please`)), `${word}: delivered unchanged`);
      assert.ok(!lineMessages(1).some((t) => t.includes('drop this')), 'dropped by the hook');
      assert.ok(Date.now() - started < 20_000, 'within the time limits, not stuck');
      const metrics = await (await fetch(`${world().bridge.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } })).text();
      for (const outcome of ['failed', 'timeout', 'dropped', 'changed']) {
        assert.match(metrics, new RegExp(`bridge_transform_hook_total\\{route="default",direction="inbound",outcome="${outcome}"\\} [1-9]`), outcome);
      }
      assert.match(metrics, /bridge_transform_hook_total\{route="default",direction="inbound",outcome="timeout"\} 2/, 'hang and loop both timed out');
    });

    test('/route typed by the operator moves the conversation, never reaches the client; both lines get a note', async () => {
      const user = 810_002;
      await write(user, 'where am I');
      const chat = await until(() => [...portal().chats.values()].find((c) => c.lineId === 1 && c.messageIds.some((id) => portal().messages.get(id)?.text.includes('where am I'))));
      await postOk(`${world().sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, { text: 'a secret answer' });
      await until(() => (botMessages(user).some((t) => t.includes('— a *** answer')) ? true : undefined));
      await postOk(`${world().sandbox.bitrix24.controlUrl}/portals/0/chats/${chat.chatId}/reply`, { text: '/route vip' });
      await until(async () => ((await world().bridge.store.conversations.get(chat.externalChatId as never))?.lineRef === 'main:2' ? true : undefined));
      await until(() => (chat.messageIds.some((id) => portal().messages.get(id)?.text.includes('Диалог переведён на маршрут «vip»')) ? true : undefined));
      await write(user, 'now on vip');
      await until(() => (lineMessages(2).some((t) => t.includes('now on vip')) ? true : undefined));
      assert.ok(lineMessages(2).some((t) => t.includes('Диалог переведён сюда')), 'the note on the new line');
      assert.ok(!botMessages(user).some((t) => t.includes('/route')), 'the command never reached the client');
    });

    test('the admin API explains without sending, shows a conversation\'s route and moves it; bad input is refused', async () => {
      const explained = await admin('/admin/routes/explain', { bot: 'shop', text: 'I am a VIP' });
      assert.equal(explained.status, 200);
      const body = await explained.json() as { route: string; line: string; why: string[] };
      assert.deepEqual([body.route, body.line], ['vip', 'main:2']);
      assert.ok(body.why.length > 0);
      assert.equal((await admin('/admin/routes/explain', { bot: 'shop', at: 'tomorrow' })).status, 400);
      const user = 810_003;
      await write(user, 'move me');
      const id = await until(async () => (await world().bridge.store.db.selectFrom('conversations').select('id').where('max_user_id', '=', String(user)).executeTakeFirst())?.id);
      const shown = await (await fetch(`${world().bridge.url}/admin/conversations/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json() as { route: string; line: string };
      assert.deepEqual([shown.route, shown.line], ['default', 'main:1']);
      assert.equal((await admin(`/admin/conversations/${id}/route`, { route: 'nowhere' })).status, 400);
      assert.equal((await admin('/admin/conversations/shop:1/route', { route: 'vip' })).status, 404);
      const moved = await admin(`/admin/conversations/${id}/route`, { route: 'vip' });
      assert.equal(moved.status, 202);
      await until(async () => ((await world().bridge.store.conversations.get(id as never))?.lineRef === 'main:2' ? true : undefined));
      const record = await (await fetch(`${world().bridge.url}/admin/conversations/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json() as { routed: { via: string; why: { ru: string[] } } };
      assert.equal(record.routed.via, 'moved');
      assert.match(record.routed.why.ru[0] ?? '', /администратор/);
    });
  });
}
