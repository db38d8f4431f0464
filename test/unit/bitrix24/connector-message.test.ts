import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse as parseForm } from 'qs';
import { connectorMessagesOf } from '../../../src/bitrix24/connector-message.ts';
import { envelopeOf } from '../../../src/bitrix24/event-shape.ts';
import { sessionHistoryOf } from '../../../src/bitrix24/session-history.ts';

const form = [
  'event=ONIMCONNECTORMESSAGEADD', 'data[CONNECTOR]=max_bridge', 'data[LINE]=1',
  'data[MESSAGES][0][im][chat_id]=12', 'data[MESSAGES][0][im][message_id]=34', 'data[MESSAGES][0][message][user_id]=7',
  'data[MESSAGES][0][message][text]=%D0%94%D0%BE%D0%B1%D1%80%D1%8B%D0%B9%20%D0%B4%D0%B5%D0%BD%D1%8C', 'data[MESSAGES][0][chat][id]=sandbox:6201',
  'data[MESSAGES][0][message][files][0][name]=a.pdf', 'data[MESSAGES][0][message][files][0][link]=https://portal/a.pdf',
  'data[MESSAGES][0][message][params][CLASS]=bx-messenger-content-item-ol-output',
  'data[MESSAGES][1][im][chat_id]=12', 'data[MESSAGES][1][message][text]=no id',
].join('&');

test('an operator\'s reply parsed from the form-encoded event keeps its text, author, files and params', () => {
  const [first, second] = connectorMessagesOf(envelopeOf(parseForm(form, { depth: 10 }))?.data);
  assert.deepEqual(first, {
    imChatId: '12', imMessageId: '34', externalChatId: 'sandbox:6201', userId: '7', text: 'Добрый день',
    files: [{ name: 'a.pdf', link: 'https://portal/a.pdf' }], params: { CLASS: 'bx-messenger-content-item-ol-output' },
  });
  assert.equal(second?.imMessageId, null, 'a message without its id reads as such');
  assert.equal(second?.text, 'no id');
});

test('fields of the wrong shape read as absent, never as a crash', () => {
  const [m] = connectorMessagesOf({ MESSAGES: { 0: { im: 'x', message: { text: ['a'], user_id: { id: 1 }, files: 'f' }, chat: { id: 42 } } } });
  assert.deepEqual(m, { imChatId: '', imMessageId: null, externalChatId: '42', userId: null, text: '', files: [], params: null });
  assert.deepEqual(connectorMessagesOf({ MESSAGES: ['garbage'] }), [{ imChatId: '', imMessageId: null, externalChatId: null, userId: null, text: '', files: [], params: null }]);
});

test('an Open Lines history gives its messages, their connector ids and the authors\' names, lists as arrays or PHP objects', () => {
  const history = sessionHistoryOf({
    message: { 5: { id: 5, author_id: 3, text: 'ответ', params: [] }, 4: { id: 4, author_id: 0, text: 'system' }, 6: { id: 6, author_id: 9, params: { CONNECTOR_MID: ['mid.1'] } } },
    users: { 3: { name: ' Анна ' } },
  });
  assert.ok(history);
  assert.deepEqual(history.messages.map((m) => [m.id, m.authorId, m.text, m.connectorMids]), [['4', '0', 'system', []], ['5', '3', 'ответ', []], ['6', '9', '', ['mid.1']]]);
  assert.equal(history.nameOf('3'), 'Анна');
  assert.equal(history.nameOf('9'), '');
  assert.equal(sessionHistoryOf(null), null);
  assert.equal(sessionHistoryOf('text'), null);
});
