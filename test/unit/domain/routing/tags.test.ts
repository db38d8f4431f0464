/** Routes' `when.tags` (docs/configuration.md, docs/hooks.md "Checks"): the schema, the engine, the explanation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainRoute } from '../../../../src/bridge/route-explain.ts';
import { normalizeRoutes, routesSchema } from '../../../../src/config/route-schema.ts';
import { mergeTags, tagProblem } from '../../../../src/domain/routing/conversation-tags.ts';
import { input } from './helpers.ts';

const TO = { portal: 'msk', line_id: 1 };
const ROUTES = [
  { name: 'regulars', when: { tags: ['gold', 'vip'] }, to: { portal: 'msk', line_id: 3 } },
  { name: 'one-tag', when: { tags: 'new' }, to: { portal: 'msk', line_id: 2 } },
  { name: 'default', to: TO },
];

test('when.tags: one or a list; a tag is 1–50 letters, digits, "_", ".", ":" or "-"; the route is not a default', () => {
  const [regulars, oneTag, fallback] = normalizeRoutes(routesSchema.parse(ROUTES));
  assert.deepEqual(regulars?.when.tags, ['gold', 'vip']);
  assert.deepEqual(oneTag?.when.tags, ['new']);
  assert.equal(regulars?.isDefault, false);
  assert.equal(fallback?.when.tags, null);
  const refused = routesSchema.safeParse([{ when: { tags: ['vip', 'два слова'] }, to: TO }]);
  assert.equal(refused.success, false);
  assert.deepEqual(refused.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`), [
    '0.when.tags.1: "два слова" may hold only letters, digits, "_", ".", ":" and "-" (no spaces); write a tag a check gives, e.g. vip or erp:gold',
  ]);
  assert.equal(routesSchema.safeParse([{ when: { tags: [] }, to: TO }]).success, false, 'an empty list');
  assert.equal(routesSchema.safeParse([{ when: { tags: 'x'.repeat(51) }, to: TO }]).success, false, 'too long');
  assert.equal(routesSchema.safeParse([{ when: { tags: ['erp:gold', 'постоянный', 'a.b-c_d'] }, to: TO }]).success, true);
});

test('the engine: the first route with any of its tags; explained in Russian and English', () => {
  const rules = normalizeRoutes(routesSchema.parse(ROUTES));
  const ru = explainRoute(rules, input({ tags: ['VIP'] }), { lang: 'ru' });
  assert.equal(ru.decision?.route, 'regulars');
  assert.equal(ru.lines[0], 'маршрут regulars: метка «vip»');
  const en = explainRoute(rules, input({ tags: ['new'] }), { lang: 'en' });
  assert.equal(en.decision?.route, 'one-tag');
  assert.deepEqual(en.lines.slice(0, 2), ['route regulars did not match: tags new include none of: gold, vip', 'route one-tag: tag "new"']);
  const none = explainRoute(rules, input(), { lang: 'ru' });
  assert.equal(none.decision?.route, 'default');
  assert.equal(none.lines[0], 'маршрут regulars не подошёл: меток нет (нужна одна из: gold, vip)');
});

test('tags merge once each, case-insensitively, in the order given; a tag\'s problems are named', () => {
  assert.deepEqual(mergeTags(['vip'], ['VIP', 'new'], ['gold', 'new']), ['vip', 'new', 'gold']);
  assert.deepEqual(mergeTags([], Array.from({ length: 150 }, (_, i) => `t${i}`)).length, 100);
  assert.equal(tagProblem('erp:gold'), null);
  assert.equal(tagProblem(''), 'is empty');
  assert.match(tagProblem('a'.repeat(51)) ?? '', /longer than 50/);
  assert.match(tagProblem('a b') ?? '', /no spaces/);
});
