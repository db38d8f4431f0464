import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { checkRoutes, normalizeRoutes, routeSchema, routesSchema } from '../../../src/config/route-schema.ts';
import type { RouteRule } from '../../../src/domain/routing/route-rule.ts';
import { ISSUE_ROUTES_YAML } from '../../fixtures/issue-routes.ts';

const EXAMPLE = ISSUE_ROUTES_YAML;

const IDS = { botIds: ['sales', 'support'], portalIds: ['msk', 'spb'] };

/** The issues of a routes list, as `path: message`. */
function issues(routes: unknown): string[] {
  const result = routesSchema.safeParse(routes);
  assert.equal(result.success, false, 'expected the routes to be refused');
  return result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
}

/** The one issue at `path` (a dotted path), failing unless exactly one is there. */
function issueAt(routes: unknown, path: string): string {
  const found = issues(routes).filter((line) => line.startsWith(`${path}: `));
  assert.equal(found.length, 1, `expected one issue at ${path}, got:\n${issues(routes).join('\n')}`);
  return (found[0] ?? '').slice(path.length + 2);
}

const rules = (routes: unknown): RouteRule[] => normalizeRoutes(routesSchema.parse(routes));
const TO = { portal: 'msk', line_id: 1 };

test('the documented YAML parses as written and normalizes to the engine\'s rules', () => {
  const [vip, complaints, night, fallback] = rules(parse(EXAMPLE).routes);
  assert.ok(vip && complaints && night && fallback);
  assert.deepEqual([vip.name, vip.position, vip.bots, vip.isDefault, vip.pick], ['vip', 1, ['sales'], false, 'weight']);
  assert.deepEqual(vip.when.startPayload, /^vip_/u);
  assert.deepEqual(vip.to, [{ portalId: 'msk', lineId: 3, weight: 1 }]);
  assert.deepEqual([complaints.bots, complaints.when.text?.flags, complaints.when.text?.source], ['*', 'iu', '(жалоб|претензи)']);
  assert.ok(complaints.when.text?.test('ЖАЛОБА'), 'Cyrillic folds case');
  assert.deepEqual(night.when.outsideHours, {
    days: ['mon', 'tue', 'wed', 'thu', 'fri'], fromMinuteOfDay: 540, toMinuteOfDay: 1_080, timeZone: 'Europe/Moscow', holidays: [], text: 'mon-fri 09:00–18:00 Europe/Moscow',
  });
  assert.equal(night.when.hours, null);
  assert.deepEqual(fallback.to, [{ portalId: 'msk', lineId: 1, weight: 3 }, { portalId: 'spb', lineId: 1, weight: 1 }]);
  assert.deepEqual(fallback.fallback, { portalId: 'spb', lineId: 2, weight: 1 });
  assert.deepEqual(fallback.transform, { card: '{{name}} · {{route}} · {{source}}', module: './hooks/transform.mjs' });
  assert.equal(fallback.isDefault, true);
  assert.equal(fallback.targetForm, 'list');
  assert.deepEqual(checkRoutes(rules(parse(EXAMPLE).routes), IDS), []);
});

test('the first config shape still parses: portal and line_id at the top, bot defaulting to "*"', () => {
  const [withLine, portalLine, anyBot] = rules([{ bot: 'a', portal: 'main', line_id: 7 }, { bot: 'b', portal: 'main' }, { portal: 'other' }]);
  assert.deepEqual(withLine?.to, [{ portalId: 'main', lineId: 7, weight: 1 }]);
  assert.deepEqual([withLine?.name, withLine?.bots, withLine?.isDefault, withLine?.targetForm, withLine?.fallback, withLine?.transform], ['route-1', ['a'], true, 'portal', null, null]);
  assert.deepEqual(portalLine?.to, [{ portalId: 'main', lineId: null, weight: 1 }], 'no line_id: the portal\'s own line');
  assert.deepEqual([anyBot?.name, anyBot?.bots], ['route-3', '*']);
  assert.ok(routeSchema.safeParse({ bot: '*', portal: 'main' }).success);
});

