/**
 * Outages of hours (issue 14): a 6-hour Bitrix24 outage (every REST call answers
 * 500) and a 6-hour MAX outage (every Bot API call answers 503), each with
 * clients writing and operators replying every half hour throughout. The bridge
 * runs on a ManualClock moved by test/helpers/clock-driver.ts (6 hours in
 * seconds, every retry and back-off taken on the way); the emulators keep real
 * time. Within the first minutes the side is reported degraded on /ready and
 * /metrics; when it answers again everything is delivered, once, in order, with
 * no dead letter and no hand. Bridge + both emulators over HTTP, SQLite and
 * PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_CLIENT_WAIT_NOTICE_TEXT } from '../../src/bridge/client-wait-notice.ts';
import { bridgeWorldFor, webhookBridgeConfig, type BridgeWorld } from '../helpers/bridge-world.ts';
import { driveClockTo, settleWhileDriving } from '../helpers/clock-driver.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk } from '../helpers/e2e.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

const METRICS = 'long-outage-metrics-token-01';
const MINUTE_MS = 60_000;
const ROUNDS = 12; // every half hour for 6 hours

interface Outage {
  name: string;
  side: { kind: 'portal' | 'bot'; id: string; problem: RegExp };
  begin(world: BridgeWorld): Promise<void>;
  end(world: BridgeWorld): Promise<void>;
}

const putJson = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, `${url}: ${await res.text()}`);
};

const OUTAGES: Outage[] = [
  {
    name: 'Bitrix24 (every REST call answers 500)',
    side: { kind: 'portal', id: 'main', problem: /^портал main отвечает ошибками с .*BRG_ERR_BITRIX24/ },
    begin: (w) => putJson(`${w.sandbox.bitrix24.controlUrl}/portals/0/faults`, { rules: [{ kind: 'status', status: 500, code: 'INTERNAL_SERVER_ERROR' }] }),
    end: (w) => putJson(`${w.sandbox.bitrix24.controlUrl}/portals/0/faults`, { rules: [] }),
  },
  {
    name: 'MAX (every Bot API call answers 503)',
    side: { kind: 'bot', id: 'shop', problem: /^бот shop: API MAX отвечает ошибками с .*BRG_ERR_MAX/ },
    begin: (w) => putJson(`${w.sandbox.max.controlUrl}/faults`, { rules: [{ kind: 'status', status: 503 }] }),
    end: (w) => putJson(`${w.sandbox.max.controlUrl}/faults`, { rules: [] }),
  },
];

for (const engine of testEngines()) {
  for (const [o, outage] of OUTAGES.entries()) {
    describe(`a 6-hour ${outage.name} outage with traffic both ways (${engine.name})`, () => {
      const clock = new ManualClock(Date.now());
      const world = bridgeWorldFor(engine, {
        clock,
        config: (emulators, port) => webhookBridgeConfig(emulators, port, {
          security: { secret_key: 'long-outage-test-secret-key-01', metrics_token: METRICS }, messages: { operator_name: 'strip' },
          // No CRM steps: under this clock (hours pass in seconds) the bridge out-runs the emulated
          // portal's real-time bucket, and CRM steps waiting for room would keep the runner busy
          // and the clock crawling; the outage here is about the messages (CRM: crm-*.test.ts).
          crm: { mode: 'none' },
        }),
      });
      const clients = [9_101, 9_102, 9_103].map((c) => c + o * 10);
      const portal = () => world().sandbox.bitrix24.context.portals[0]!;
      const lineChat = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
      const lineTexts = (userId: number) => (lineChat(userId)?.messageIds ?? []).map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
      const botTexts = (userId: number) => {
        const max = world().sandbox.max.world;
        const chat = [...max.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
        return (chat?.mids ?? []).map((mid) => max.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
      };
      const notices = (userId: number) => botTexts(userId).filter((t) => t === DEFAULT_CLIENT_WAIT_NOTICE_TEXT).length;
      const replies = (userId: number) => botTexts(userId).filter((t) => t !== DEFAULT_CLIENT_WAIT_NOTICE_TEXT);
      const write = (userId: number, text: string) => postOk(`${world().sandbox.max.controlUrl}/messages`, { user: { user_id: userId, first_name: `Клиент ${userId}` }, text });
      const reply = (userId: number, text: string) => postOk(`${world().sandbox.bitrix24.controlUrl}/portals/0/chats/${lineChat(userId)!.chatId}/reply`, { text });
      /** Moves the bridge's clock a second at a time until `done`, for at most `realMs` of real time. */
      const driveUntil = async (done: () => boolean, realMs = 120_000) => {
        const deadline = Date.now() + realMs;
        while (!done()) {
          if (Date.now() > deadline) throw new Error(`not reached in ${realMs} ms of real time (bridge clock +${Math.round((clock.nowMs() - Date.now()) / MINUTE_MS)} min)`);
          await driveClockTo(clock, world().bridge, clock.nowMs() + 1_000);
        }
      };
      const ready = async () => {
        const res = await fetch(`${world().bridge.url}/ready`);
        return { status: res.status, body: (await res.json()) as { problems: string[] } };
      };
      const metric = async (name: string, labels: string) => {
        const text = await (await fetch(`${world().bridge.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } })).text();
        const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
        return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
      };

      test('alerted within minutes; afterwards everything delivered once, in order, no dead letter, no hand', { timeout: 600_000 }, async () => {
        for (const c of clients) await write(c, 'привет');
        await driveUntil(() => clients.every((c) => lineTexts(c).length === 1));
        for (const c of clients) await reply(c, 'здравствуйте');
        await driveUntil(() => clients.every((c) => botTexts(c).length === 1));

        const startMs = clock.nowMs();
        await outage.begin(world());
        for (let round = 0; round < ROUNDS; round++) {
          for (const c of clients) {
            await write(c, `клиент ${round}`);
            await reply(c, `оператор ${round}`);
          }
          if (round === 0) {
            // The alert, within the first minutes: /ready names the side and says what waits; /metrics shows how long.
            await driveClockTo(clock, world().bridge, startMs + 3 * MINUTE_MS);
            const r = await ready();
            assert.equal(r.status, 503, JSON.stringify(r.body));
            assert.ok(r.body.problems.some((p) => outage.side.problem.test(p)), `problems: ${JSON.stringify(r.body.problems)}`);
            const degraded = await metric('bridge_side_degraded_seconds', `side="${outage.side.id}"`);
            assert.ok(degraded !== null && degraded >= 60, `bridge_side_degraded_seconds for ${outage.side.id}: ${degraded}`);
            const waiting = outage.side.kind === 'portal'
              ? await metric('bridge_line_queue_oldest_age_seconds', 'portal="main"')
              : await metric('bridge_bot_replies_oldest_age_seconds', 'bot="shop"');
            assert.ok(waiting !== null && waiting > 0, `the oldest waiting message's age: ${waiting}`);
          }
          await driveClockTo(clock, world().bridge, startMs + (round + 1) * 30 * MINUTE_MS);
          // Every half hour the bridge looks for clients whose messages the line has not taken
          // for 15 minutes: told once for the whole outage, however often they write.
          // Driven meanwhile: a notice may wait for its chat's rate-limit slot on the bridge's clock.
          const told = await settleWhileDriving(clock, world().bridge.noticeWaitingClients());
          assert.deepEqual(told.failed, []);
          for (const c of clients) {
            assert.equal(notices(c), outage.side.kind === 'portal' ? 1 : 0, `client ${c} told of the wait after round ${round}`);
          }
        }
        // Six hours on: nothing went through the failing side, nothing was given up.
        // (the notice rounds move the clock a few hundred ms on their own: settleWhileDriving)
        const elapsedMs = clock.nowMs() - startMs;
        assert.ok(elapsedMs >= 6 * 60 * MINUTE_MS && elapsedMs < 6 * 60 * MINUTE_MS + MINUTE_MS, `six hours passed on the bridge's clock: ${elapsedMs} ms`);
        if (outage.side.kind === 'portal') assert.ok(clients.every((c) => lineTexts(c).length === 1), 'no client message reached the line during the outage');
        else assert.ok(clients.every((c) => replies(c).length === 1), 'no reply reached MAX during the outage');
        assert.deepEqual(await world().bridge.store.deadLetters.list(), []);
        const retried = await world().bridge.store.db.selectFrom('jobs').select((eb) => eb.fn.max('attempts').as('most')).executeTakeFirstOrThrow();
        assert.ok(Number(retried.most) > 12, `a job was retried past the old 12 attempts: ${retried.most}`);

        await outage.end(world());
        const expectedIn = ['привет', ...Array.from({ length: ROUNDS }, (_, r) => `клиент ${r}`)];
        const expectedOut = ['здравствуйте', ...Array.from({ length: ROUNDS }, (_, r) => `оператор ${r}`)];
        await driveUntil(() => clients.every((c) => lineTexts(c).length >= expectedIn.length && replies(c).length >= expectedOut.length));
        // At rest a while longer: nothing more arrives (no duplicate from a retry).
        await driveClockTo(clock, world().bridge, clock.nowMs() + 10 * MINUTE_MS);
        for (const c of clients) {
          assert.deepEqual(lineTexts(c), expectedIn, `client ${c} → Open Line`);
          assert.deepEqual(replies(c), expectedOut, `operator → client ${c}`);
          assert.equal(notices(c), outage.side.kind === 'portal' ? 1 : 0, `client ${c}: told of the wait once, and not again once the line took the messages`);
        }
        assert.deepEqual(await world().bridge.store.deadLetters.list(), []);
        assert.deepEqual((await settleWhileDriving(clock, world().bridge.noticeWaitingClients())).told, [], 'nothing waits: no client is told anything');
        const after = await ready();
        assert.equal(after.status, 200, JSON.stringify(after.body));
        assert.equal(await metric('bridge_side_degraded_seconds', `side="${outage.side.id}"`), 0);
      });
    });
  }
}
