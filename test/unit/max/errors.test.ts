import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyMaxError, retryAfterMsOf } from '../../../src/max/errors.ts';

test('classification carries the decision: retry 429/5xx/not-ready, never other 4xx', () => {
  const cases: Array<[number, string, string, boolean, boolean]> = [
    [429, '{"code":"too.many.requests","message":"Too many requests"}', 'BRG_ERR_MAX_RATE_LIMITED', true, false],
    [503, '{"code":"service.unavailable","message":"x"}', 'BRG_ERR_MAX_UNAVAILABLE', true, false],
    [400, '{"code":"attachment.not.ready","message":"Key: errors.process.attachment.file.not.processed"}', 'BRG_ERR_MAX_ATTACHMENT_NOT_READY', true, false],
    [403, '{"code":"chat.denied","message":"error.dialog.suspended"}', 'BRG_ERR_MAX_USER_BLOCKED_BOT', false, true],
    [403, '{"code":"chat.denied","message":"Bot is not a member"}', 'BRG_ERR_MAX_CHAT_DENIED', false, true],
    [404, '{"code":"chat.not.found","message":"x"}', 'BRG_ERR_MAX_NOT_FOUND', false, true],
    [401, '{"code":"verify.token","message":"Invalid access_token"}', 'BRG_ERR_MAX_UNAUTHORIZED', false, false],
    [400, '{"code":"proto.payload","message":"Field \'text\' size (4001) must be at most 4000"}', 'BRG_ERR_MAX_BAD_REQUEST', false, false],
    [502, '<html>bad gateway</html>', 'BRG_ERR_MAX_UNAVAILABLE', true, false],
    [400, '{"code":"proto.payload","message":"Some Markdown syntax is not supported. Use basic formatting."}', 'BRG_ERR_MAX_FORMAT_REJECTED', false, false],
  ];
  for (const [status, body, code, retryable, notify] of cases) {
    const e = classifyMaxError(status, body);
    assert.equal(e.code, code, body);
    assert.equal(e.retryable, retryable, body);
    assert.equal(e.notifyOperator, notify, body);
  }
});

test('Retry-After is honoured in seconds or as a date', () => {
  assert.equal(retryAfterMsOf('7', 0), 7_000);
  assert.equal(retryAfterMsOf(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(retryAfterMsOf(null, 0), undefined);
  assert.equal(classifyMaxError(429, '{}', 7_000).retryAfterMs, 7_000);
});
