import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTransformMessage, sameTransformMessage } from '../../../../src/domain/transform/transform-message.ts';

test('a well-formed message is copied with only the known keys; omitted optional fields become null', () => {
  const parsed = parseTransformMessage({ text: 'привет', extra: 1, attachments: [{ type: 'image', url: 'https://x/y.png', ref: 'a1', junk: true }] });
  assert.deepEqual(parsed, { ok: true, message: { text: 'привет', attachments: [{ type: 'image', name: null, sizeBytes: null, url: 'https://x/y.png', ref: 'a1' }] } });
});

test('malformed messages are refused with the reason', () => {
  const problem = (value: unknown) => {
    const parsed = parseTransformMessage(value);
    assert.equal(parsed.ok, false);
    return parsed.ok ? '' : parsed.problem;
  };
  assert.match(problem(undefined), /expected an object \{ text, attachments \}, got undefined/);
  assert.match(problem('text'), /got string/);
  assert.match(problem({ text: 1, attachments: [] }), /text must be a string, got number/);
  assert.match(problem({ text: '' }), /attachments must be an array/);
  assert.match(problem({ text: '', attachments: [null] }), /attachments\[0\] must be an object/);
  assert.match(problem({ text: '', attachments: [{ name: 'x' }] }), /attachments\[0\]\.type/);
  assert.match(problem({ text: '', attachments: [{ type: 'file', sizeBytes: -1 }] }), /sizeBytes/);
  assert.match(problem({ text: '', attachments: [{ type: 'file', sizeBytes: 1.5 }] }), /sizeBytes/);
  assert.match(problem({ text: '', attachments: [{ type: 'file', url: 5 }] }), /url/);
});

test('sameTransformMessage compares text and attachments in order', () => {
  const a = { text: 't', attachments: [{ type: 'file', name: 'a', sizeBytes: 1, url: null }, { type: 'image', name: null, sizeBytes: null, url: 'u' }] };
  assert.ok(sameTransformMessage(a, structuredClone(a)));
  assert.ok(!sameTransformMessage(a, { ...a, text: 'u' }));
  assert.ok(!sameTransformMessage(a, { ...a, attachments: [...a.attachments].reverse() }));
});
