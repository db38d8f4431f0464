import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchRoute } from '../../../../src/domain/routing/match-route.ts';
import { compilePattern } from '../../../../src/domain/routing/route-patterns.ts';
import { hours, input, rule, utc } from './helpers.ts';

function regex(source: string, kind: 'text' | 'start_payload'): RegExp {
  const compiled = compilePattern(source, kind);
  assert.ok(compiled instanceof RegExp);
  return compiled;
}

const held = (r: ReturnType<typeof rule>, over: Parameters<typeof input>[0]) => matchRoute(r, input(over)).matched;

test('a route without conditions matches any bot, and says so in one check', () => {
  const match = matchRoute(rule(), input({ botId: 'support' }));
  assert.deepEqual(match, { matched: true, checks: [{ condition: 'bot', held: true, detail: 'any bot (support)', actual: 'support', expected: '*' }] });
});

test('bot: the route takes only the bots it names', () => {
  const r = rule({ bots: ['sales', 'vip'] });
  assert.equal(held(r, { botId: 'vip' }), true);
  const match = matchRoute(r, input({ botId: 'support' }));
  assert.equal(match.matched, false);
  assert.equal(match.checks[0]?.detail, 'bot support is not one of sales, vip');
});

test('chat_type: dialog or chat, one or a list', () => {
  assert.equal(held(rule({ when: { chatTypes: ['dialog'] } }), { chatType: 'dialog' }), true);
  assert.equal(held(rule({ when: { chatTypes: ['dialog'] } }), { chatType: 'chat' }), false);
  assert.equal(held(rule({ when: { chatTypes: ['dialog', 'chat'] } }), { chatType: 'chat' }), true);
});

test('start_payload: a regex on the deep-link payload, as written (case matters), and no payload fails', () => {
  const r = rule({ when: { startPayload: regex('^vip_', 'start_payload') } });
  const match = matchRoute(r, input({ startPayload: 'vip_42' }));
  assert.equal(match.matched, true);
  assert.deepEqual(match.checks[1], { condition: 'start_payload', held: true, detail: 'start_payload "vip_42" matches ^vip_', actual: 'vip_42', expected: '^vip_' });
  assert.equal(held(r, { startPayload: 'VIP_42' }), false);
  assert.equal(held(r, { startPayload: 'promo_vip_1' }), false);
  const none = matchRoute(r, input({ startPayload: null }));
  assert.deepEqual(none.checks[1], { condition: 'start_payload', held: false, detail: 'no start_payload (needs ^vip_)', actual: null, expected: '^vip_' });
});

test('text: a regex on the first message, case-insensitive in Cyrillic too', () => {
  const r = rule({ when: { text: regex('(жалоб|претензи)', 'text') } });
  assert.equal(held(r, { firstText: 'ЖАЛОБА на курьера' }), true);
  assert.equal(held(r, { firstText: 'У меня Претензия' }), true);
  assert.equal(held(r, { firstText: 'хочу вернуть товар' }), false);
  assert.equal(held(r, { firstText: null }), false, 'a file without text');
  assert.equal(held(rule({ when: { text: regex('^ёлка', 'text') } }), { firstText: 'ЁЛКА' }), true);
});

test('a long first text is clipped in the check, whole in the match', () => {
  const text = `${'а'.repeat(100)} жалоба`;
  const match = matchRoute(rule({ when: { text: regex('жалоба', 'text') } }), input({ firstText: text }));
  assert.equal(match.matched, true);
  assert.equal([...(match.checks[1]?.actual ?? '')].length, 60);
  assert.ok(match.checks[1]?.actual?.endsWith('…'));
});

test('text_contains: any of the substrings, case-insensitive, Cyrillic-safe; the check names the one found', () => {
  const r = rule({ when: { textContains: ['Возврат', 'refund'] } });
  const match = matchRoute(r, input({ firstText: 'Оформите ВОЗВРАТ, пожалуйста' }));
  assert.equal(match.matched, true);
  assert.equal(match.checks[1]?.expected, 'Возврат');
  assert.equal(held(r, { firstText: 'REFUND please' }), true);
  assert.equal(held(r, { firstText: 'доставка' }), false);
  assert.equal(held(r, { firstText: null }), false);
});

