/**
 * The hook signature (src/hooks/signature.ts, docs/hooks.md): `t=<s>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>">`, checked by a receiver over the raw bytes, in constant time, with a bound
 * on the time; and hook event ids (src/bridge/hook-events.ts): `evt_` + 26 base32 characters,
 * the same for the same fact, different otherwise.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { hookEventId } from '../../../src/bridge/hook-events.ts';
import { signatureHeader, verifySignature } from '../../../src/hooks/signature.ts';

const SECRET = 'receiver-secret-0123456789';
const BODY = '{"id":"evt_a","type":"message.inbound","data":{"text":"Привет"}}';

test('the header is t and the HMAC of "<t>.<raw body>", as the docs tell a receiver to compute it', () => {
  const header = signatureHeader(SECRET, BODY, 1_765_000_000);
  const expected = createHmac('sha256', SECRET).update(`1765000000.${BODY}`, 'utf8').digest('hex');
  assert.equal(header, `t=1765000000,v1=${expected}`);
});

test('a receiver accepts the right signature and refuses a tampered, stale, malformed or missing one', () => {
  const t = 1_765_000_000;
  const header = signatureHeader(SECRET, BODY, t);
  assert.deepEqual(verifySignature(header, Buffer.from(BODY, 'utf8'), SECRET, t + 10), { ok: true, timestampSeconds: t });
  assert.deepEqual(verifySignature(header, BODY.replace('Привет', 'Привет!'), SECRET, t), { ok: false, reason: 'mismatch' });
  assert.deepEqual(verifySignature(header, BODY, 'another-secret-0123456789', t), { ok: false, reason: 'mismatch' });
  assert.deepEqual(verifySignature(header, BODY, SECRET, t + 301), { ok: false, reason: 'stale' }, 'a replay after 5 minutes');
  assert.deepEqual(verifySignature(header, BODY, SECRET, t - 301), { ok: false, reason: 'stale' });
  // The same body re-signed with a later t by someone without the secret cannot pass.
  assert.deepEqual(verifySignature(header.replace(`t=${t}`, `t=${t + 100}`), BODY, SECRET, t + 100), { ok: false, reason: 'mismatch' });
  assert.deepEqual(verifySignature('v1=abc', BODY, SECRET, t), { ok: false, reason: 'malformed' });
  assert.deepEqual(verifySignature(`t=${t},v1=zz`, BODY, SECRET, t), { ok: false, reason: 'malformed' });
  assert.deepEqual(verifySignature(undefined, BODY, SECRET, t), { ok: false, reason: 'missing' });
  // Several v1 values (one per secret while it changes): one matching is enough.
  const other = signatureHeader('old-secret-0123456789abc', BODY, t).split('v1=')[1];
  assert.equal(verifySignature(`${header},v1=${other}`, BODY, SECRET, t).ok, true);
});

test('event ids: evt_ and 26 base32 characters; one per fact, random without a key', () => {
  const a = hookEventId('message.inbound', 'in:shop:1:mid.1');
  assert.match(a, /^evt_[a-z2-7]{26}$/);
  assert.equal(hookEventId('message.inbound', 'in:shop:1:mid.1'), a, 'the same fact, the same id');
  assert.notEqual(hookEventId('message.delivered', 'in:shop:1:mid.1'), a, 'the type is part of it');
  assert.notEqual(hookEventId('message.inbound', 'in:shop:1:mid.2'), a);
  const random = new Set(Array.from({ length: 1_000 }, () => hookEventId('client.erased')));
  assert.equal(random.size, 1_000);
  for (const id of random) assert.match(id, /^evt_[a-z2-7]{26}$/);
});
