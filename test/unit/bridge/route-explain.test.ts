/** `route explain`'s pure half: MAX updates as routing input, and the decision explained. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { explainRoute, explanationJson, routingInputOf } from '../../../src/bridge/route-explain.ts';
import { normalizeRoutes, routesSchema } from '../../../src/config/route-schema.ts';
import type { RoutingInput } from '../../../src/domain/routing/routing-input.ts';
import { ISSUE_ROUTES_YAML } from '../../fixtures/issue-routes.ts';

const NOW_MS = Date.parse('2026-12-03T12:00:00+03:00');
/** 2026-12-05 is a Saturday. */
const SATURDAY_NIGHT_MS = Date.parse('2026-12-05T23:00:00+03:00');

/** The routes of the issue, as an integrator writes them. */
const RULES = normalizeRoutes(routesSchema.parse((parse(ISSUE_ROUTES_YAML) as { routes: unknown }).routes));

const input = (over: Partial<RoutingInput> = {}): RoutingInput =>
  ({ botId: 'sales', chatType: 'dialog', startPayload: null, firstText: null, language: null, nowMs: NOW_MS, ...over });

describe('routingInputOf: a MAX update as the first event of a new conversation', () => {
  test('message_created: the recipient\'s chat type, the body\'s text, user_locale', () => {
    const update = {
      update_type: 'message_created', timestamp: 1, user_locale: 'ru-RU',
      message: { sender: { user_id: 7 }, recipient: { chat_id: 5, chat_type: 'dialog' }, timestamp: 1, body: { mid: 'm1', seq: 1, text: 'У меня ЖАЛОБА' } },
    };
    assert.deepEqual(routingInputOf(update, 'sales', NOW_MS), input({ firstText: 'У меня ЖАЛОБА', language: 'ru-RU' }));
    const group = { ...update, user_locale: undefined, message: { ...update.message, recipient: { chat_id: -9, chat_type: 'chat' }, body: { mid: 'm2', text: null, attachments: [{ type: 'image' }] } } };
    assert.deepEqual(routingInputOf(group, 'support', NOW_MS), input({ botId: 'support', chatType: 'chat' }));
  });

  test('bot_started: the deep-link payload, in a dialog; an empty payload is none', () => {
    const update = { update_type: 'bot_started', timestamp: 1, chat_id: 5, user: { user_id: 7 }, payload: 'vip_1', user_locale: 'en' };
    assert.deepEqual(routingInputOf(update, 'sales', NOW_MS), input({ startPayload: 'vip_1', language: 'en' }));
    assert.equal(routingInputOf({ ...update, payload: '' }, 'sales', NOW_MS).startPayload, null);
    assert.equal(routingInputOf({ ...update, payload: null }, 'sales', NOW_MS).startPayload, null);
  });

  test('message_chat_created (legacy): its start_payload and the type of its chat', () => {
    const update = { update_type: 'message_chat_created', timestamp: 1, chat: { chat_id: -3, type: 'chat' }, message_id: 'm', start_payload: 'promo' };
    assert.deepEqual(routingInputOf(update, 'sales', NOW_MS), input({ chatType: 'chat', startPayload: 'promo' }));
  });

  test('other updates: the chat type they carry, no text and no payload', () => {
    const callback = {
      update_type: 'message_callback', timestamp: 1, user_locale: 'ru',
      callback: { callback_id: 'c', payload: 'button-payload', user: { user_id: 7 } },
      message: { recipient: { chat_id: -4, chat_type: 'chat' }, body: { mid: 'm', text: 'Выберите' } },
    };
    assert.deepEqual(routingInputOf(callback, 'sales', NOW_MS), input({ chatType: 'chat', language: 'ru' }));
    const edited = { update_type: 'message_edited', timestamp: 1, message: { recipient: { chat_type: 'channel' }, body: { text: 'пост' } } };
    assert.equal(routingInputOf(edited, 'sales', NOW_MS).chatType, 'chat', 'a channel is not one-to-one');
    assert.deepEqual(routingInputOf({ update_type: 'bot_added', chat_id: -1, user: {}, is_channel: false }, 'sales', NOW_MS), input({ chatType: 'chat' }));
    assert.deepEqual(routingInputOf({ update_type: 'dialog_cleared', chat_id: 5, user: {}, user_locale: 'ru' }, 'sales', NOW_MS), input({ language: 'ru' }));
    assert.deepEqual(routingInputOf({ update_type: 'message_removed', message_id: 'm', chat_id: 5, user_id: 7 }, 'sales', NOW_MS), input());
  });

  test('a malformed update reads as a dialog with nothing known', () => {
    for (const update of [null, 'text', [], {}, { update_type: 5, message: 'x', user_locale: 3 }, { update_type: 'message_created', message: { body: [] } }]) {
      assert.deepEqual(routingInputOf(update, 'sales', NOW_MS), input(), JSON.stringify(update));
    }
  });
});

