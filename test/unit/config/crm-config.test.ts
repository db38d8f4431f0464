/**
 * The `crm` keys through the whole loader (YAML → checked configuration): a route's policy over
 * the top-level one, bad values named with their fix and line, and routes that disagree about
 * who creates the CRM objects of one line refused (src/config/cross-checks.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crmPolicyFor } from '../../../src/config/crm-schema.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { errorFor, errorsOf, fileOf, okConfig, PROD_ENV } from './helpers.ts';

const ENV = { CONFIG_FILE: 'c.yaml', BRIDGE_SECRET_KEY: PROD_ENV.BRIDGE_SECRET_KEY, PUBLIC_URL: PROD_ENV.PUBLIC_URL };
const BASE = 'bots:\n  - id: a\n    token: a-token-0123456789\nbitrix24:\n  client_id: x\n  client_secret: y\nportals:\n  - id: p1\n';

test('a route\'s crm section is taken over the top-level one', () => {
  const yaml = `${BASE}crm:\n  mode: lead\n  own_phones: ["+7 495 123-45-67"]\nroutes:\n  - name: vip\n    when: { start_payload: "^vip" }\n    to: { portal: p1, line_id: 3 }\n    crm: { mode: contact_deal, deal: { category_id: 2 } }\n  - name: rest\n    to: { portal: p1, line_id: 4 }\n`;
  const { config } = okConfig(loadConfig(ENV, fileOf(yaml)));
  assert.deepEqual(config.crm.own_phones, ['+7 495 123-45-67']);
  assert.equal(crmPolicyFor(config.routes[0]?.crm, config.crm).mode, 'contact_deal');
  assert.equal(crmPolicyFor(config.routes[0]?.crm, config.crm).deal.stageId, 'C2:NEW');
  assert.equal(crmPolicyFor(config.routes[1]?.crm, config.crm).mode, 'lead');
});

test('a bad crm value is named with its line and what to write', () => {
  const errors = errorsOf(loadConfig(ENV, fileOf(`${BASE}crm:\n  mode: leads\nroutes:\n  - to: { portal: p1 }\n    crm: { ask_phone: yes please }\n`)));
  assert.match(errorFor(errors, 'crm.mode '), /\(line 10\): must be one of: line, lead, contact_deal, none; fix: line \(the Open Line creates/);
  assert.match(errorFor(errors, 'routes[0].crm.ask_phone '), /must be true or false/);
});

test('two routes that disagree about who creates a line\'s CRM objects are refused', () => {
  const yaml = `${BASE}crm:\n  mode: line\nroutes:\n  - name: vip\n    when: { start_payload: "^vip" }\n    to: { portal: p1, line_id: 3 }\n    crm: { mode: lead }\n  - name: rest\n    to: { portal: p1, line_id: 3 }\n`;
  const error = errorFor(errorsOf(loadConfig(ENV, fileOf(yaml))), 'routes[1].crm.mode ');
  assert.match(error, /is line, but routes\[0\] \(vip\) sends to the same line p1:3 with crm\.mode lead.*fix: give both routes the same kind of crm\.mode/);
  // Agreeing routes (both bridge-driven) are fine, and so is `none` beside anything.
  okConfig(loadConfig(ENV, fileOf(yaml.replace(/rest\n {4}to: \{ portal: p1, line_id: 3 \}\n/, 'rest\n    to: { portal: p1, line_id: 3 }\n    crm: { mode: contact_deal }\n'))));
  okConfig(loadConfig(ENV, fileOf(yaml.replace(/rest\n {4}to: \{ portal: p1, line_id: 3 \}\n/, 'rest\n    to: { portal: p1, line_id: 3 }\n    crm: { mode: none }\n'))));
});