test('every condition kind parses in each of its forms', () => {
  const [r] = rules([{
    bot: ['sales', 'support'],
    when: {
      chat_type: ['dialog', 'chat'], text_contains: 'возврат', language: ['ru', 'uk-UA'],
      hours: { days: ['mon', 'tue'], from: '22:00', to: '06:00', time_zone: 'Asia/Yekaterinburg', holidays: ['2026-01-01'] },
    },
    to: { portal: 'msk' },
    pick: 'fewest_open',
  }]);
  assert.ok(r);
  assert.deepEqual(r.bots, ['sales', 'support']);
  assert.deepEqual([r.when.chatTypes, r.when.textContains, r.when.languages], [['dialog', 'chat'], ['возврат'], ['ru', 'uk-UA']]);
  assert.deepEqual([r.when.hours?.fromMinuteOfDay, r.when.hours?.toMinuteOfDay, r.when.hours?.holidays], [1_320, 360, ['2026-01-01']]);
  assert.deepEqual([r.pick, r.isDefault, r.targetForm], ['fewest_open', false, 'object']);
  assert.deepEqual(rules([{ when: { chat_type: 'dialog' }, to: TO }])[0]?.when.chatTypes, ['dialog']);
  assert.equal(rules([{ when: {}, to: TO }])[0]?.isDefault, true, 'an empty when is no condition');
});

test('the target: portal and to together, line_id without a portal, and no target at all', () => {
  assert.match(issueAt([{ portal: 'msk', to: TO }], '0.portal'), /^the target is written twice: `to` and the top-level `portal`\/`line_id`.*fix: keep only to: \{ portal: <portal id>, line_id: <line number> \}$/);
  assert.match(issueAt([{ line_id: 3, to: TO }], '0.line_id'), /^the target is written twice/);
  assert.equal(issueAt([{ line_id: 3 }], '0.portal'), 'is missing: line_id names a line but not its portal; fix: write to: { portal: <portal id>, line_id: <line number> }');
  assert.equal(issueAt([{ bot: 'sales' }], '0.to'), 'is missing, so the route sends conversations nowhere; fix: write to: { portal: <portal id>, line_id: <line number> }');
});

test('targets: each key checked where it is written, in the single and the list form', () => {
  assert.equal(issueAt([{ to: [] }], '0.to'), 'is an empty list; write at least one entry, e.g. [{ portal: msk, line_id: 1, weight: 3 }, { portal: spb, line_id: 1 }], or remove the key');
  assert.equal(issueAt([{ to: [TO, { portal: 'spb', weight: 0 }] }], '0.to.1.weight'), 'must be 1 or more (a share relative to the other targets, e.g. 3 and 1 send three quarters to the first)');
  assert.equal(issueAt([{ to: [{ portal: 'spb', weight: 1.5 }] }], '0.to.0.weight'), 'is 1.5, not a whole number; must be a whole number, e.g. weight: 3');
  assert.equal(issueAt([{ to: { portal: 'MSK', line_id: 1 } }], '0.to.portal'), '"MSK" is not a portal id from portals: write 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit, e.g. portal: msk');
  assert.equal(issueAt([{ to: { portal: 'msk', line_id: 0 } }], '0.to.line_id'), 'must be 1 or more: the number of an Open Line on that portal, e.g. line_id: 3');
  assert.equal(issueAt([{ to: { portal: 'msk', line_id: '3' } }], '0.to.line_id'), 'must be the number of an Open Line on that portal, e.g. line_id: 3');
  assert.equal(issueAt([{ to: 'msk' }], '0.to'), 'must be a target such as { portal: msk, line_id: 3 }, or a list of them');
  assert.deepEqual(issues([{ to: { portal: 'msk', line_id: 1, weight: 2 } }]).map((l) => l.split(':')[0]), ['0.to'], 'weight belongs to a list of targets');
  assert.equal(issueAt([{ to: TO, fallback: { portal: 'spb', line: 2 } }], '0.fallback'), 'Unrecognized key: "line"');
  assert.equal(issueAt([{ to: TO, fallback: [TO] }], '0.fallback'), 'must be one target such as { portal: spb, line_id: 2 }');
  assert.match(issueAt(['msk'], '0'), /^must be a route: a section with to:/);
  assert.equal(issueAt([{ to: TO, when: 'vip' }], '0.when'), 'must be a section of conditions, e.g. when: { start_payload: "^vip_" }');
  assert.match(issueAt([{ to: TO, pick: 'random' }], '0.pick'), /^must be weight .*round_robin .*fewest_open/);
});

