import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { normalizeRoutes, routesSchema } from '../../../../src/config/route-schema.ts';
import { decideRoute } from '../../../../src/domain/routing/decide-route.ts';
import type { PauseCheck } from '../../../../src/domain/routing/pick-target.ts';
import { describeDecision } from '../../../../src/domain/routing/describe-decision.ts';
import { CountingStats, input, nothingPaused, pausedWhere, rule, target, utc } from './helpers.ts';

const ROUTES = normalizeRoutes(routesSchema.parse(parse(`
- name: vip
  bot: sales
  when:
    start_payload: "^vip_"
  to: { portal: msk, line_id: 3 }
  fallback: { portal: spb, line_id: 2 }
- name: complaints
  when:
    text: "(жалоб|претензи)"
  to: { portal: msk, line_id: 5 }
- name: night
  when:
    outside_hours: { days: "mon-fri", from: "09:00", to: "18:00", time_zone: "Europe/Moscow" }
  to: { portal: spb, line_id: 2 }
- name: default
  to:
    - { portal: msk, line_id: 1, weight: 3 }
    - { portal: spb, line_id: 1, weight: 1 }
  fallback: { portal: spb, line_id: 2 }
`)));

const SATURDAY_NOON_MSK = utc('2026-03-28T09:00');

const decide = (over: Parameters<typeof input>[0], isPaused: PauseCheck = nothingPaused) => decideRoute(ROUTES, input(over), new CountingStats(), isPaused);

test('the first route whose conditions all hold wins, and the decision lists every route tried', () => {
  const decision = decide({ botId: 'sales', startPayload: 'vip_42', firstText: 'жалоба' });
  assert.equal(decision?.route, 'vip');
  assert.deepEqual(decision?.target, target('msk', 3));
  assert.equal(decision?.via, 'only');
  assert.deepEqual(decision?.considered.map((c) => [c.route, c.matched]), [['vip', true]]);
});

test('a route for another bot is passed over with the reason', () => {
  const decision = decide({ botId: 'support', startPayload: 'vip_42', firstText: 'ПРЕТЕНЗИЯ по заказу' });
  assert.equal(decision?.route, 'complaints');
  assert.deepEqual(decision?.considered.map((c) => [c.route, c.matched]), [['vip', false], ['complaints', true]]);
  assert.equal(decision?.considered[0]?.checks[0]?.detail, 'bot support is not one of sales');
});

test('outside office hours a plain question goes to the night route; in them, to the default split', () => {
  assert.equal(decide({ firstText: 'здравствуйте', nowMs: SATURDAY_NOON_MSK })?.route, 'night');
  const day = decide({ firstText: 'здравствуйте' });
  assert.equal(day?.route, 'default');
  assert.equal(day?.via, 'pick');
  assert.deepEqual(day?.target, target('msk', 1, 3));
  assert.equal(day?.pick, 'weight');
  assert.deepEqual(day?.considered.map((c) => c.matched), [false, false, false, true]);
});

test('the default route splits by weight across decisions, from the caller\'s counts', () => {
  const stats = new CountingStats();
  for (let i = 0; i < 400; i += 1) {
    const decision = decideRoute(ROUTES, input({ firstText: 'привет' }), stats, nothingPaused);
    assert.ok(decision);
    stats.record(decision.target);
  }
  assert.deepEqual(Object.fromEntries(stats.assignedBy), { 'msk:1': 300, 'spb:1': 100 });
});

test('a paused target and a paused route: the decision records what was skipped and where it went', () => {
  const decision = decide({ botId: 'sales', startPayload: 'vip_1' }, pausedWhere({ 'msk:3': 'connector inactive' }));
  assert.equal(decision?.route, 'vip');
  assert.equal(decision?.via, 'fallback');
  assert.deepEqual(decision?.target, target('spb', 2));
  assert.deepEqual(decision?.skipped, [{ target: target('msk', 3), why: 'paused', reason: 'connector inactive' }]);
});

test('nothing matches (no default route): null, not an exception', () => {
  const rules = [rule({ name: 'only-vip', when: { startPayload: /^vip_/u } })];
  assert.equal(decideRoute(rules, input({ startPayload: null }), new CountingStats(), nothingPaused), null);
  assert.equal(decideRoute([], input(), new CountingStats(), nothingPaused), null);
});

