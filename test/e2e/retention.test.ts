/**
 * The scheduled purge in the running bridge (src/bridge/retention.ts): a bridge with every
 * retention at one day runs on a ManualClock; a client writes and an operator answers, then
 * two days pass at rest. The purge runs on its own (on the bridge's clock, every
 * purge_interval_minutes), logs what it deleted at info and counts it in
 * bridge_purged_rows_total; the old conversation, its events and its id maps are gone. Then
 * the same client writes again and the operator answers: both arrive once, in order — the
 * conversation starts afresh. Bridge + both emulators over HTTP, SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeConversationId, parseBotId } from '../../src/domain/ids.ts';
import { bridgeWorldFor, webhookBridgeConfig } from '../helpers/bridge-world.ts';
import { driveClockTo } from '../helpers/clock-driver.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk } from '../helpers/e2e.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

const METRICS = 'retention-metrics-token-0001';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const CLIENT = 9_301;

for (const engine of testEngines()) {
  describe(`the scheduled purge in a running bridge (${engine.name})`, () => {
    const clock = new ManualClock(Date.now());
    const world = bridgeWorldFor(engine, {
      clock,
      config: (emulators, port) => webhookBridgeConfig(emulators, port, {
        security: { secret_key: 'retention-e2e-secret-key-0001', metrics_token: METRICS },
        messages: { operator_name: 'strip' },
        journal: { retention_days: 1 },
        retention: { events_days: 1, messages_days: 1, files_days: 1, dead_letters_days: 1, purge_interval_minutes: 60 },
        // The catch-ups read no further back than the messages are kept.
        max: { downtime_catchup_days: 0.5, catchup_window_ms: 0 },
      }),
    });
    const portal = () => world().sandbox.bitrix24.context.portals[0]!;
    const chats = () => [...portal().chats.values()].filter((c) => c.externalUserId === String(CLIENT));
    const lineTexts = () => chats().flatMap((c) => c.messageIds).sort((a, b) => a - b).map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
    const maxChat = () => [...world().sandbox.max.world.chats.values()].find((c) => c.type === 'dialog' && c.userId === CLIENT);
    const replies = () => (maxChat()?.mids ?? []).map((mid) => world().sandbox.max.world.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
    const write = (text: string) => postOk(`${world().sandbox.max.controlUrl}/messages`, { user: { user_id: CLIENT, first_name: 'Клиент' }, text });
    const reply = (text: string) => postOk(`${world().sandbox.bitrix24.controlUrl}/portals/0/chats/${chats().at(-1)!.chatId}/reply`, { text });
    const driveUntil = async (done: () => boolean, realMs = 60_000) => {
      const deadline = Date.now() + realMs;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`not reached in ${realMs} ms of real time`);
        await driveClockTo(clock, world().bridge, clock.nowMs() + 1_000);
      }
    };
    const metric = async (name: string, labels: string) => {
      const text = await (await fetch(`${world().bridge.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } })).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
      return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const purgeLines = () => world().logLines.filter((l) => l.component === 'retention' && String(l.msg).startsWith('purged '));

    test('purges on its own after the retention, and the client\'s next message and the answer still go, once, in order', { timeout: 300_000 }, async () => {
      await write('первое');
      await driveUntil(() => lineTexts().length === 1);
      await reply('ответ на первое');
      await driveUntil(() => replies().length === 1);
      const store = world().bridge.store;
      const conversation = makeConversationId(parseBotId('shop'), String(maxChat()!.chatId));
      const firstMid = maxChat()!.mids.find((mid) => !world().sandbox.max.world.messages.get(mid)!.fromBot)!;
      assert.ok(await store.conversations.get(conversation), 'the conversation exists');
      assert.equal(await store.conversations.inboundState(conversation, firstMid), 'delivered');
      const eventsBefore = await store.events.count();
      assert.ok(eventsBefore >= 2, `the update and the reply's event are stored: ${eventsBefore}`);
      assert.deepEqual(purgeLines(), [], 'nothing old enough to purge yet');

      // Two days at rest, ten minutes at a time: the purge runs every hour of the bridge's clock.
      await driveClockTo(clock, world().bridge, clock.nowMs() + 2 * DAY_MS + 30 * MINUTE_MS, { stepMs: 10 * MINUTE_MS });
      const lines = purgeLines();
      assert.ok(lines.length >= 1, `the scheduled purge logged what it deleted: ${JSON.stringify(world().logLines.filter((l) => l.component === 'retention'))}`);
      const deleted = lines.reduce<Record<string, number>>((sum, l) => {
        for (const [kind, rows] of Object.entries(l.deleted as Record<string, number>)) sum[kind] = (sum[kind] ?? 0) + rows;
        return sum;
      }, {});
      assert.ok((deleted.events ?? 0) >= 2 && (deleted.jobs ?? 0) >= 2 && (deleted.journal ?? 0) >= 1, JSON.stringify(deleted));
      assert.equal(deleted.conversations, 1, JSON.stringify(deleted));
      assert.ok(lines.every((l) => l.level === 30), 'logged at info');
      assert.equal(await store.conversations.get(conversation), null, 'the idle conversation is gone');
      assert.equal(await store.events.count(), 0, 'its events are gone');
      assert.equal(await store.conversations.inboundState(conversation, firstMid), null, 'its id map is gone');
      assert.equal((await store.outbox.queuedKeys(conversation, 'send', [firstMid])).size, 0, 'its outbox rows are gone');
      assert.ok((await metric('bridge_purged_rows_total', 'kind="events"'))! >= 2, 'counted in bridge_purged_rows_total');

      // The client comes back: a new conversation, routed afresh; both ways still go, once, in order.
      await write('второе');
      await driveUntil(() => lineTexts().length === 2);
      await reply('ответ на второе');
      await driveUntil(() => replies().length === 2);
      await driveClockTo(clock, world().bridge, clock.nowMs() + 5 * MINUTE_MS);
      assert.deepEqual(lineTexts(), ['первое', 'второе']);
      assert.deepEqual(replies(), ['ответ на первое', 'ответ на второе']);
      assert.ok(await store.conversations.get(conversation), 'the conversation started afresh');
      assert.deepEqual(await store.deadLetters.list(), []);
    });
  });
}
