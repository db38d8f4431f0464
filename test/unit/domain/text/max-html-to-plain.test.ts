import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bbcodeToMaxHtml } from '../../../../src/domain/text/bbcode-to-max.ts';
import { maxHtmlToPlain } from '../../../../src/domain/text/max-html-to-plain.ts';

test('a reply MAX refused to format reads naturally as plain text: tags gone, links keep their address, entities decoded once', () => {
  const cases: Array<[string, string]> = [
    ['<b>Анна:</b>\nздравствуйте', 'Анна:\nздравствуйте'],
    ['<a href="https://pay.example.ru/?a=1&amp;b=2">оплатить</a>', 'оплатить (https://pay.example.ru/?a=1&b=2)'],
    ['<a href="https://example.ru">https://example.ru</a>', 'https://example.ru'],
    ['<pre>a &lt; b &amp;&amp; c</pre>', 'a < b && c'],
    ['&amp;lt;не тег&amp;gt;', '&lt;не тег&gt;'],
    ['<blockquote>цитата с <b>жирным</b></blockquote>', 'цитата с жирным'],
  ];
  for (const [html, plain] of cases) assert.equal(maxHtmlToPlain(html), plain, html);
});

test('every BB-code the operator may write survives the round trip to plain text without markup characters', () => {
  const html = bbcodeToMaxHtml('[b]жирный[/b] [i]курсив[/i] [u]п[/u] [s]з[/s] 1 < 2 & 3 > 2 [code]<x>[/code]');
  assert.equal(maxHtmlToPlain(html), 'жирный курсив п з 1 < 2 & 3 > 2 <x>');
});
