import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRoutes, normalizeRoutes, routesSchema } from '../../../../src/config/route-schema.ts';

const IDS = { botIds: ['sales', 'support'], portalIds: ['msk', 'spb'] };
const TO = { portal: 'msk', line_id: 1 };
const DEFAULT = { name: 'default', to: TO };

const problems = (routes: unknown, ids = IDS) => checkRoutes(normalizeRoutes(routesSchema.parse(routes)), ids).map((p) => `${p.path.join('.')}: ${p.message}`);

test('sound routes have no problems', () => {
  assert.deepEqual(problems([{ name: 'vip', bot: 'sales', when: { start_payload: '^vip_' }, to: { portal: 'spb', line_id: 3 } }, DEFAULT]), []);
  assert.deepEqual(problems([{ bot: 'sales', portal: 'msk' }, { bot: 'support', portal: 'spb', line_id: 2 }]), [], 'the first config shape, one route per bot');
});

test('an unknown bot is reported where it is written, with the ids that exist', () => {
  assert.deepEqual(problems([{ bot: 'salse', when: { text: 'x' }, to: TO }, DEFAULT]), [
    'routes.0.bot: no bot has the id "salse"; fix: use one of sales, support or "*" (any bot)',
  ]);
  assert.deepEqual(problems([{ bot: ['sales', 'suport'], when: { text: 'x' }, to: TO }, DEFAULT]), [
    'routes.0.bot.1: no bot has the id "suport"; fix: use one of sales, support or "*" (any bot)',
  ]);
});

test('an unknown portal is reported at the key the operator wrote: top-level, to, a list entry, fallback', () => {
  assert.deepEqual(problems([
    { portal: 'kzn', when: { text: 'a' } },
    { to: { portal: 'kzn', line_id: 1 }, when: { text: 'b' } },
    { to: [TO, { portal: 'kzn', line_id: 2 }], when: { text: 'c' }, fallback: { portal: 'nsk', line_id: 1 } },
    DEFAULT,
  ]), [
    'routes.0.portal: no portal has the id "kzn"; fix: use one of msk, spb',
    'routes.1.to.portal: no portal has the id "kzn"; fix: use one of msk, spb',
    'routes.2.to.1.portal: no portal has the id "kzn"; fix: use one of msk, spb',
    'routes.2.fallback.portal: no portal has the id "nsk"; fix: use one of msk, spb',
  ]);
  assert.deepEqual(problems([DEFAULT], { botIds: [], portalIds: [] }), ['routes.0.to.portal: no portal has the id "msk"; fix: use one of (no portals yet: add one under portals)']);
});

test('a name used twice is reported on the later route', () => {
  const rules = normalizeRoutes([{ name: 'a', to: TO, when: { text: 'x' } }, { name: 'a', to: TO }]);
  assert.deepEqual(checkRoutes(rules, IDS), [{ path: ['routes', 1, 'name'], message: '"a" is already the name of routes[0]; fix: give each route its own name' }]);
});

test('a bot with no default route is named, with the route to add', () => {
  assert.deepEqual(checkRoutes(normalizeRoutes(routesSchema.parse([
    { name: 'vip', when: { start_payload: '^vip_' }, to: TO },
    { name: 'sales-default', bot: 'sales', to: TO },
  ])), IDS), [{
    path: ['routes'],
    message: 'bot support has no default route, so a conversation no condition matches would go nowhere; fix: add a route without `when` at the end (e.g. `- name: default\n  to: { portal: msk, line_id: <line number> }`)',
  }]);
  assert.deepEqual(problems([{ when: { text: 'x' }, to: TO }], { botIds: [], portalIds: ['msk'] }), [], 'no bots, nothing to route');
});

test('a route below a default that takes all its bots can never match', () => {
  assert.deepEqual(problems([DEFAULT, { name: 'vip', bot: 'sales', when: { start_payload: '^vip_' }, to: TO }]), [
    'routes.1: route "vip" can never match: the default route "default" above it has no conditions and takes all its conversations; fix: move "vip" above it',
  ]);
  assert.deepEqual(problems([{ name: 'sales-default', bot: 'sales', to: TO }, { name: 'vip', bot: 'sales', when: { text: 'x' }, to: TO }, DEFAULT]), [
    'routes.1: route "vip" can never match: the default route "sales-default" above it has no conditions and takes all its conversations; fix: move "vip" above it',
  ]);
  assert.deepEqual(problems([{ name: 'sales-default', bot: 'sales', to: TO }, { name: 'any', when: { text: 'x' }, to: TO }, DEFAULT]), [], 'support still reaches "any"');
  assert.deepEqual(problems([{ name: 'd1', bot: 'sales', to: TO }, { name: 'd2', bot: 'support', to: TO }, { name: 'any', when: { text: 'x' }, to: TO }]), [
    'routes.2: route "any" can never match: the default routes "d1", "d2" above it have no conditions and take all its conversations; fix: move "any" above them',
  ]);
});
