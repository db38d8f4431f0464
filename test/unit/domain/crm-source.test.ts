/**
 * The CRM's pure pieces (src/domain/crm/): the source read from a deep-link payload in each
 * accepted spelling, the dialog's CRM bindings, the client's phone rules, and the policy a
 * route gets from its own `crm:` over the top-level defaults (src/config/crm-schema.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crmDefaultsSchema, crmPolicyFor, routeCrmSchema } from '../../../src/config/crm-schema.ts';
import { isOwnPhone, normalizedPhone, phoneKey } from '../../../src/domain/crm/client-phone.ts';
import { isBound, parseCrmBindings } from '../../../src/domain/crm/crm-bindings.ts';
import { sourceOfPayload, utmOfPayload } from '../../../src/domain/crm/payload-source.ts';

test('a payload spelled as a query string gives its UTM fields, unknown keys ignored', () => {
  assert.deepEqual(utmOfPayload('utm_source=vk&utm_campaign=spring&ref=42'), { UTM_SOURCE: 'vk', UTM_CAMPAIGN: 'spring' });
  assert.deepEqual(utmOfPayload('utm_source%3Dyandex%26utm_medium%3Dcpc'), { UTM_SOURCE: 'yandex', UTM_MEDIUM: 'cpc' });
});

test('a payload in base64url of a query string is read too (links limited to [A-Za-z0-9_-])', () => {
  const payload = Buffer.from('utm_source=tg&utm_content=banner_2').toString('base64url');
  assert.deepEqual(utmOfPayload(payload), { UTM_SOURCE: 'tg', UTM_CONTENT: 'banner_2' });
});

test('a plain payload has no UTM fields; a configured mapping names the source', () => {
  assert.deepEqual(utmOfPayload('vip_client_7'), {});
  assert.equal(sourceOfPayload('vip_client_7', true, []), null);
  const sources = [{ payload: /^vk_/u, sourceId: 'ADVERTISING', utm: { UTM_SOURCE: 'vk' } }];
  assert.deepEqual(sourceOfPayload('vk_promo', true, sources), { sourceId: 'ADVERTISING', utm: { UTM_SOURCE: 'vk' }, payload: 'vk_promo' });
  // Parsed UTM fields win over the mapping's; the mapping still names SOURCE_ID.
  assert.deepEqual(sourceOfPayload('vk_x&utm_source=vk2', true, sources)?.utm, { UTM_SOURCE: 'vk2' });
  // Parsing off: only the mapping applies.
  assert.equal(sourceOfPayload('utm_source=vk', false, []), null);
  assert.equal(sourceOfPayload(null, true, sources), null);
});

test('UTM values are trimmed, stripped of control characters and cut at 255', () => {
  assert.deepEqual(utmOfPayload(`utm_source=${'a'.repeat(300)}&utm_term=%0Ahello%07`), { UTM_SOURCE: 'a'.repeat(255), UTM_TERM: 'hello' });
});

test('the dialog\'s CRM bindings are read from entity_data_2; junk reads as none', () => {
  assert.deepEqual(parseCrmBindings('LEAD|1209|COMPANY|0|CONTACT|7|DEAL|0'), { LEAD: 1209, COMPANY: 0, CONTACT: 7, DEAL: 0 });
  assert.equal(isBound(parseCrmBindings('LEAD|0|COMPANY|0|CONTACT|0|DEAL|0')), false);
  assert.equal(isBound(parseCrmBindings(undefined)), false);
  assert.equal(isBound(parseCrmBindings('LEAD|x|DEAL|-3')), false);
});

test('phones: domestic 8… is +7…, too short is none, own numbers are recognised in any spelling', () => {
  assert.equal(normalizedPhone('8 (916) 123-45-67'), '+79161234567');
  assert.equal(normalizedPhone('+7 916 123 45 67'), '+79161234567');
  assert.equal(normalizedPhone('12345'), null);
  assert.equal(phoneKey('+7 (495) 123-45-67'), '4951234567');
  assert.equal(isOwnPhone('84951234567', ['+7 495 123-45-67']), true);
  assert.equal(isOwnPhone('+79161234567', ['+7 495 123-45-67']), false);
});

test('a route\'s crm keys override the defaults key by key; none means no CRM at all', () => {
  const defaults = crmDefaultsSchema.parse({ mode: 'lead', ask_phone: true, deal: { category_id: 2 } });
  const route = routeCrmSchema.parse({ mode: 'contact_deal', deal: { stage_id: 'C2:PREPARATION' } });
  const policy = crmPolicyFor(route, defaults);
  assert.equal(policy.mode, 'contact_deal');
  assert.deepEqual(policy.deal, { categoryId: 2, stageId: 'C2:PREPARATION' });
  assert.equal(policy.askPhone, true);
  assert.equal(policy.sourceFromPayload, true);
  assert.equal(crmPolicyFor(undefined, defaults).mode, 'lead');
  assert.equal(crmPolicyFor(routeCrmSchema.parse({ mode: 'none' }), defaults).askPhone, false);
  // Nothing written anywhere: no CRM call (an upgrade never starts writing into the CRM by itself).
  assert.equal(crmPolicyFor(undefined, crmDefaultsSchema.parse({})).mode, 'none');
  // A new deal in a non-zero pipeline starts in that pipeline's first stage.
  assert.equal(crmPolicyFor(routeCrmSchema.parse({ deal: { category_id: 3 } }), crmDefaultsSchema.parse({ mode: 'contact_deal' })).deal.stageId, 'C3:NEW');
});

test('bad crm settings are refused with a message that says what to write', () => {
  const mode = routeCrmSchema.safeParse({ mode: 'leads' });
  assert.equal(mode.success, false);
  assert.match(mode.error?.issues[0]?.message ?? '', /line .* lead .* contact_deal .* none/);
  const own = crmDefaultsSchema.safeParse({ own_phones: ['12-34'] });
  assert.equal(own.success, false);
  assert.match(own.error?.issues[0]?.message ?? '', /not a phone number/);
  const source = routeCrmSchema.safeParse({ sources: [{ payload: '(', source_id: 'ADS' }] });
  assert.equal(source.success, false);
  assert.match(source.error?.issues[0]?.message ?? '', /not a valid regular expression/);
  assert.equal(routeCrmSchema.safeParse({ mode: 'lead', extra: 1 }).success, false);
});
