import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bitrix24ApiError, Bitrix24NetworkError, classifyBitrix24Error } from '../../../src/bitrix24/errors.ts';
import { portalDownCause } from '../../../src/bitrix24/portal-down.ts';
import { SideHolds } from '../../../src/domain/side-hold.ts';
import { botDownCause } from '../../../src/max/client.ts';
import { classifyMaxError, MaxNetworkError } from '../../../src/max/errors.ts';

const net = (code: string, timedOut = false) => ({ code, timedOut, mayHaveReached: !['ECONNREFUSED', 'ENOTFOUND'].includes(code) });

test('portal-wide failures hold the portal, each with what to do; one call\'s failure does not', () => {
  const reauth = new Bitrix24ApiError('BRG_ERR_BITRIX24_REAUTH_REQUIRED', 'x', 400, 'invalid_grant', '', { retryable: false });
  assert.match(portalDownCause(reauth, 'main')!.problem, /переустановите приложение/);
  const plan = classifyBitrix24Error(403, '{"error":"ACCESS_DENIED","error_description":"REST API is available only on commercial plans"}', 0);
  assert.equal(plan.code, 'BRG_ERR_BITRIX24_PAYMENT_REQUIRED');
  assert.match(portalDownCause(plan, 'main')!.problem, /тариф/);
  assert.equal(portalDownCause(classifyBitrix24Error(503, '{"error":"OVERLOAD_LIMIT"}', 0), 'main')!.code, 'BRG_ERR_BITRIX24_OVERLOAD');
  assert.equal(portalDownCause(new Bitrix24NetworkError(net('ENOTFOUND'), true), 'main')!.code, 'BRG_ERR_BITRIX24_UNREACHABLE');
  // One call's bad luck: a timeout, a 5xx, a limit, a refusal of this one request.
  assert.equal(portalDownCause(new Bitrix24NetworkError(net('TIMEOUT', true), true), 'main'), null);
  assert.equal(portalDownCause(classifyBitrix24Error(500, '{"error":"INTERNAL_SERVER_ERROR"}', 0), 'main'), null);
  assert.equal(portalDownCause(classifyBitrix24Error(503, '{"error":"QUERY_LIMIT_EXCEEDED"}', 0), 'main'), null);
  assert.equal(portalDownCause(classifyBitrix24Error(400, '{"error":"ERROR_ARGUMENT"}', 0), 'main'), null);
  assert.equal(portalDownCause(classifyBitrix24Error(403, '{"error":"ACCESS_DENIED","error_description":"Access denied"}', 0), 'main'), null);
});

test('a bot is down for a refused token or an unreachable API, not for a chat\'s refusal or a timeout', () => {
  const revoked = botDownCause(classifyMaxError(401, '{"code":"verify.token","message":"Invalid access_token"}'), 'shop', 'https://platform-api2.max.ru');
  assert.equal(revoked?.code, 'BRG_ERR_MAX_UNAUTHORIZED');
  assert.match(revoked!.problem, /bots\[\]\.token/);
  assert.equal(botDownCause(new MaxNetworkError(net('ECONNREFUSED'), true), 'shop', 'https://platform-api2.max.ru')?.code, 'BRG_ERR_MAX_UNREACHABLE');
  assert.equal(botDownCause(classifyMaxError(403, '{"code":"chat.denied","message":"error.dialog.suspended"}'), 'shop', 'https://x'), null);
  assert.equal(botDownCause(classifyMaxError(503, '{}'), 'shop', 'https://x'), null);
  assert.equal(botDownCause(new MaxNetworkError(net('TIMEOUT', true), false), 'shop', 'https://x'), null);
});

test('a held side fails its callers with the cause\'s code and the wait until the next probe; another cause on a probe is logged once more', () => {
  const lines: Array<Record<string, unknown>> = [];
  const holds = new SideHolds({ component: 'max-client', sideKind: 'bot', logger: { warn: (o: Record<string, unknown>) => lines.push(o), info: () => undefined } as never });
  holds.blocked('shop', 1_000, { code: 'BRG_ERR_MAX_UNAUTHORIZED', problem: 'p1' });
  const held = holds.admit('shop', 1_500)!;
  assert.equal(held, 4_000);
  const err = holds.heldError('shop', 1_500, held);
  assert.equal(err.code, 'BRG_ERR_MAX_UNAUTHORIZED');
  assert.equal(err.retryable, true);
  assert.equal(err.certain, true);
  assert.equal(err.retryAfterMs, 2_500);
  assert.equal(holds.admit('shop', 4_000), null, 'the probe goes');
  holds.blocked('shop', 4_100, { code: 'BRG_ERR_MAX_UNREACHABLE', problem: 'p2' });
  assert.equal(holds.states()[0]!.cause.code, 'BRG_ERR_MAX_UNREACHABLE');
  assert.equal(lines.length, 2, 'down, then down for another reason');
});
