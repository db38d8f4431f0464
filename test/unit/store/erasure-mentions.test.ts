/**
 * How a record shared with other clients is cleaned of one client (src/store/erasure-mentions.ts):
 * the client's records go, the others' stay; a body about the client as a whole goes whole;
 * a number that only happens to equal the client's id is not taken for it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERASED, newSubject, pruneText, withoutIds, type ErasureSubject } from '../../../src/store/erasure-mentions.ts';

function subject(): ErasureSubject {
  const s = newSubject('7401');
  s.dialogChatIds.add('90000001');
  s.conversationIds.add('shop:90000001');
  s.mids.add('mid.aaa111');
  s.bitrixChatIds.add('1701');
  return s;
}

test('a line batch: the client\'s items erased, another client\'s kept', () => {
  const body = JSON.stringify({
    CONNECTOR: 'max_bridge', LINE: 2,
    MESSAGES: [
      { user: { id: '7401', name: 'Евлампия' }, message: { id: 'mid.aaa111', text: 'Альфакентавр' }, chat: { id: 'shop:90000001' } },
      { user: { id: '7402', name: 'Борислав' }, message: { id: 'mid.bbb222', text: 'Бетельгейзе' }, chat: { id: 'shop:90000002' } },
    ],
  });
  const out = pruneText(body, subject());
  assert.equal(out.kind, 'pruned');
  const kept = JSON.parse((out as { text: string }).text) as { MESSAGES: unknown[]; LINE: number };
  assert.equal(kept.MESSAGES[0], ERASED);
  assert.deepEqual(kept.MESSAGES[1], JSON.parse(body).MESSAGES[1]);
  assert.equal(kept.LINE, 2);
});

test('a chat about the client as a whole goes whole; a history read keeps its shape', () => {
  const chat = JSON.stringify({ chat_id: 90000001, type: 'dialog', dialog_with_user: { user_id: 7401, first_name: 'Евлампия' } });
  assert.deepEqual(pruneText(chat, subject()), { kind: 'whole' });
  const history = JSON.stringify({ messages: [{ sender: { user_id: 7401, name: 'Евлампия' }, recipient: { chat_id: 90000001 }, body: { text: 'Альфакентавр' } }] });
  assert.deepEqual(pruneText(history, subject()), { kind: 'pruned', text: JSON.stringify({ messages: [ERASED] }) });
});

test('another member\'s group message quoting the client: the quote erased, the message kept', () => {
  const update = JSON.stringify({
    update_type: 'message_created', timestamp: 1,
    message: {
      sender: { user_id: 7402, name: 'Борислав' }, recipient: { chat_id: -555, chat_type: 'chat' },
      body: { mid: 'mid.ccc', text: 'согласен' },
      link: { type: 'reply', sender: { user_id: 7401, name: 'Евлампия' }, message: { mid: 'mid.aaa111', text: 'Альфакентавр' } },
    },
  });
  const out = pruneText(update, subject());
  assert.equal(out.kind, 'pruned');
  const kept = JSON.parse((out as { text: string }).text) as { message: { link: unknown; body: { text: string }; sender: { user_id: number } } };
  assert.equal(kept.message.link, ERASED);
  assert.equal(kept.message.body.text, 'согласен');
  assert.equal(kept.message.sender.user_id, 7402);
});

test('a form body (a Bitrix24 event) is pruned and written back as a form', () => {
  const form = 'event=ONIMCONNECTORMESSAGEADD&data%5BMESSAGES%5D%5B0%5D%5Bchat%5D%5Bid%5D=shop%3A90000001&data%5BMESSAGES%5D%5B0%5D%5Bmessage%5D%5Btext%5D=%D0%9E%D0%BC%D0%B5%D0%B3%D0%B0'
    + '&data%5BMESSAGES%5D%5B1%5D%5Bchat%5D%5Bid%5D=shop%3A90000002&data%5BMESSAGES%5D%5B1%5D%5Bmessage%5D%5Btext%5D=ok';
  const out = pruneText(form, subject());
  assert.equal(out.kind, 'pruned');
  const text = (out as { text: string }).text;
  assert.ok(!text.includes('90000001') && !text.includes('%D0%9E%D0%BC'), text);
  assert.ok(text.includes('shop%3A90000002'));
});

test('a number equal to the client\'s id under another key is not the client; in free text it is', () => {
  const unrelated = JSON.stringify({ result: { size: 7401, message_id: 7401, chat: { id: 'shop:90000002' } } });
  assert.deepEqual(pruneText(unrelated, subject()), { kind: 'unchanged' });
  assert.deepEqual(pruneText('chat 90000001 refused the send', subject()), { kind: 'whole' });
  assert.deepEqual(pruneText('timestamp 174010000', subject()), { kind: 'unchanged' }, 'a longer number containing the id is not the id');
  assert.equal(withoutIds('GET /chats/90000001', subject()), `GET /chats/${ERASED}`);
  assert.equal(withoutIds('GET /chats/900000011', subject()), 'GET /chats/900000011');
});

test('an Open Lines history read in a batch: the client\'s chat erased, another chat kept; a message naming the client\'s mid goes with its text', () => {
  const batch = JSON.stringify({
    result: { result: {
      h0: { chat_id: 1701, message: { 86405: { id: 86405, author_id: 0, text: 'Альфакентавр' } } },
      h1: { chat_id: 1702, message: { 86406: { id: 86406, author_id: 0, text: 'Бетельгейзе' }, 86407: { id: 86407, text: 'Альфакентавр', params: { CONNECTOR_MID: ['mid.aaa111'] } } } },
    } },
  });
  const out = pruneText(batch, subject());
  assert.equal(out.kind, 'pruned');
  const text = (out as { text: string }).text;
  assert.ok(!text.includes('Альфакентавр'), text);
  assert.ok(text.includes('Бетельгейзе'));
});
