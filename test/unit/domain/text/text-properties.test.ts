/** Property tests of the text conversion: no input crashes, output well-nested, splitting loses nothing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bbcodeToMaxHtml } from '../../../../src/domain/text/bbcode-to-max.ts';
import { sanitizeClientName } from '../../../../src/domain/text/client-name.ts';
import { maxMarkupToBbcode } from '../../../../src/domain/text/markup-to-bbcode.ts';
import { parseOperatorSignature } from '../../../../src/domain/text/operator-signature.ts';
import { splitForMax } from '../../../../src/domain/text/split.ts';

function wellNestedHtml(html: string): boolean {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-z]+)[^>]*>/g)) {
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2] as string);
  }
  return stack.length === 0;
}

const stripTags = (html: string) => html.replace(/<[^>]+>/g, '');
const bbPiece = fc.constantFrom('[b]', '[/b]', '[i]', '[/i]', '[url=https://a.ru]', '[/url]', '[quote]', '[/quote]', '[list]', '[*]', '[/list]', '[br]', '<', '&', 'текст ', 'x', '\n', '[code]', '[/code]', '[USER=1]', '[/USER]');

test('any BB-code converts to well-nested html without crashing', () => {
  fc.assert(fc.property(fc.array(bbPiece, { maxLength: 40 }), (pieces) => {
    const html = bbcodeToMaxHtml(pieces.join(''));
    assert.ok(wellNestedHtml(html), html);
    assert.ok(!/<(?!\/?(b|i|u|s|a|blockquote|pre)\b)/.test(html), `only MAX html tags: ${html}`);
  }), { numRuns: 500 });
});

test('any markup converts to well-nested BB-code with the text intact', () => {
  const element = fc.record({
    type: fc.constantFrom('strong', 'emphasized', 'underline', 'strikethrough', 'monospaced', 'quote', 'heading', 'link'),
    from: fc.nat(30), length: fc.nat(30), url: fc.constant('https://a.ru'),
  });
  fc.assert(fc.property(fc.string({ maxLength: 30 }), fc.array(element, { maxLength: 6 }), (text, markup) => {
    const bb = maxMarkupToBbcode(text, markup);
    const stack: string[] = [];
    for (const m of bb.matchAll(/\[(\/?)([a-z]+)(=[^\]]*)?\]/g)) {
      if (m[1]) assert.equal(stack.pop(), m[2]);
      else stack.push(m[2] as string);
    }
    assert.deepEqual(stack, []);
    assert.equal(bb.replace(/\[\/?[a-z]+(=[^\]]*)?\]/g, '').replace(/\u200B/g, ''), text);
  }), { numRuns: 500 });
});

test('splitting keeps every part within the limit, well-nested, and loses nothing', () => {
  const word = fc.constantFrom('слово', 'word', 'ё', 'длинноеслово', '<b>', '</b>', '&amp;', '\n', '\n\n', ' ');
  fc.assert(fc.property(fc.array(word, { maxLength: 300 }), fc.integer({ min: 20, max: 80 }), (atoms, max) => {
    // Build valid html from the atoms (balance b tags).
    let open = false;
    const html = atoms.map((a) => (a === '<b>' ? (open ? '' : ((open = true), a)) : a === '</b>' ? (open ? ((open = false), a) : '') : a)).join('') + (open ? '</b>' : '');
    const parts = splitForMax(html, max);
    for (const p of parts) {
      assert.ok([...p].length <= max, `part over ${max}: ${p}`);
      assert.ok(wellNestedHtml(p), p);
    }
    const squash = (s: string) => stripTags(s).replace(/\s+/g, '');
    assert.equal(parts.map(squash).join(''), squash(html));
  }), { numRuns: 300 });
});

test('splits prefer paragraphs, then lines, then words', () => {
  const text = `${'а'.repeat(30)}\n\n${'б'.repeat(30)}\n${'в'.repeat(30)} ${'г'.repeat(30)}`;
  // A line break beats a later space: the part ends at the line, the rest fits in the next one.
  assert.deepEqual(splitForMax(text, 70), ['а'.repeat(30), 'б'.repeat(30), `${'в'.repeat(30)} ${'г'.repeat(30)}`]);
  assert.deepEqual(splitForMax('x'.repeat(25), 10), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)], 'an overlong word is cut hard');
  assert.deepEqual(splitForMax(`<b>${'д'.repeat(10)} ${'е'.repeat(10)}</b>`, 20), [`<b>${'д'.repeat(10)}</b>`, `<b>${'е'.repeat(10)}</b>`]);
});

test('operator signature and client names', () => {
  assert.deepEqual(parseOperatorSignature('[b]Анна Смирнова:[/b] [br]Добрый день'), { operatorName: 'Анна Смирнова', body: 'Добрый день' });
  assert.deepEqual(parseOperatorSignature('Без подписи'), { operatorName: null, body: 'Без подписи' });
  assert.equal(sanitizeClientName('Иван 😀 Петров'), 'Иван Петров');
  assert.equal(sanitizeClientName("O'Neil-Smith 42"), "O'Neil-Smith");
  assert.equal(sanitizeClientName('123 🚀'), 'Клиент MAX');
  assert.equal([...sanitizeClientName('Александра'.repeat(5))].length, 25);
});
