import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyboardButtonsOf, midOfMessage, parseMaxUpdate } from '../../../src/max/update.ts';

test('a stored MAX update is parsed once: typed fields, big ids kept exact, other fields kept as MAX sent them', () => {
  const update = parseMaxUpdate('{"update_type":"message_created","timestamp":1700000000000,"message":{"sender":{"user_id":5,"first_name":"Анна"},'
    + '"recipient":{"chat_id":77,"chat_type":"dialog"},"timestamp":1700000000000,"body":{"mid":"mid.1","seq":116688673966208835,"text":"hi","markup":[{"type":"strong"}]}},"user_locale":"ru"}');
  assert.ok(update);
  assert.equal(update.update_type, 'message_created');
  assert.equal(midOfMessage(update.message), 'mid.1');
  assert.equal(update.message?.body?.seq, '116688673966208835', 'seq above 2^53 kept exact, as text');
  assert.equal(update.message?.sender?.first_name, 'Анна');
  assert.deepEqual(update.message?.body?.markup, [{ type: 'strong' }]);
  assert.equal(update.user_locale, 'ru');
});

test('a field of the wrong shape reads as absent; a body that is not an update is none', () => {
  const update = parseMaxUpdate('{"update_type":"bot_started","user":"nobody","payload":{"x":1},"chat_id":5}');
  assert.ok(update);
  assert.equal(update.user, undefined);
  assert.equal(update.payload, undefined);
  assert.equal(update.chat_id, 5);
  assert.equal(parseMaxUpdate('{"timestamp":1}'), null);
  assert.equal(parseMaxUpdate('not json'), null);
  assert.equal(parseMaxUpdate('[1,2]'), null);
});

test('a button press finds the pressed button among the message\'s inline keyboard rows', () => {
  const update = parseMaxUpdate(JSON.stringify({
    update_type: 'message_callback', callback: { callback_id: 'cb', payload: 'yes' },
    message: { body: { mid: 'm', attachments: [{ type: 'image', payload: {} }, { type: 'inline_keyboard', payload: { buttons: [[{ text: 'Да', payload: 'yes' }], [{ text: 'Нет', payload: 'no' }]] } }] } },
  }));
  assert.deepEqual(keyboardButtonsOf(update?.message).map((b) => b.text), ['Да', 'Нет']);
  assert.deepEqual(keyboardButtonsOf(undefined), []);
});
