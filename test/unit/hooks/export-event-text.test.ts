/**
 * An operator's text read out of a stored Bitrix24 event for the export
 * (src/hooks/export-event-text.ts): pair by pair, as qs would read the form (`+` a space,
 * `%XX` UTF-8, bracket keys encoded or not), the message of that id in that conversation
 * only; a JSON event through the usual parse. Checked against qs's own reading of the same.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse, stringify } from 'qs';
import { connectorMessagesOf } from '../../../src/bitrix24/connector-message.ts';
import { operatorTextOf } from '../../../src/hooks/export-event-text.ts';

const TEXT = '[b]Мария:[/b] [br]Цена 1 500 ₽ + доставка & «подъём», 100%?';
const event = (messages: Array<{ id: string; chat: string; text?: string }>) => ({
  event: 'ONIMCONNECTORMESSAGEADD',
  data: { CONNECTOR: 'max_bridge', LINE: '1', MESSAGES: messages.map((m) => ({ im: { chat_id: '1701', message_id: m.id }, message: { user_id: '7', ...(m.text === undefined ? {} : { text: m.text }) }, chat: { id: m.chat } })) },
  ts: '1796072400', auth: { application_token: 'token', member_id: 'member' },
});

test('a form-encoded event: the text of that message, decoded as qs decodes it', () => {
  const raw = stringify(event([{ id: '5001', chat: 'shop:101', text: TEXT }]));
  assert.equal(operatorTextOf(raw, '5001', 'shop:101'), TEXT);
  const viaQs = connectorMessagesOf((parse(raw, { depth: 10 }) as { data: unknown }).data)[0]?.text;
  assert.equal(operatorTextOf(raw, '5001', 'shop:101'), viaQs);
  // PHP's http_build_query writes spaces as `+` and leaves the brackets of keys unencoded.
  const php = `event=ONIMCONNECTORMESSAGEADD&data[MESSAGES][0][im][message_id]=5001&data[MESSAGES][0][message][text]=${encodeURIComponent('Добрый день, Иван').replace(/%20/g, '+')}&data[MESSAGES][0][chat][id]=shop%3A101`;
  assert.equal(operatorTextOf(php, '5001', 'shop:101'), 'Добрый день, Иван');
});

test('several messages: the one of that id and that conversation; none: null; no text: empty', () => {
  const raw = stringify(event([{ id: '5001', chat: 'shop:101', text: 'first' }, { id: '5002', chat: 'shop:101', text: 'second' }, { id: '5003', chat: 'shop:101' }]));
  assert.equal(operatorTextOf(raw, '5002', 'shop:101'), 'second');
  assert.equal(operatorTextOf(raw, '5003', 'shop:101'), '');
  assert.equal(operatorTextOf(raw, '5004', 'shop:101'), null);
  assert.equal(operatorTextOf(raw, '5001', 'shop:999'), null, 'the same id in another conversation (another portal) is not this message');
  assert.equal(operatorTextOf('data%5BMESSAGES%5D%5B0%5D%5Bmessage%5D%5Btext%5D=%E0%A4%A', '5001', 'shop:101'), null, 'a broken form reads as nothing, no crash');
});

test('a JSON event goes through the usual parse', () => {
  const raw = JSON.stringify(event([{ id: '5001', chat: 'shop:101', text: TEXT }]));
  assert.equal(operatorTextOf(raw, '5001', 'shop:101'), TEXT);
  assert.equal(operatorTextOf('{"broken', '5001', 'shop:101'), null);
});
