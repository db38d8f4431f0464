import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CARD_PLACEHOLDERS, PREFIX_PLACEHOLDERS, renderTemplate, routeTemplateValues, validateTemplate,
} from '../../../../src/domain/transform/template.ts';
import type { TransformContext } from '../../../../src/domain/transform/transform-message.ts';

const CONTEXT: TransformContext = {
  direction: 'inbound', route: 'sales', botId: 'shop-bot', portalId: 'main', lineId: 3, conversationId: 'shop-bot:42',
  client: { name: 'Анна Петрова', maxUserId: '42', profileUrl: null, language: 'ru' },
  source: { startPayload: null },
};

test('placeholders are replaced, with or without spaces inside the braces; Cyrillic passes as is', () => {
  const text = renderTemplate('Клиент: {{name}} · {{ route }} · {{  bot\t}}', { name: 'Анна Петрова', route: 'продажи', bot: 'shop-bot' });
  assert.equal(text, 'Клиент: Анна Петрова · продажи · shop-bot');
});

test('an unknown, empty or null placeholder renders as nothing; stray braces stay as written', () => {
  assert.equal(renderTemplate('[{{nope}}][{{}}][{{ language }}]', { language: null }), '[][][]');
  assert.equal(renderTemplate('a {{name} b }} c { d }', { name: 'x' }), 'a {{name} b }} c { d }');
  assert.equal(renderTemplate('{{constructor}}{{__proto__}}{{toString}}', {}), '', 'own keys only');
});

test('nothing is evaluated or escaped: values are inserted literally, `$` patterns included', () => {
  const values = { name: '<b>{{route}}</b> $& $1 ${1+1}', route: 'sales' };
  assert.equal(renderTemplate('{{name}}|{{ 1+1 }}|${route}', values), '<b>{{route}}</b> $& $1 ${1+1}||${route}');
});

test('escapeValue applies to substituted values only', () => {
  const text = renderTemplate('[b]{{name}}[/b]', { name: '[i]Анна[/i]' }, { escapeValue: (v) => v.replace(/\[/g, '(').replace(/\]/g, ')') });
  assert.equal(text, '[b](i)Анна(/i)[/b]');
});

test('routeTemplateValues: source is the start payload or «—», operator only when given', () => {
  assert.deepEqual(routeTemplateValues(CONTEXT), {
    name: 'Анна Петрова', profile_url: null, source: '—', route: 'sales', bot: 'shop-bot', language: 'ru', operator: null,
  });
  const values = routeTemplateValues({ ...CONTEXT, source: { startPayload: 'promo_may' } }, 'Ольга');
  assert.equal(renderTemplate('{{operator}} ← {{source}}', values), 'Ольга ← promo_may');
  assert.deepEqual(Object.keys(routeTemplateValues(CONTEXT)).sort(), [...PREFIX_PLACEHOLDERS].sort());
});

test('validateTemplate accepts a template of known placeholders', () => {
  assert.deepEqual(validateTemplate('Новый клиент {{ name }} из {{source}} ({{route}}, {{bot}}, {{language}}, {{profile_url}})', CARD_PLACEHOLDERS), []);
  assert.deepEqual(validateTemplate('Без подстановок, { одиночные } скобки', CARD_PLACEHOLDERS), []);
});

test('validateTemplate names unknown placeholders once each, and the known ones', () => {
  const problems = validateTemplate('{{ nmae }} {{nmae}} {{operator}}', CARD_PLACEHOLDERS);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0]!, /unknown placeholder \{\{nmae\}\}; known: \{\{name\}\}/);
  assert.match(problems[1]!, /unknown placeholder \{\{operator\}\}/);
  assert.deepEqual(validateTemplate('{{operator}}', PREFIX_PLACEHOLDERS), []);
});

test('validateTemplate reports empty placeholders, non-names and unbalanced braces', () => {
  assert.match(validateTemplate('{{ }}', CARD_PLACEHOLDERS).join('\n'), /empty placeholder/);
  assert.match(validateTemplate('{{ client.name }}', CARD_PLACEHOLDERS).join('\n'), /not a placeholder name/);
  assert.match(validateTemplate('{{Имя}}', CARD_PLACEHOLDERS).join('\n'), /not a placeholder name/);
  assert.deepEqual(validateTemplate('Привет, {{name}', CARD_PLACEHOLDERS), ['"{{" without its closing "}}"']);
  assert.deepEqual(validateTemplate('Привет, name}}', CARD_PLACEHOLDERS), ['"}}" without its opening "{{"']);
  assert.equal(validateTemplate('{{ {{name}} }}', CARD_PLACEHOLDERS).length, 2);
});
