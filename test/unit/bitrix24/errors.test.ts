import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyBitrix24Error } from '../../../src/bitrix24/errors.ts';

test('Bitrix24 classification: limits retried with the right floor, inactive line not retried', () => {
  const now = 1_000_000;
  const limit = classifyBitrix24Error(503, '{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}', now);
  assert.equal(limit.code, 'BRG_ERR_BITRIX24_QUERY_LIMIT');
  assert.equal(limit.retryable, true);
  const op = classifyBitrix24Error(429, JSON.stringify({ error: 'OPERATION_TIME_LIMIT', error_description: 'x', time: { operating_reset_at: 1_420 } }), now);
  assert.equal(op.retryAfterMs, 420_000, 'waits for operating_reset_at');
  assert.equal(classifyBitrix24Error(400, '{"error":"NOT_ACTIVE_LINE"}', now).code, 'BRG_ERR_BITRIX24_LINE_INACTIVE');
  assert.equal(classifyBitrix24Error(400, '{"error":"NOT_ACTIVE_LINE"}', now).retryable, false);
  assert.equal(classifyBitrix24Error(401, '{"error":"expired_token"}', now).code, 'BRG_ERR_BITRIX24_TOKEN_EXPIRED');
  assert.equal(classifyBitrix24Error(401, '{"error":"NO_AUTH_FOUND"}', now).retryable, false);
  assert.equal(classifyBitrix24Error(403, '{"error":"WRONG_AUTH_TYPE"}', now).code, 'BRG_ERR_BITRIX24_ACCESS_DENIED');
  assert.equal(classifyBitrix24Error(500, 'oops', now).retryable, true);
});
