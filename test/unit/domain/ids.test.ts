import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '../../../src/domain/errors.ts';
import {
  conversationIdParts, lineRefParts, makeConversationId, makeLineRef, parseBotId, parseConversationId, parseLineRef, parsePortalId, portalOfLine,
} from '../../../src/domain/ids.ts';

test('a line ref is built from its portal and line and taken apart only by its codec', () => {
  const ref = makeLineRef(parsePortalId('main'), 12);
  assert.equal(ref, 'main:12');
  assert.deepEqual(lineRefParts(ref), { portalId: 'main', lineId: 12 });
  assert.equal(portalOfLine(parseLineRef('ru-portal_2:7')), 'ru-portal_2');
  for (const bad of ['main', 'main:', ':1', 'main:x', 'Main:1', 'a:b:1']) {
    assert.throws(() => parseLineRef(bad), (err: unknown) => err instanceof BridgeError && err.code === 'BRG_ERR_BAD_ID' && !err.retryable, bad);
  }
});

test('an Open Lines chat id that is not one of our conversations names none (a chat started from Bitrix24, a foreign connector)', () => {
  const id = makeConversationId(parseBotId('shop'), '-7001');
  assert.equal(id, 'shop:-7001');
  assert.equal(parseConversationId('shop:-7001'), id);
  assert.deepEqual(conversationIdParts(id), { botId: 'shop', maxChatId: '-7001' });
  for (const foreign of ['', '42', 'chat42', 'shop:', 'shop:abc', 'Shop:1', 'shop:1:2']) assert.equal(parseConversationId(foreign), null, foreign);
  assert.throws(() => makeConversationId(parseBotId('shop'), 'x1'), /MAX chat id/);
});

test('bot and portal ids keep the configuration\'s alphabet, so a stored id never holds the ":" the other ids are built with', () => {
  assert.equal(parseBotId('sales-bot_1'), 'sales-bot_1');
  for (const bad of ['', 'a:b', 'Upper', '-lead', 'x'.repeat(64)]) {
    assert.throws(() => parseBotId(bad), /not a bot id/, bad);
    assert.throws(() => parsePortalId(bad), /not a portal id/, bad);
  }
});