test('name and bot: the id alphabet, "*", a list, and unique names (a written name may clash with a default one)', () => {
  assert.equal(issueAt([{ name: 'VIP route', to: TO }], '0.name'), '"VIP route" is not a route name: write 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit, e.g. name: vip');
  assert.match(issueAt([{ bot: 'Sales', to: TO }], '0.bot'), /^"Sales" is not a bot id: write a bot id from bots .*"\*" for any bot, or a list of bot ids$/);
  assert.match(issueAt([{ bot: ['sales', '*'], to: TO }], '0.bot.1'), /^"\*" is not a bot id from bots: write 1–63/);
  assert.match(issueAt([{ bot: [], to: TO }], '0.bot'), /^is an empty list/);
  assert.equal(issueAt([{ name: 'a', to: TO }, { name: 'a', to: TO }], '1.name'), '"a" is already the name of routes[0]; fix: give each route its own name');
  assert.equal(issueAt([{ name: 'route-2', to: TO }, { to: TO }], '1.name'), '"route-2" is already the name of routes[0]; fix: give each route its own name');
});

test('conditions: regexes are compiled and a bad one is refused with the engine\'s reason', () => {
  const payload = issueAt([{ when: { start_payload: 'vip_(' }, to: TO }], '0.when.start_payload');
  assert.match(payload, /^is not a valid regular expression \(Invalid regular expression: \/vip_\(\/u: Unterminated group\); fix: close every group/);
  assert.match(issueAt([{ when: { text: '[жалоб' }, to: TO }], '0.when.text'), /^is not a valid regular expression \(Invalid regular expression: \/\[жалоб\/iu: /);
  assert.match(issueAt([{ when: { text: '' }, to: TO }], '0.when.text'), /^is empty, which would match anything/);
  assert.equal(issueAt([{ when: { text: 42 }, to: TO }], '0.when.text'), 'must be a regular expression in quotes, e.g. text: "(жалоб|претензи)"');
});

test('conditions: chat types, substrings, languages, and unknown condition names', () => {
  assert.equal(issueAt([{ when: { chat_type: 'group' }, to: TO }], '0.when.chat_type'), 'must be dialog (one-to-one with the bot) or chat (a group chat)');
  assert.equal(issueAt([{ when: { chat_type: ['dialog', 'channel'] }, to: TO }], '0.when.chat_type.1'), 'must be dialog (one-to-one with the bot) or chat (a group chat)');
  assert.match(issueAt([{ when: { text_contains: ['возврат', ' '] }, to: TO }], '0.when.text_contains.1'), /^is empty; write text/);
  assert.equal(issueAt([{ when: { language: 'russian!' }, to: TO }], '0.when.language'), '"russian!" is not a language tag; write a BCP 47 tag such as ru, en or ru-RU');
  assert.equal(issueAt([{ when: { language: ['ru', 'e'] }, to: TO }], '0.when.language.1'), '"e" is not a language tag; write a BCP 47 tag such as ru, en or ru-RU');
  assert.equal(issueAt([{ when: { payload: '^vip' }, to: TO }], '0.when'), 'Unrecognized key: "payload"');
});

test('conditions: working hours are checked key by key, with what to write', () => {
  const at = (hours: object, path: string) => issueAt([{ when: { hours }, to: TO }], `0.when.hours${path}`);
  const ok = { days: 'mon-fri', from: '09:00', to: '18:00' };
  assert.match(at({ ...ok, days: 'weekdays' }, '.days'), /^"weekdays" is not a day or a range of days; write mon, tue, wed, thu, fri, sat or sun, a range such as mon-fri/);
  assert.match(at({ ...ok, days: ['mon', 'frі'] }, '.days.1'), /^"frі" is not a day/);
  assert.match(at({ ...ok, from: '9am' }, '.from'), /^"9am" is not a start time; write HH:MM from 00:00 to 23:59/);
  assert.match(at({ ...ok, to: '24:30' }, '.to'), /^"24:30" is not an end time; write HH:MM from 00:00 to 24:00/);
  assert.equal(at({ ...ok, from: 540 }, '.from'), 'must be a time in quotes, e.g. from: "09:00"');
  assert.match(at({ ...ok, to: '09:00' }, '.to'), /^equals from \(09:00\).*from: "00:00", to: "24:00"$/);
  assert.match(at({ ...ok, time_zone: 'MSK+3' }, '.time_zone'), /^"MSK\+3" is not a time zone; write an IANA zone name such as Europe\/Moscow/);
  assert.match(at({ ...ok, holidays: ['2026-13-01'] }, '.holidays.0'), /^"2026-13-01" is not a date; write YYYY-MM-DD/);
  assert.equal(at({ ...ok, timezone: 'UTC' }, ''), 'Unrecognized key: "timezone"');
  assert.equal(issueAt([{ when: { outside_hours: { ...ok, from: '' } }, to: TO }], '0.when.outside_hours.from'), '"" is not a start time; write HH:MM from 00:00 to 23:59, e.g. from: "09:00"');
});

test('transform: lengths, a module path, attachment types', () => {
  const at = (transform: object, path: string) => issueAt([{ to: TO, transform }], `0.transform.${path}`);
  assert.equal(at({ card: 'x'.repeat(1_001) }, 'card'), 'is 1001 characters long, more than 1000; shorten it');
  assert.equal(at({ prefix: 'x'.repeat(201) }, 'prefix'), 'is 201 characters long, more than 200; shorten it');
  assert.equal(at({ module: 'https://example.ru/t.mjs' }, 'module'), '"https://example.ru/t.mjs" is a URL; write a file path such as ./hooks/transform.mjs');
  assert.equal(at({ module: 'hooks/t.mjs' }, 'module'), '"hooks/t.mjs" is not a file path; start it with ./ (relative) or / (absolute), e.g. ./hooks/transform.mjs');
  assert.equal(at({ attachments: { allowed_types: ['image', 'gif'] } }, 'attachments.allowed_types.1'), 'must be one of image, video, audio, file, sticker, location, contact');
  assert.equal(at({ attachments: { max_bytes: 0 } }, 'attachments.max_bytes'), 'must be 1 or more bytes, e.g. max_bytes: 10485760 (10 MiB)');
  assert.equal(issueAt([{ to: TO, transform: { color: 'red' } }], '0.transform'), 'Unrecognized key: "color"');
  assert.match(at({ card: '{{name}} · {{phone}}' }, 'card') ?? '', /^unknown placeholder \{\{phone\}\}; known: \{\{name\}\}/);
  assert.match(at({ outbound_prefix: '{{operator}: ' }, 'outbound_prefix') ?? '', /without its closing/);
  assert.equal(rules([{ to: TO, transform: { prefix: '[{{route}}] ', outbound_prefix: '{{operator}}: ' } }])[0]?.transform?.outbound_prefix, '{{operator}}: ', 'known placeholders pass');
  const [r] = rules([{ to: TO, transform: { prefix: '[VIP] ', outbound_prefix: 'Оператор: ', attachments: { max_bytes: 1_024, allowed_types: ['image'], instead_text: 'Файл не передан' } } }]);
  assert.deepEqual(r?.transform, { prefix: '[VIP] ', outbound_prefix: 'Оператор: ', attachments: { max_bytes: 1_024, allowed_types: ['image'], instead_text: 'Файл не передан' } });
});

test('normalizeRoutes refuses what the schema would have (a caller bug) with BRG_ERR_BAD_ROUTE', () => {
  assert.throws(() => normalizeRoutes([{ name: 'x' }]), { code: 'BRG_ERR_BAD_ROUTE', message: 'route x has no target (neither to nor portal)' });
  assert.throws(() => normalizeRoutes([{ when: { text: '(' }, to: TO }]), { code: 'BRG_ERR_BAD_ROUTE' });
});
