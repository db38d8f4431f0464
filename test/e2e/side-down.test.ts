/**
 * A side down for everyone is held as a whole, not worn out job by job (issue
 * 14, item 2): a revoked MAX bot token. The operator's replies written while the
 * bot is down wait — no attempt spent, no dead letter — the bot is reported
 * down on /ready and /metrics with the fix, and when a valid token is set (and
 * the bridge restarted, as a configuration change is), everything queued for it
 * goes out once, in order. Bridge + both emulators over HTTP, SQLite and
 * PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SANDBOX_BOT_TOKEN } from '../../src/cli/sandbox.ts';
import { bridgeWorldFor, webhookBridgeConfig } from '../helpers/bridge-world.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, until } from '../helpers/e2e.ts';

const METRICS = 'side-down-metrics-token-0123';
const NEW_TOKEN = 'reissued-bot-token-0123';
const CLIENT = 7301;

for (const engine of testEngines()) {
  describe(`a side down for everyone is held, reported and resumed in order (${engine.name})`, () => {
    const world = bridgeWorldFor(engine, {
      config: (emulators, port) => webhookBridgeConfig(emulators, port, {
        security: { secret_key: 'side-down-test-secret-key-0123', metrics_token: METRICS }, messages: { operator_name: 'strip' },
      }),
    });
    const sandbox = () => world().sandbox;
    const logLines = () => world().logLines;

    const portal = () => sandbox().bitrix24.context.portals[0]!;
    const lineChat = () => [...portal().chats.values()].find((c) => c.externalUserId === String(CLIENT));
    const botTexts = () => {
      const chat = [...sandbox().max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === CLIENT);
      return (chat?.mids ?? []).map((mid) => sandbox().max.world.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
    };
    const reply = (text: string) => postOk(`${sandbox().bitrix24.controlUrl}/portals/0/chats/${lineChat()!.chatId}/reply`, { text });

    test('a revoked bot token: replies wait without a dead letter, the bot is reported down with the fix, and a valid token sends them in order', async () => {
      await postOk(`${sandbox().max.controlUrl}/messages`, { user: { user_id: CLIENT, first_name: 'Вера' }, text: 'Здравствуйте' });
      await until(() => lineChat());
      await reply('до отзыва');
      await until(() => (botTexts().includes('до отзыва') ? true : undefined));

      // The token is reissued on MAX's platform: the one the bridge has is refused from now on.
      const reissued = await fetch(`${sandbox().max.controlUrl}/bots/100000/token`, {
        method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: NEW_TOKEN }),
      });
      assert.equal(reissued.status, 200);
      for (const text of ['первый', 'второй', 'третий']) await reply(text);

      // Reported down, with what to do, on /ready and /metrics.
      const ready = await until(async () => {
        const res = await fetch(`${world().bridge.url}/ready`);
        const body = (await res.json()) as { ready: boolean; problems: string[]; bots: Array<{ id: string; state: string }> };
        return res.status === 503 && body.problems.some((p) => p.startsWith('бот shop недоступен')) ? body : undefined;
      });
      assert.match(ready.problems.find((p) => p.startsWith('бот shop'))!, /401 verify\.token.*bots\[\]\.token/);
      assert.deepEqual(ready.bots.find((b) => b.id === 'shop')?.state, 'failing');
      const metrics = await (await fetch(`${world().bridge.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } })).text();
      const down = /bridge_side_down_seconds\{kind="bot",side="shop",code="BRG_ERR_MAX_UNAUTHORIZED"\} ([\d.]+)/.exec(metrics);
      assert.ok(down, `the bot's down gauge: ${metrics.split('\n').filter((l) => l.startsWith('bridge_side')).join(' | ')}`);
      assert.match(metrics, /bridge_bot_replies_oldest_age_seconds\{bot="shop"\} [\d.]+/);
      // Once in the log at warning level, not once per call.
      const warns = logLines().filter((l) => l.level === 40 && l.component === 'max-client' && l.bot === 'shop');
      assert.equal(warns.length, 1, `one warning for the bot going down: ${JSON.stringify(warns)}`);
      assert.ok(!JSON.stringify(logLines()).includes(SANDBOX_BOT_TOKEN), 'no token in the log');

      // The operator is told once, in the Open Line, not once per reply.
      const notices = () => lineChat()!.messageIds.map((id) => portal().messages.get(id)!).filter((m) => m.text.includes('Ответ пока не доставлен клиенту в MAX'));
      await until(() => (notices().length > 0 ? true : undefined));
      assert.equal(notices().length, 1, 'one notice for the outage');
      assert.match(notices()[0]!.text, /бот недоступен с .*UTC .*по порядку/);

      // Held, not failed: the replies' jobs wait, no dead letter, nothing sent.
      const store = world().bridge.store;
      assert.deepEqual(await store.deadLetters.list(), []);
      assert.deepEqual(botTexts(), ['до отзыва']);

      // A valid token is set: the bridge restarts with it, and what waited goes out once, in order.
      await world().stop();
      const bridge = await world().start((config) => ({ ...config, bots: [{ ...config.bots[0]!, token: NEW_TOKEN }] }));
      await until(() => (botTexts().includes('третий') ? true : undefined));
      assert.deepEqual(botTexts(), ['до отзыва', 'первый', 'второй', 'третий']);
      assert.deepEqual(await bridge.store.deadLetters.list(), []);
      assert.equal(notices().length, 1, 'still one notice for the whole outage');
      const readyAgain = await until(async () => ((await fetch(`${world().bridge.url}/ready`)).status === 200 ? true : undefined));
      assert.equal(readyAgain, true);
    });
  });
}
