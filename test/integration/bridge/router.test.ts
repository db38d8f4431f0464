/**
 * The router over a real store (src/bridge/router.ts), on both engines with a manual
 * clock: targets passed over for a paused line, a line never set up, and a portal
 * unreachable longer than `bitrix24.route_around_after_ms`; the weighted pick reads
 * the conversations the route has sent; the record says why, in both languages.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Router } from '../../../src/bridge/router.ts';
import { normalizeRoutes, routesSchema } from '../../../src/config/route-schema.ts';
import { makeLineRef, parseBotId, parsePortalId } from '../../../src/domain/ids.ts';
import type { RoutingInput } from '../../../src/domain/routing/routing-input.ts';
import { testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { storeFor } from '../../helpers/store.ts';

const rules = normalizeRoutes(routesSchema.parse([
  { name: 'pool', to: [{ portal: 'msk', line_id: 1, weight: 3 }, { portal: 'spb', line_id: 1, weight: 1 }], fallback: { portal: 'ekb', line_id: 1 } },
]));
const input = (nowMs: number): RoutingInput => ({ botId: 'sales', chatType: 'dialog', startPayload: null, firstText: 'привет', language: 'ru', nowMs });

for (const engine of testEngines()) {
  describe(`router over the store (${engine.name})`, () => {
    const clock = new ManualClock();
    const storeOf = storeFor(engine, clock);
    let downSince: Record<string, number> = {};

    test('weighted pick by what the route has sent; paused, not set up and unreachable targets passed over for the fallback', async () => {
      const store = storeOf();
      for (const p of ['msk', 'spb', 'ekb']) await store.transaction((trx) => store.lines.setUp(parsePortalId(p), 1, 'max_bridge', trx, false));
      const router = new Router({
        store, rules: () => rules, nowMs: () => clock.nowMs(), routeAroundAfterMs: 300_000,
        portalDownSinceMs: (id) => downSince[id] ?? null,
      });
      const placed: string[] = [];
      for (let i = 0; i < 8; i++) {
        const outcome = await router.decide(input(clock.nowMs()));
        assert.equal(outcome.kind, 'routed');
        if (outcome.kind !== 'routed') return;
        await store.conversations.getOrCreate({ botId: parseBotId('sales'), maxChatId: String(100 + i), maxUserId: String(i), lineRef: outcome.choice.lineRef, route: outcome.choice });
        placed.push(outcome.choice.lineRef);
      }
      assert.deepEqual(placed.filter((l) => l === 'msk:1').length, 6, `3:1 of 8: ${placed.join(' ')}`);

      // msk paused (its line deleted): spb takes new conversations, and the note says why.
      await store.lines.pause(parsePortalId('msk'), 1, 'line deleted in Bitrix24');
      const aroundPaused = await router.decide(input(clock.nowMs()));
      assert.ok(aroundPaused.kind === 'routed');
      assert.equal(aroundPaused.choice.lineRef, makeLineRef(parsePortalId('spb'), 1));
      assert.match(aroundPaused.notice ?? '', /msk:1 \(line deleted in Bitrix24\)/);

      // spb unreachable for 4 min: still a target; for 6 min: passed over, the fallback takes it.
      downSince = { spb: clock.nowMs() };
      await clock.advance(240_000);
      assert.ok((await router.decide(input(clock.nowMs()))).kind === 'routed');
      assert.equal((await router.decide(input(clock.nowMs())) as { choice: { lineRef: string } }).choice.lineRef, 'spb:1');
      await clock.advance(120_000);
      const aroundDown = await router.decide(input(clock.nowMs()));
      assert.ok(aroundDown.kind === 'routed');
      assert.equal(aroundDown.choice.lineRef, 'ekb:1');
      assert.equal(aroundDown.decision.via, 'fallback');
      assert.match(aroundDown.notice ?? '', /запасную линию ekb:1/);
      assert.ok(aroundDown.record.why.en.some((l) => /fallback|ekb:1/.test(l)), aroundDown.record.why.en.join(' / '));

      // A fallback never set up: the decision waits for the setup rather than guessing.
      const unset = normalizeRoutes(routesSchema.parse([{ name: 'solo', to: { portal: 'kzn', line_id: 4 } }]));
      const waiting = await new Router({ store, rules: () => unset, nowMs: () => clock.nowMs() }).decide(input(clock.nowMs()));
      assert.equal(waiting.kind, 'routed', 'a named line not recorded counts as paused: it is routed there and waits');
    });
  });
}
