/**
 * Routing end to end (docs/configuration.md, "Routes"): two bots, three portals, five
 * lines, against the emulators over HTTP. Each condition kind sends a new conversation
 * where it says; the weighted pool splits new conversations by its weights; a
 * conversation stays on its line until its Open Lines session closes and is routed
 * afresh after; with the pool's lines deleted, new conversations go to the fallback
 * line, whose operator sees why, and nothing is lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import { startMaxEmulator, type MaxEmulator } from '../../emulators/max/index.ts';
import { SANDBOX_APP } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, until } from '../helpers/e2e.ts';

const PORTALS = ['msk', 'spb', 'ekb'] as const;
/** `HH:MM` (UTC) this many hours from now. */
const hhmm = (hoursAhead: number): string => {
  const at = new Date(Date.now() + hoursAhead * 3_600_000);
  return `${String(at.getUTCHours()).padStart(2, '0')}:${at.getUTCMinutes() < 30 ? '00' : '30'}`;
};
const CONNECTOR = 'max_bridge';

for (const engine of testEngines()) {
  describe(`routing across bots, portals and lines (${engine.name})`, () => {
    let max: MaxEmulator;
    let b24: Bitrix24Emulator;
    let bridge: Bridge;
    const botUser = new Map<string, number>();
    let nextUser = 700_000;

    before(async () => {
      max = await startMaxEmulator({ bots: [{ token: 'sales-token-0123456789', name: 'Продажи' }, { token: 'support-token-0123456789', name: 'Поддержка' }] });
      b24 = await startBitrix24Emulator({ apps: [SANDBOX_APP], portals: PORTALS.map(() => ({ limits: { drainPerSecond: 1_000, burst: 10_000 } })) });
      // Lines: msk 1, 2; spb 1, 2; ekb 1 (every emulated portal starts with line 1).
      for (const p of [0, 1]) await postOk(`${b24.controlUrl}/portals/${p}/lines`, { name: 'Вторая линия' });
      const port = await freePort();
      const config = configSchema.parse({
        server: { port, public_url: `http://127.0.0.1:${port}` },
        database: { url: await engine.createDatabase() },
        security: { secret_key: 'routing-test-secret-key-0123456789' },
        workers: { line_reorder_window_ms: 0 },
        log_level: 'error',
        bots: [
          { id: 'sales', token: 'sales-token-0123456789', webhook_secret: 'sales_secret', api_url: max.baseUrl },
          { id: 'support', token: 'support-token-0123456789', webhook_secret: 'support_secret', api_url: max.baseUrl },
        ],
        portals: PORTALS.map((id) => ({ id, client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret, limits: { drain_per_second: 100, burst: 5_000 } })),
        max: { group_chats: 'conversation' },
        routes: [
          { name: 'groups', when: { chat_type: 'chat' }, to: { portal: 'ekb', line_id: 1 } },
          // Twelve hours away from now, for half an hour: now is always outside it.
          { name: 'night', when: { text_contains: 'ночной', outside_hours: { days: 'mon-sun', from: hhmm(12), to: hhmm(12.5), time_zone: 'UTC' } }, to: { portal: 'spb', line_id: 2 } },
          { name: 'vip', bot: 'sales', when: { start_payload: '^vip_' }, to: { portal: 'msk', line_id: 2 } },
          { name: 'complaints', when: { text: '(жалоб|претензи)' }, to: { portal: 'spb', line_id: 2 } },
          { name: 'english', when: { language: 'en' }, to: { portal: 'ekb', line_id: 1 } },
          { name: 'support-day', bot: 'support', when: { text_contains: 'поддержк', hours: { days: 'mon-sun', from: '00:00', to: '24:00', time_zone: 'Europe/Moscow' } }, to: { portal: 'spb', line_id: 1 } },
          {
            name: 'default',
            to: [{ portal: 'msk', line_id: 1, weight: 3 }, { portal: 'spb', line_id: 1, weight: 1 }],
            fallback: { portal: 'ekb', line_id: 1 },
          },
        ],
      });
      bridge = await startBridge(config, { clock: systemClock });
      for (const [i, id] of PORTALS.entries()) {
        const res = await fetch(`${b24.controlUrl}/portals/${i}/install`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ clientId: SANDBOX_APP.clientId, handlerUrl: `${bridge.url}/bitrix24/install/${id}` }),
        });
        assert.equal(res.status, 200, await res.text());
      }
      // Every line a route names gets the connector (the setup job of each portal).
      const lines: Array<[number, number]> = [[0, 1], [0, 2], [1, 1], [1, 2], [2, 1]];
      await until(() => (lines.every(([p, l]) => b24.context.portals[p]?.lines.get(l)?.connectors.has(CONNECTOR)) ? true : undefined), 60_000);
      for (const [i, token] of ['sales-token-0123456789', 'support-token-0123456789'].entries()) {
        const me = await (await fetch(`${max.baseUrl}/me`, { headers: { authorization: token } })).json() as { user_id: number };
        botUser.set(i === 0 ? 'sales' : 'support', me.user_id);
      }
    });
    after(async () => {
      await bridge?.close();
      await max?.close();
      await b24?.close();
      await engine.dropAll();
    });

    /** Where the client's text landed: `<portal>:<line>` of the Open Lines chat holding it. */
    const lineOf = (text: string) => until(() => {
      for (const [i, portal] of b24.context.portals.entries()) {
        for (const message of portal.messages.values()) {
          if (message.direction === 'in' && message.text.includes(text)) return `${PORTALS[i]}:${portal.chats.get(message.chatId)?.lineId}`;
        }
      }
      return undefined;
    }, 60_000);
    const write = async (bot: 'sales' | 'support', text: string, userId = nextUser++, locale?: string) => {
      await postOk(`${max.controlUrl}/messages`, { bot_id: botUser.get(bot), user: { user_id: userId, first_name: `Клиент ${userId}` }, text, ...(locale ? { user_locale: locale } : {}) });
      return userId;
    };

    test('each condition kind routes as configured; the route and why are kept on the conversation', async () => {
      const vip = nextUser++;
      await postOk(`${max.controlUrl}/bot-started`, { bot_id: botUser.get('sales'), user: { user_id: vip, first_name: 'Вип' }, payload: 'vip_42' });
      await write('sales', 'vip-after-start', vip);
      assert.equal(await lineOf('vip-after-start'), 'msk:2', 'start payload ^vip_ → vip');
      await write('support', 'У меня ЖАЛОБА на доставку');
      assert.equal(await lineOf('ЖАЛОБА на доставку'), 'spb:2', 'text (жалоб|претензи), Cyrillic case-insensitive → complaints');
      await write('sales', 'hello from abroad', nextUser++, 'en-GB');
      assert.equal(await lineOf('hello from abroad'), 'ekb:1', 'language en → english');
      await write('support', 'Вопрос в поддержку support-in-hours');
      assert.equal(await lineOf('support-in-hours'), 'spb:1', 'bot support within working hours → support-day');
      await write('support', 'ночной вопрос');
      assert.equal(await lineOf('ночной вопрос'), 'spb:2', 'outside working hours → night');
      const group = Number((await postOk(`${max.controlUrl}/chats`, { bot_id: botUser.get('sales'), title: 'Отдел закупок', owner: { user_id: nextUser++, first_name: 'Олег' } })).chat_id);
      await postOk(`${max.controlUrl}/messages`, { bot_id: botUser.get('sales'), chat_id: group, user: { user_id: nextUser++, first_name: 'Инна' }, text: 'group-question' });
      assert.equal(await lineOf('group-question'), 'ekb:1', 'chat type chat → groups');
      await write('sales', 'plain-sales-question');
      assert.equal(await lineOf('plain-sales-question'), 'msk:1', 'no condition → default pool, first by weight');
      const rows = await bridge.store.db.selectFrom('conversations').select(['route_name', 'route_json', 'line_ref']).execute();
      const vipRow = rows.find((r) => r.route_name === 'vip');
      assert.ok(vipRow, 'the conversation keeps its route');
      const record = JSON.parse(vipRow.route_json ?? '{}') as { why: { ru: string[]; en: string[] } };
      assert.ok(record.why.ru.some((l) => l.includes('vip_42')), `why, in Russian: ${record.why.ru.join(' / ')}`);
      assert.ok(record.why.en.length > 0);
    });

    test('the weighted pool splits 2,000 new conversations by its weights (3:1)', { timeout: 600_000 }, async () => {
      const before = await countsByLine();
      const N = 2_000;
      const users: number[] = [];
      // Both bots: each reads its new clients' profiles within its own MAX limit (30 requests/s).
      await Promise.all((['sales', 'support'] as const).map(async (bot, b) => {
        for (let i = b; i < N; i += 2) users.push(await write(bot, `pool-${i}`));
      }));
      await until(async () => ((await countsByLine()).total - before.total >= N ? true : undefined), 300_000);
      const after = await countsByLine();
      const msk = (after.byLine.get('msk:1') ?? 0) - (before.byLine.get('msk:1') ?? 0);
      const spb = (after.byLine.get('spb:1') ?? 0) - (before.byLine.get('spb:1') ?? 0);
      assert.equal(msk + spb, N, `every pool conversation on msk:1 or spb:1 (${msk} + ${spb})`);
      // The pick is by weight over all the route has sent so far: within one of 3:1 overall.
      const totalMsk = after.byRoute.get('default|msk:1') ?? 0;
      const totalSpb = after.byRoute.get('default|spb:1') ?? 0;
      assert.ok(Math.abs(totalMsk / (totalMsk + totalSpb) - 0.75) <= 0.05, `split ${totalMsk}:${totalSpb} within ±5 % of 3:1`);
    });

    test('a conversation stays on its line until its session closes, then is routed afresh', async () => {
      const user = await write('sales', 'sticky-first');
      const first = await lineOf('sticky-first');
      // The pool would now pick another line for a new conversation, but this one stays.
      for (let i = 0; i < 3; i++) await write('sales', `filler-${i}`);
      await write('sales', 'sticky-second', user);
      assert.equal(await lineOf('sticky-second'), first, 'sticky while the session is open');
      const [portalName, lineId] = first.split(':') as [string, string];
      const portal = b24.context.portals[PORTALS.indexOf(portalName as typeof PORTALS[number])]!;
      const chat = [...portal.chats.values()].find((c) => c.lineId === Number(lineId) && c.messageIds.some((id) => portal.messages.get(id)?.text.includes('sticky-first')));
      assert.ok(chat, 'the Open Lines chat of the conversation');
      await postOk(`${b24.controlUrl}/portals/${PORTALS.indexOf(portalName as typeof PORTALS[number])}/chats/${chat.chatId}/close`, {});
      const conversationId = chat.externalChatId;
      await until(async () => {
        const row = await bridge.store.db.selectFrom('conversations').select('route_open').where('id', '=', conversationId).executeTakeFirst();
        return Number(row?.route_open) === 0 ? true : undefined;
      });
      await write('sales', 'after-close', user);
      await lineOf('after-close');
      const row = await bridge.store.db.selectFrom('conversations').select(['route_open', 'route_json']).where('id', '=', conversationId).executeTakeFirst();
      assert.equal(Number(row?.route_open), 1, 'bound again after its next message');
      assert.ok(JSON.parse(row?.route_json ?? '{}').atMs > 0);
    });

    test('the pool\'s lines deleted: new conversations go to the fallback, whose operator sees why; nothing is lost', async () => {
      await fetch(`${b24.controlUrl}/portals/0/lines/1`, { method: 'DELETE' });
      await fetch(`${b24.controlUrl}/portals/1/lines/1`, { method: 'DELETE' });
      await until(async () => {
        const paused = await bridge.store.db.selectFrom('lines').select('id').where('state', '=', 'paused').execute();
        return ['msk:1', 'spb:1'].every((id) => paused.some((p) => p.id === id)) ? true : undefined;
      });
      await write('sales', 'after-deletion');
      assert.equal(await lineOf('after-deletion'), 'ekb:1', 'the fallback');
      const portal = b24.context.portals[2]!;
      const notice = [...portal.messages.values()].find((m) => m.text.includes('Маршрут «default»') && m.text.includes('запасную линию'));
      assert.ok(notice, 'the operator on the fallback line sees why');
      assert.match(notice.text, /msk:1 .*line deleted|msk:1/);
    });

    async function countsByLine() {
      const rows = await bridge.store.db.selectFrom('conversations').select(['line_ref', 'route_name']).execute();
      const byLine = new Map<string, number>();
      const byRoute = new Map<string, number>();
      for (const r of rows) {
        byLine.set(r.line_ref, (byLine.get(r.line_ref) ?? 0) + 1);
        byRoute.set(`${r.route_name}|${r.line_ref}`, (byRoute.get(`${r.route_name}|${r.line_ref}`) ?? 0) + 1);
      }
      return { total: rows.length, byLine, byRoute };
    }
  });
}
