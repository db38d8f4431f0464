import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyAttachmentRules, formatBytesRu } from '../../../../src/domain/transform/attachment-rules.ts';
import type { TransformAttachment, TransformMessage } from '../../../../src/domain/transform/transform-message.ts';

const MB = 1024 * 1024;
const file = (type: string, name: string | null, sizeBytes: number | null): TransformAttachment => ({ type, name, sizeBytes, url: null });

test('an attachment over max_bytes is removed and named in a line under the text', () => {
  const message: TransformMessage = { text: 'Смотрите договор', attachments: [file('file', 'договор.pdf', 12 * MB), file('image', 'фото.jpg', MB)] };
  const { message: out, replaced } = applyAttachmentRules(message, { max_bytes: 10 * MB });
  assert.deepEqual(out.attachments, [file('image', 'фото.jpg', MB)]);
  assert.equal(out.text, 'Смотрите договор\nВложение не передано: договор.pdf (больше 10 МБ)');
  assert.deepEqual(replaced, [{ attachment: message.attachments[0], why: 'too_large' }]);
  assert.equal(message.attachments.length, 2, 'the input is not changed');
});

test('a type not in allowed_types is removed; an empty text gets only the lines; a nameless one is named by its kind', () => {
  const message: TransformMessage = { text: '', attachments: [file('video', null, 100), file('audio', 'voice.ogg', 100), file('image', 'a.png', 100)] };
  const { message: out, replaced } = applyAttachmentRules(message, { allowed_types: ['image'] });
  assert.deepEqual(out.attachments.map((a) => a.name), ['a.png']);
  assert.equal(out.text, 'Вложение не передано: видео (тип не разрешён)\nВложение не передано: voice.ogg (тип не разрешён)');
  assert.deepEqual(replaced.map((r) => r.why), ['type_not_allowed', 'type_not_allowed']);
});

test('types a route cannot list (share, inline_keyboard, unknown) are not filtered by type; unknown sizes pass max_bytes', () => {
  const message: TransformMessage = { text: 't', attachments: [file('share', 'ссылка', null), file('inline_keyboard', null, null), file('hologram', null, null), file('file', 'x.bin', null)] };
  const { message: out, replaced } = applyAttachmentRules(message, { allowed_types: [], max_bytes: 1 });
  assert.deepEqual(out.attachments.map((a) => a.type), ['share', 'inline_keyboard', 'hologram']);
  assert.deepEqual(replaced.map((r) => [r.attachment.type, r.why]), [['file', 'type_not_allowed']]);
});

test('instead_text is a template (name, why, type, size); "" removes without a line; no rules carry everything', () => {
  const message: TransformMessage = { text: 'Hi', attachments: [file('file', 'big.zip', 1536 * 1024)] };
  const custom = applyAttachmentRules(message, { max_bytes: MB, instead_text: '[{{ type }} {{name}}, {{size}}: {{why}}]' });
  assert.equal(custom.message.text, 'Hi\n[файл big.zip, 1,5 МБ: больше 1 МБ]');
  const silent = applyAttachmentRules(message, { max_bytes: MB, instead_text: '' });
  assert.deepEqual(silent.message, { text: 'Hi', attachments: [] });
  assert.equal(silent.replaced.length, 1);
  assert.deepEqual(applyAttachmentRules(message, undefined), { message, replaced: [] });
});

test('escapeValue applies to the values in the line', () => {
  const message: TransformMessage = { text: '', attachments: [file('file', '[b]x[/b].pdf', 5)] };
  const { message: out } = applyAttachmentRules(message, { max_bytes: 1 }, { escapeValue: (v) => v.replace(/\[/g, '(').replace(/\]/g, ')') });
  assert.equal(out.text, 'Вложение не передано: (b)x(/b).pdf (больше 1 байт)');
});

test('formatBytesRu: binary units, one decimal with a comma', () => {
  assert.equal(formatBytesRu(512), '512 байт');
  assert.equal(formatBytesRu(1024), '1 КБ');
  assert.equal(formatBytesRu(1536), '1,5 КБ');
  assert.equal(formatBytesRu(10 * MB), '10 МБ');
  assert.equal(formatBytesRu(2 * 1024 * MB), '2 ГБ');
});