describe('explainRoute: the decision and its lines, sending nothing', () => {
  test('a vip payload, a complaint, a Saturday night and the rest: each to its route, in Russian by default', () => {
    const vip = explainRoute(RULES, input({ startPayload: 'vip_1' }), { lang: 'ru' });
    assert.equal(vip.decision?.route, 'vip');
    assert.deepEqual(vip.lines, ['маршрут vip: start_payload «vip_1» подходит под ^vip_', 'выбрана линия msk:3']);

    const complaint = explainRoute(RULES, input({ firstText: 'У меня ЖАЛОБА' }), { lang: 'ru' });
    assert.equal(complaint.decision?.route, 'complaints');
    assert.deepEqual(complaint.lines, [
      'маршрут vip не подошёл: start_payload нет (нужно ^vip_)',
      'маршрут complaints: текст «У меня ЖАЛОБА» подходит под (жалоб|претензи)',
      'выбрана линия msk:5',
    ]);

    const night = explainRoute(RULES, input({ botId: 'support', firstText: 'Здравствуйте', nowMs: SATURDAY_NIGHT_MS }), { lang: 'en' });
    assert.equal(night.decision?.route, 'night');
    assert.deepEqual(night.lines, [
      'route vip did not match: bot support is not one of sales',
      'route complaints did not match: text "Здравствуйте" does not match (жалоб|претензи)',
      'route night: now 2026-12-05 sat 23:00 — outside mon-fri 09:00–18:00 Europe/Moscow',
      'line spb:2 chosen',
    ]);

    const other = explainRoute(RULES, input({ firstText: 'Здравствуйте' }), { lang: 'ru' });
    assert.deepEqual(explanationJson(other).route, 'default');
    assert.deepEqual(explanationJson(other).target, { portal: 'msk', line_id: 1 }, 'zero counts: the heavier target first');
    assert.equal(other.lines.at(-1), 'выбрана линия msk:1 (по весам)');
    assert.equal(other.considered.length, 4);
  });

  test('stats and pauses, when given, are the engine\'s: the next pick by weight, the fallback when every target is paused', () => {
    const counts = new Map([['msk:1', 3], ['spb:1', 0]]);
    const stats = { assigned: (t: { portalId: string; lineId: number | null }) => counts.get(`${t.portalId}:${t.lineId}`) ?? 0, open: () => 0 };
    assert.deepEqual(explanationJson(explainRoute(RULES, input(), { lang: 'ru', stats })).target, { portal: 'spb', line_id: 1 });
    const paused = explainRoute(RULES, input(), { lang: 'ru', isPaused: (t) => (t.lineId === 1 ? 'коннектор выключен' : null) });
    assert.deepEqual(explanationJson(paused), { route: 'default', target: { portal: 'spb', line_id: 2 }, via: 'fallback', considered: paused.considered });
    assert.equal(paused.lines.at(-1), 'линия msk:1 приостановлена (коннектор выключен), линия spb:1 приостановлена (коннектор выключен) — выбрана запасная spb:2');
  });

  test('no route matched: every route with its reason, a closing line, and nulls in the JSON', () => {
    const onlyVip = RULES.filter((rule) => rule.name === 'vip');
    const none = explainRoute(onlyVip, input({ firstText: 'привет' }), { lang: 'ru' });
    assert.equal(none.decision, null);
    assert.deepEqual(none.lines, [
      'маршрут vip не подошёл: start_payload нет (нужно ^vip_)',
      'ни один маршрут не подошёл для бота sales: диалогу некуда идти (нужен маршрут без when)',
    ]);
    assert.deepEqual(explanationJson(none), { route: null, target: null, via: null, considered: none.considered });
    assert.equal(none.considered[0]?.matched, false);
    assert.deepEqual(explainRoute([], input(), { lang: 'en' }).lines, ['there are no routes: the conversation has nowhere to go']);
  });
});
