/**
 * CryptoBox as a key ring: the current key seals (v2, naming its key id), every key of
 * the ring opens, v1 values (before the ring) still open, and a value no key opens is
 * a coded, retryable error that names variables and key ids, never key material.
 */
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { test } from 'node:test';
import { BridgeError } from '../../../src/domain/errors.ts';
import { decideRetry, DEFAULT_RETRY_POLICY } from '../../../src/queue/retry-policy.ts';
import { CryptoBox, SECRET_KEY_MISMATCH, SECRET_MALFORMED } from '../../../src/store/crypto-box.ts';
import { sealV1 } from '../../helpers/sealed-v1.ts';

const KEY_A = 'old-secret-key-AAAA-0123456789abcdef';
const KEY_B = 'new-secret-key-BBBB-0123456789abcdef';
const KEY_C = 'other-secret-key-CCCC-0123456789abcd';

function mismatchOf(fn: () => unknown): BridgeError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BridgeError, `a BridgeError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected it to throw');
}

test('the current key seals as v2 with its key id; a ring with the old key as previous opens v2 and v1 values of the old key', () => {
  const old = new CryptoBox(KEY_A);
  const ring = new CryptoBox(KEY_B, [KEY_A]);
  const sealedOld = old.seal('access-token-1');
  const sealedV1 = sealV1(KEY_A, 'refresh-token-2');
  assert.match(sealedOld, new RegExp(`^v2\\.${old.currentKeyId}\\.`));
  assert.equal(ring.open(sealedOld), 'access-token-1');
  assert.equal(ring.open(sealedV1), 'refresh-token-2');
  // v1 values of the current key open too (a store written before the ring).
  assert.equal(old.open(sealedV1), 'refresh-token-2');
  assert.equal(ring.open(sealV1(KEY_B, 'x')), 'x');
  assert.deepEqual(ring.keyIds, [new CryptoBox(KEY_B).currentKeyId, old.currentKeyId]);
  assert.ok(!ring.isCurrent(sealedOld) && !ring.isCurrent(sealedV1), 'values of the old key are not current');
});

test('a ring seals with the current key only: the new key alone opens it, the old key alone does not', () => {
  const ring = new CryptoBox(KEY_B, [KEY_A]);
  const sealed = ring.seal('application-token-3');
  assert.equal(CryptoBox.keyIdOf(sealed), ring.currentKeyId);
  assert.ok(ring.isCurrent(sealed));
  assert.equal(new CryptoBox(KEY_B).open(sealed), 'application-token-3');
  assert.equal(mismatchOf(() => new CryptoBox(KEY_A).open(sealed)).code, SECRET_KEY_MISMATCH);
  assert.notEqual(ring.seal('same'), ring.seal('same'), 'a fresh IV each time');
});

test('a value no key opens: BRG_ERR_SECRET_KEY_MISMATCH, retryable, naming the variables and key ids but no key material', () => {
  const ring = new CryptoBox(KEY_B, [KEY_A]);
  for (const sealed of [new CryptoBox(KEY_C).seal('plain-token-77'), sealV1(KEY_C, 'plain-token-77')]) {
    const err = mismatchOf(() => ring.open(sealed));
    assert.equal(err.code, SECRET_KEY_MISMATCH);
    assert.equal(err.retryable, true);
    assert.match(err.message, /BRIDGE_SECRET_KEY \(key id [0-9a-f]{8}\) or BRIDGE_SECRET_KEY_PREVIOUS \(key ids [0-9a-f]{8}\)/);
    assert.match(err.message, /fix: /);
    for (const secret of [KEY_A, KEY_B, KEY_C, 'plain-token-77']) assert.ok(!err.message.includes(secret), 'no key or value in the message');
    for (const key of [KEY_A, KEY_B, KEY_C]) {
      const derived = scryptSync(key, 'max-bitrix24-bridge/secrets/v1', 32);
      assert.ok(!err.message.includes(derived.toString('hex').slice(0, 16)) && !err.message.includes(derived.toString('base64url').slice(0, 16)));
    }
  }
  assert.match(mismatchOf(() => ring.open(new CryptoBox(KEY_C).seal('t'))).message, new RegExp(`sealed under key id ${new CryptoBox(KEY_C).currentKeyId}`));
  // Tampered data fails authentication the same way: never garbage.
  const sealed = ring.seal('token');
  const parts = sealed.split('.');
  parts[4] = Buffer.from('tampered').toString('base64url');
  assert.equal(mismatchOf(() => ring.open(parts.join('.'))).code, SECRET_KEY_MISMATCH);
});

test('a mismatch is retried like an outage (a job waits for a process with the key), not spent as an unexpected exception', () => {
  const err = mismatchOf(() => new CryptoBox(KEY_A).open(new CryptoBox(KEY_B).seal('t')));
  const decision = decideRetry(err, DEFAULT_RETRY_POLICY.maxAttempts + 5, DEFAULT_RETRY_POLICY, () => 0.5, 3_600_000);
  assert.equal(decision.action, 'retry');
});

test('what is not a sealed value is BRG_ERR_SECRET_MALFORMED, not retried', () => {
  const box = new CryptoBox(KEY_A);
  for (const bad of ['plain-token', 'v1.a.b', 'v2.zzzzzzzz.a.b.c', 'v3.a.b.c', `v2.${box.currentKeyId}.a.b`]) {
    const err = mismatchOf(() => box.open(bad));
    assert.equal(err.code, SECRET_MALFORMED, bad);
    assert.equal(err.retryable, false);
  }
});

test('the key id: 8 hex digits, stable per key, different between keys, and no part of the key or the derived key', () => {
  const a = new CryptoBox(KEY_A).currentKeyId;
  assert.match(a, /^[0-9a-f]{8}$/);
  assert.equal(new CryptoBox(KEY_A).currentKeyId, a, 'the same key, the same id in every process');
  assert.notEqual(new CryptoBox(`${KEY_A.slice(0, -1)}e`).currentKeyId, a, 'one character apart: another id');
  for (const key of [KEY_A, 'deadbeefdeadbeefdeadbeef']) {
    const id = new CryptoBox(key).currentKeyId;
    const derived = scryptSync(key, 'max-bitrix24-bridge/secrets/v1', 32);
    for (const text of [key, Buffer.from(key).toString('hex'), derived.toString('hex')]) assert.ok(!text.includes(id), `the id is not a slice of ${text.slice(0, 6)}…`);
  }
  assert.equal(CryptoBox.keyIdOf(sealV1(KEY_A, 't')), null, 'a v1 value names no key');
});

test('the ring: the current key listed again, or twice, is tried once; a short previous key is refused without echoing it', () => {
  assert.equal(new CryptoBox(KEY_B, [KEY_B, KEY_A, KEY_A]).keyIds.length, 2);
  assert.throws(() => new CryptoBox(KEY_B, ['short-key']), (err: Error) => /BRIDGE_SECRET_KEY_PREVIOUS must be at least 16/.test(err.message) && !err.message.includes('short-key'));
  assert.throws(() => new CryptoBox('short-key'), /BRIDGE_SECRET_KEY must be at least 16/);
});
