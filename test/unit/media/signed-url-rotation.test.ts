/**
 * Media links across a BRIDGE_SECRET_KEY rotation: signed with the current key; links
 * signed under a previous key keep checking while that key is in the ring.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaSigner } from '../../../src/media/signed-url.ts';

const OLD = 'old-secret-key-0123456789';
const NEW = 'new-secret-key-0123456789';
const NOW = Date.UTC(2030, 0, 1);

function sigOf(url: string): { exp: string; sig: string } {
  const q = new URL(url).searchParams;
  return { exp: q.get('exp') ?? '', sig: q.get('sig') ?? '' };
}

test('a link signed under the old key checks while the old key is previous, and not after', () => {
  const link = sigOf(new MediaSigner(OLD).url('https://bridge.example.ru', 'file-1', 'a.pdf', NOW + 3_600_000));
  assert.equal(new MediaSigner(NEW, [OLD]).check('file-1', link.exp, link.sig, NOW), 'ok');
  assert.equal(new MediaSigner(NEW).check('file-1', link.exp, link.sig, NOW), 'bad');
  assert.equal(new MediaSigner(NEW, [OLD]).check('file-1', link.exp, link.sig, NOW + 7_200_000), 'expired', 'still bound by its expiry');
  assert.equal(new MediaSigner(NEW, [OLD]).check('file-2', link.exp, link.sig, NOW), 'bad', 'still bound to its file');
});

test('new links are signed with the current key: the new key alone checks them, the old alone does not', () => {
  const link = sigOf(new MediaSigner(NEW, [OLD]).url('https://bridge.example.ru', 'file-1', 'a.pdf', NOW + 3_600_000));
  assert.equal(new MediaSigner(NEW).check('file-1', link.exp, link.sig, NOW), 'ok');
  assert.equal(new MediaSigner(OLD).check('file-1', link.exp, link.sig, NOW), 'bad');
});
