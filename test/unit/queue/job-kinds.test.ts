import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '../../../src/domain/errors.ts';
import {
  BITRIX24_SETUP_JOB, LINE_FLUSH_JOB, MAX_CATCHUP_JOB, MAX_UPDATE_JOB, conversationOfPortalEventQueue, conversationQueue, maxChatQueue, parseJobPayload, portalEventQueue,
} from '../../../src/queue/job-kinds.ts';
import { makeConversationId, parseBotId } from '../../../src/domain/ids.ts';

test('a job\'s stored payload is read back typed, its ids checked by their codecs', () => {
  assert.deepEqual(parseJobPayload(MAX_UPDATE_JOB, { botId: 'shop', extra: 1 }), { botId: 'shop' });
  assert.deepEqual(parseJobPayload(LINE_FLUSH_JOB, { lineRef: 'main:3', portalId: 'main' }), { lineRef: 'main:3', portalId: 'main' });
  assert.deepEqual(parseJobPayload(BITRIX24_SETUP_JOB, { portalId: 'main' }), { portalId: 'main' });
  assert.deepEqual(parseJobPayload(BITRIX24_SETUP_JOB, { portalId: 'main', lineId: 5 }), { portalId: 'main', lineId: 5 });
  assert.deepEqual(parseJobPayload(MAX_CATCHUP_JOB, { botId: 'shop', conversationId: 'shop:42' }), { botId: 'shop', conversationId: 'shop:42' });
});

test('a downtime catch-up keeps its lower bound and reason through the parse (without them it would read only the restart window)', () => {
  const payload = { botId: 'shop', conversationId: 'shop:42', sinceMs: 1_700_000_000_000, reason: 'subscription_lost' };
  assert.deepEqual(parseJobPayload(MAX_CATCHUP_JOB, payload), payload);
  for (const bad of [{ sinceMs: '1700000000000' }, { sinceMs: Number.NaN }, { reason: 'bored' }]) {
    assert.throws(() => parseJobPayload(MAX_CATCHUP_JOB, { ...payload, ...bad }), /BRG_ERR_BAD_JOB_PAYLOAD|does not match/, JSON.stringify(bad));
  }
});

test('a job whose payload was damaged (edited by hand, an incompatible version) goes to dead letters with BRG_ERR_BAD_JOB_PAYLOAD instead of failing half-way', () => {
  for (const [kind, payload] of [
    [MAX_UPDATE_JOB, null], [MAX_UPDATE_JOB, {}], [MAX_UPDATE_JOB, { botId: 7 }], [LINE_FLUSH_JOB, { lineRef: 'main', portalId: 'main' }],
    [MAX_CATCHUP_JOB, { botId: 'shop', conversationId: 'not-a-conversation' }], [BITRIX24_SETUP_JOB, { portalId: 'main', lineId: -1 }],
  ] as const) {
    assert.throws(() => parseJobPayload(kind, payload), (err: unknown) => err instanceof BridgeError && err.code === 'BRG_ERR_BAD_JOB_PAYLOAD' && !err.retryable, `${kind} ${JSON.stringify(payload)}`);
  }
});

test('a catch-up runs in the queue of its chat\'s updates', () => {
  const bot = parseBotId('shop');
  assert.equal(conversationQueue(makeConversationId(bot, '42')), maxChatQueue(bot, '42'));
  assert.equal(maxChatQueue(bot, null), 'max:shop:nochat');
});

test('a portal event queue names its conversation, and only a conversation of ours', () => {
  const queue = portalEventQueue('main', 'shop:-7001');
  assert.equal(queue, 'b24:main:shop:-7001');
  assert.equal(conversationOfPortalEventQueue(queue), 'shop:-7001');
  assert.equal(portalEventQueue('main', null), 'b24:main:portal');
  assert.equal(conversationOfPortalEventQueue('b24:main:portal'), null);
  assert.equal(conversationOfPortalEventQueue('b24:main:setup'), null);
  assert.equal(conversationOfPortalEventQueue('max:shop:-7001'), null);
  assert.equal(conversationOfPortalEventQueue('b24:main'), null);
});