test('language: compared on the primary subtag, case-insensitive; unknown fails', () => {
  const r = rule({ when: { languages: ['ru', 'uk'] } });
  assert.equal(held(r, { language: 'ru-RU' }), true);
  assert.equal(held(r, { language: 'RU' }), true);
  assert.equal(held(r, { language: 'uk_UA' }), true);
  assert.equal(held(r, { language: 'en-US' }), false);
  assert.equal(held(r, { language: null }), false);
  assert.equal(held(rule({ when: { languages: ['ru-RU'] } }), { language: 'ru' }), true);
});

test('hours and outside_hours read the moment of the input', () => {
  const office = hours({ days: 'mon-fri', from: '09:00', to: '18:00' });
  const day = utc('2026-03-27T07:30'); // Friday 10:30 in Moscow
  const night = utc('2026-03-27T19:30'); // Friday 22:30 in Moscow
  assert.equal(held(rule({ when: { hours: office } }), { nowMs: day }), true);
  assert.equal(held(rule({ when: { hours: office } }), { nowMs: night }), false);
  const outside = matchRoute(rule({ when: { outsideHours: office } }), input({ nowMs: night }));
  assert.equal(outside.matched, true);
  assert.deepEqual(outside.checks[1], {
    condition: 'outside_hours', held: true, detail: '2026-03-27 fri 22:30 is outside mon-fri 09:00–18:00 Europe/Moscow',
    actual: '2026-03-27 fri 22:30', expected: 'mon-fri 09:00–18:00 Europe/Moscow',
  });
});

test('outside_hours holds on a holiday, and the check names it', () => {
  const office = hours({ days: 'mon-fri', from: '09:00', to: '18:00', holidays: ['2026-03-27'] });
  const match = matchRoute(rule({ when: { outsideHours: office } }), input({ nowMs: utc('2026-03-27T07:30') }));
  assert.equal(match.matched, true);
  assert.equal(match.checks[1]?.closedByHoliday, '2026-03-27');
  assert.match(match.checks[1]?.detail ?? '', /\(2026-03-27 is a holiday\)$/);
});

test('combined conditions: all must hold, and every one is checked and reported', () => {
  const r = rule({
    bots: ['sales'],
    when: { chatTypes: ['dialog'], startPayload: regex('^vip_', 'start_payload'), textContains: ['заказ'], languages: ['ru'], hours: hours({ days: 'mon-fri', from: '09:00', to: '18:00' }) },
  });
  const all = { botId: 'sales', chatType: 'dialog' as const, startPayload: 'vip_7', firstText: 'Мой ЗАКАЗ', language: 'ru-RU' };
  assert.equal(held(r, all), true);
  const failing = matchRoute(r, input({ ...all, language: 'en', nowMs: utc('2026-03-28T07:30') }));
  assert.equal(failing.matched, false);
  assert.deepEqual(failing.checks.map((c) => [c.condition, c.held]), [
    ['bot', true], ['chat_type', true], ['start_payload', true], ['text_contains', true], ['language', false], ['hours', false],
  ]);
});

test('tags: any one of the route\'s tags among the conversation\'s (case-insensitive); none fails, and says so', () => {
  const r = rule({ when: { tags: ['vip', 'gold'] } });
  const match = matchRoute(r, input({ tags: ['new', 'GOLD'] }));
  assert.equal(match.matched, true);
  assert.deepEqual(match.checks[1], { condition: 'tags', held: true, detail: 'tags new, GOLD include gold', actual: 'new, GOLD', expected: 'gold' });
  assert.equal(held(r, { tags: ['new'] }), false);
  const none = matchRoute(r, input({}));
  assert.deepEqual(none.checks[1], { condition: 'tags', held: false, detail: 'no tags (needs one of vip, gold)', actual: null, expected: 'vip, gold' });
});
