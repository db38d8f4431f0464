import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitrix24DedupeKey, maxDedupeKey } from '../../../src/domain/dedupe-keys.ts';

const key = (u: Record<string, unknown>) => maxDedupeKey(u, JSON.stringify(u));

test('MAX: message by mid, edit by mid + time, callback by id, removal by message id', () => {
  assert.equal(key({ update_type: 'message_created', timestamp: 1, message: { body: { mid: 'mid.a' } } }), 'message:mid.a');
  assert.equal(key({ update_type: 'message_created', timestamp: 2, message: { body: { mid: 'mid.a' } } }), 'message:mid.a', 'redelivery later: same key');
  assert.equal(key({ update_type: 'message_edited', timestamp: 5, message: { body: { mid: 'mid.a' } } }), 'edit:mid.a:5');
  assert.notEqual(
    key({ update_type: 'message_edited', timestamp: 6, message: { body: { mid: 'mid.a' } } }),
    key({ update_type: 'message_edited', timestamp: 5, message: { body: { mid: 'mid.a' } } }),
    'two edits are two events',
  );
  assert.equal(key({ update_type: 'message_callback', timestamp: 1, callback: { callback_id: 'cb1' } }), 'callback:cb1');
  assert.equal(key({ update_type: 'message_removed', timestamp: 1, message_id: 'mid.a', chat_id: 1, user_id: 2 }), 'removed:mid.a');
});

test('MAX: lifecycle events by type + chat + user + time; unknown types by a hash of the body', () => {
  assert.equal(key({ update_type: 'bot_started', timestamp: 7, chat_id: 3, user: { user_id: 9 } }), 'bot_started:3:9:7');
  const unknown = key({ update_type: 'something_new', timestamp: 1, x: 1 });
  assert.match(unknown, /^something_new:sha256:[0-9a-f]{32}$/);
  assert.equal(unknown, key({ update_type: 'something_new', timestamp: 1, x: 1 }));
});

test('Bitrix24: event kind + im.message_id; arrays given as objects (form-encoded) too', () => {
  const data = { CONNECTOR: 'c', LINE: '1', MESSAGES: { 0: { im: { chat_id: '5', message_id: '86497' } } } };
  assert.equal(bitrix24DedupeKey('OnImConnectorMessageAdd', data), 'ONIMCONNECTORMESSAGEADD:86497');
  assert.equal(bitrix24DedupeKey('ONIMCONNECTORMESSAGEUPDATE', { MESSAGES: [{ im: { message_id: '86497' } }] }), 'ONIMCONNECTORMESSAGEUPDATE:86497');
  assert.match(bitrix24DedupeKey('ONIMCONNECTORLINEDELETE', '12'), /^ONIMCONNECTORLINEDELETE:sha256:/);
});
