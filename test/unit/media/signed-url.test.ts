import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaSigner, URL_SEGMENT_MAX_CHARS, urlSegmentOf } from '../../../src/media/signed-url.ts';

test('a file name of any length or script makes a short link path that keeps the extension', () => {
  assert.equal(urlSegmentOf('договор.pdf'), encodeURIComponent('договор.pdf'), 'a short name is kept whole');
  const names = [
    `${'Очень длинное имя файла '.repeat(10)}.docx`,
    `${'x'.repeat(250)}.tar.gz`,
    'я'.repeat(255),
    `${'😀'.repeat(60)}.png`,
    `100% план/факт? #2 ${'ё'.repeat(120)}.xlsx`,
  ];
  for (const name of names) {
    const segment = urlSegmentOf(name);
    assert.ok(segment.length <= URL_SEGMENT_MAX_CHARS, `${segment.length} chars for ${name.slice(0, 20)}…`);
    assert.doesNotThrow(() => decodeURIComponent(segment), 'cut on a character boundary');
    assert.ok(!decodeURIComponent(segment).includes('/'));
    const ext = /\.[\p{L}\p{N}]{1,10}$/u.exec(name)?.[0];
    if (ext) assert.ok(decodeURIComponent(segment).endsWith(ext), `keeps ${ext}`);
  }
  for (const dots of ['.', '..', '']) assert.equal(urlSegmentOf(dots), 'file', `"${dots}" would be resolved away by a client`);
  const url = new MediaSigner('k').url('https://bridge.example.ru/', 'abc', names[0] as string, Date.UTC(2030, 0, 1));
  assert.match(url, /^https:\/\/bridge\.example\.ru\/media\/abc\/[^/?]+\.docx\?exp=\d+&sig=/);
});