test('describeDecision: the matching conditions and the line, in Russian and in English', () => {
  const decision = decide({ botId: 'sales', startPayload: 'vip_42' });
  assert.ok(decision);
  assert.deepEqual(describeDecision(decision, 'ru'), ['маршрут vip: start_payload «vip_42» подходит под ^vip_', 'выбрана линия msk:3']);
  assert.deepEqual(describeDecision(decision, 'en'), ['route vip: start_payload "vip_42" matches ^vip_', 'line msk:3 chosen']);
});

test('describeDecision: a paused line and the fallback chosen instead', () => {
  const decision = decide({ botId: 'sales', startPayload: 'vip_42' }, pausedWhere({ 'msk:3': 'connector inactive' }));
  assert.ok(decision);
  assert.equal(describeDecision(decision, 'ru')[1], 'линия msk:3 приостановлена (connector inactive) — выбрана запасная spb:2');
  assert.equal(describeDecision(decision, 'en')[1], 'line msk:3 is paused (connector inactive) — fallback spb:2 chosen');
  const both = decide({ botId: 'sales', startPayload: 'vip_42' }, pausedWhere({ 'msk:3': 'connector inactive', 'spb:2': 'portal down' }));
  assert.ok(both);
  assert.equal(describeDecision(both, 'ru')[1], 'линия msk:3 приостановлена (connector inactive) — выбрана запасная spb:2; она тоже приостановлена (portal down): сообщения ждут в ней');
  assert.equal(describeDecision(both, 'en')[1], 'line msk:3 is paused (connector inactive) — fallback spb:2 chosen; it is paused too (portal down): messages wait there');
});

test('describeDecision: the routes passed over, each with the condition that failed, then the default', () => {
  const decision = decide({ botId: 'support', firstText: 'Где мой заказ?' }, pausedWhere({ 'msk:1': 'connector inactive' }));
  assert.ok(decision);
  assert.deepEqual(describeDecision(decision, 'ru'), [
    'маршрут vip не подошёл: бот support не из sales',
    'маршрут complaints не подошёл: текст «Где мой заказ?» не подходит под (жалоб|претензи)',
    'маршрут night не подошёл: сейчас 2026-03-27 fri 10:30 — в часах mon-fri 09:00–18:00 Europe/Moscow',
    'маршрут default: без условий (маршрут по умолчанию)',
    'линия msk:1 приостановлена (connector inactive) — выбрана линия spb:1 (по весам)',
  ]);
  assert.deepEqual(describeDecision(decision, 'en'), [
    'route vip did not match: bot support is not one of sales',
    'route complaints did not match: text "Где мой заказ?" does not match (жалоб|претензи)',
    'route night did not match: now 2026-03-27 fri 10:30 — within mon-fri 09:00–18:00 Europe/Moscow',
    'route default: no conditions (the default route)',
    'line msk:1 is paused (connector inactive) — line spb:1 chosen (by weight)',
  ]);
});

test('describeDecision: every line paused and no fallback; a missing payload; the portal\'s own line', () => {
  const rules = [rule({ name: 'promo', when: { startPayload: /^promo/u } }), rule({ name: 'main', to: [target('msk', null)] })];
  const decision = decideRoute(rules, input({ startPayload: null }), new CountingStats(), pausedWhere({ msk: 'portal down' }));
  assert.ok(decision);
  assert.deepEqual(describeDecision(decision, 'ru'), [
    'маршрут promo не подошёл: start_payload нет (нужно ^promo)',
    'маршрут main: без условий (маршрут по умолчанию)',
    'линия msk (линия портала) приостановлена (portal down) — запасной нет: сообщения ждут в msk (линия портала)',
  ]);
  assert.deepEqual(describeDecision(decision, 'en'), [
    'route promo did not match: no start_payload (needs ^promo)',
    'route main: no conditions (the default route)',
    'line msk (the portal\'s line) is paused (portal down) — no fallback: messages wait on msk (the portal\'s line)',
  ]);
});
