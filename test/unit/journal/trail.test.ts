import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'qs';
import { DEFAULT_MASKING } from '../../../src/journal/masking.ts';
import { escapeHtml, idRanges, renderTrailHtml } from '../../../src/journal/trail-html.ts';
import { buildTrail, isoInZone, SHARED_BODY_OMITTED, type TrailConversation, type TrailInput } from '../../../src/journal/trail.ts';
import type { JournalRow } from '../../../src/store/repos/journal-repo.ts';

// One conversation of bot "sales" with MAX chat 12345 (client 5001) on line p1:3; "sales:777" is another client's.
const CONV = 'sales:12345';
const OTHER = 'sales:777';
/** 2026-03-02 10:02:00 in Moscow. */
const T0 = Date.UTC(2026, 2, 2, 7, 2, 0);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;

const CLIENT_TEXT = 'Здравствуйте, где мой заказ <script>alert(1)</script>?';
const OTHER_TEXT = 'Секрет другого клиента: 4276 0000 1111';
const OPERATOR_TEXT = '[b]Анна:[/b] [br]Ваш заказ <b>в пути</b> & скоро будет';

let nextId = 101;
function row(fields: Partial<JournalRow> & Pick<JournalRow, 'atMs' | 'side' | 'direction' | 'endpoint'>): JournalRow {
  return {
    id: nextId++, method: 'POST', status: 200, durationMs: 40, requestBody: null, responseBody: null, errorCode: null,
    botId: 'sales', portalId: null, conversationId: CONV, messageId: null, jobId: null, maxUserId: null, maxChatId: '12345',
    lineRef: null, refs: [], ...fields,
  };
}

/** The MAX Update as the webhook journals it: the raw JSON text (seq above 2^53 written bare). */
function maxUpdate(mid: string, text: string | null, writtenMs: number): string {
  const body = text === null ? '' : `,"text":${JSON.stringify(text)}`;
  return `{"update_type":"message_created","timestamp":${writtenMs},"message":{"sender":{"user_id":5001,"first_name":"И***","is_bot":false},`
    + `"recipient":{"chat_id":12345,"chat_type":"dialog"},"timestamp":${writtenMs},"body":{"mid":"${mid}","seq":116688673966208835${body}}},"user_locale":"ru"}`;
}

/** A MAX update as journaled when it reached the bridge (`atMs`); MAX stamped it `writtenMs` (earlier for a late redelivery). */
function webhookRow(mid: string, text: string | null, atMs: number, options: { duplicate?: boolean; writtenMs?: number } = {}): JournalRow {
  return row({
    atMs, side: 'max', direction: 'in', endpoint: '/max/webhook/:botId', durationMs: 3, messageId: mid, maxUserId: '5001',
    requestBody: maxUpdate(mid, text, options.writtenMs ?? atMs), ...(options.duplicate ? { errorCode: 'DUPLICATE' } : {}),
  });
}

function lineItem(conversationId: string, userId: string, mid: string, text: string, atMs: number) {
  return { user: { id: userId, name: 'И***' }, message: { id: mid, date: Math.floor(atMs / 1000), text }, chat: { id: conversationId } };
}

function conversationRows(): JournalRow[] {
  nextId = 101;
  const r101 = webhookRow('mid.0001', CLIENT_TEXT, T0);
  // One line's batch: this client's message and another conversation's, answered item by item.
  const batchItems = [lineItem(CONV, '5001', 'mid.0001', CLIENT_TEXT, T0), lineItem(OTHER, '6001', 'mid.0900', OTHER_TEXT, T0)];
  const r102 = row({
    atMs: T0 + 1 * SECOND, side: 'bitrix24', direction: 'out', endpoint: 'imconnector.send.messages', durationMs: 180, portalId: 'p1',
    conversationId: null, maxChatId: null, jobId: '77', lineRef: 'p1:3',
    refs: [{ conversationId: CONV, messageId: 'mid.0001' }, { conversationId: OTHER, messageId: 'mid.0900' }],
    requestBody: JSON.stringify({ CONNECTOR: 'maxbridge', LINE: 3, MESSAGES: batchItems }),
    responseBody: JSON.stringify({ result: { SUCCESS: true, DATA: { RESULT: [
      { user: '585', message: batchItems[0]?.message, chat: { id: CONV }, SUCCESS: true, session: { ID: '323', CHAT_ID: '1767' } },
      { user: '586', message: batchItems[1]?.message, chat: { id: OTHER }, SUCCESS: true, session: { ID: '324', CHAT_ID: '1768' } },
    ] } }, time: { start: 1 } }),
  });
  const r103 = webhookRow('mid.0001', CLIENT_TEXT, T0 + 5 * SECOND, { duplicate: true, writtenMs: T0 });
  const r104 = webhookRow('mid.0002', 'Вот фото чека', T0 + 2 * MINUTE);
  const r105 = row({
    atMs: T0 + 2 * MINUTE + SECOND, side: 'bitrix24', direction: 'out', endpoint: 'imconnector.send.messages', portalId: 'p1', jobId: '78',
    lineRef: 'p1:3', messageId: 'mid.0002',
    requestBody: JSON.stringify({ CONNECTOR: 'maxbridge', LINE: 3, MESSAGES: [lineItem(CONV, '5001', 'mid.0002', 'Вот фото чека', T0)] }),
    responseBody: JSON.stringify({ result: { SUCCESS: true, DATA: { RESULT: [{ chat: { id: CONV }, SUCCESS: false,
      ERRORS: [{ code: 'ERROR_FILE_DOWNLOAD', message: 'Could not download the file photo.jpg' }] }] } } }),
  });
  const eventBody = stringify({
    event: 'ONIMCONNECTORMESSAGEADD',
    data: { CONNECTOR: 'maxbridge', LINE: '3', MESSAGES: [{ im: { chat_id: '1767', message_id: '9001' }, message: { user_id: '12', text: OPERATOR_TEXT }, chat: { id: CONV } }] },
    ts: String(Math.floor((T0 + 3 * MINUTE) / 1000)), auth: { application_token: '[REDACTED]', domain: 'shop.bitrix24.ru' },
  });
  const r106 = row({ atMs: T0 + 3 * MINUTE + 10 * SECOND, side: 'bitrix24', direction: 'in', endpoint: 'ONIMCONNECTORMESSAGEADD', durationMs: 2, portalId: 'p1', messageId: '9001', requestBody: eventBody });
  // The first send timed out (no answer), the retry went through.
  const r107 = row({
    atMs: T0 + 3 * MINUTE + 11 * SECOND, side: 'max', direction: 'out', endpoint: 'POST /messages', status: null, durationMs: 30_000,
    messageId: '9001', jobId: '80', maxUserId: '5001', lineRef: 'p1:3', errorCode: 'TIMEOUT', requestBody: JSON.stringify({ text: 'Ваш заказ **в пути** & скоро будет', format: 'markdown' }),
  });
  const r108 = row({
    atMs: T0 + 3 * MINUTE + 41 * SECOND, side: 'max', direction: 'out', endpoint: 'POST /messages', durationMs: 120,
    messageId: '9001', jobId: '80', maxUserId: '5001', lineRef: 'p1:3', requestBody: JSON.stringify({ text: 'Ваш заказ **в пути** & скоро будет', format: 'markdown' }),
    responseBody: '{"message":{"recipient":{"chat_id":12345},"body":{"mid":"mid.bot.0001","seq":116688673966208999,"text":"Ваш заказ в пути & скоро будет"}}}',
  });
  const r109 = row({
    atMs: T0 + 3 * MINUTE + 42 * SECOND, side: 'bitrix24', direction: 'out', endpoint: 'imconnector.send.status.delivery', portalId: 'p1',
    messageId: '9001', jobId: '81', lineRef: 'p1:3',
    requestBody: JSON.stringify({ CONNECTOR: 'maxbridge', LINE: 3, MESSAGES: [{ im: { chat_id: 1767, message_id: '9001' }, message: { id: ['mid.bot.0001'], date: 1 }, chat: { id: CONV } }] }),
    responseBody: JSON.stringify({ result: { SUCCESS: true, DATA: [] } }),
  });
  // Another client's row the search could not have returned: never part of this trail.
  const r110 = row({ atMs: T0 + 4 * MINUTE, side: 'max', direction: 'out', endpoint: 'POST /messages', conversationId: OTHER, maxChatId: '777', messageId: '9100', requestBody: JSON.stringify({ text: OTHER_TEXT }) });
  // MAX delivered this one late (a retry): written 70 s before the bridge got it.
  const r111 = webhookRow('mid.0003', 'Алло?', T0 + 10 * MINUTE, { writtenMs: T0 + 10 * MINUTE - 70 * SECOND });
  return [r101, r102, r103, r104, r105, r106, r107, r108, r109, r110, r111];
}

const CONVERSATION: TrailConversation = {
  id: CONV, botId: 'sales', maxChatId: '12345', maxUserId: '5001', lineRef: 'p1:3', routeName: 'Продажи', createdAtMs: T0, updatedAtMs: T0 + 10 * MINUTE,
};

function input(overrides: Partial<TrailInput> = {}): TrailInput {
  return {
    conversationId: CONV, conversation: CONVERSATION, rows: conversationRows(), exportedAtMs: T0 + 1_440 * MINUTE,
    exportedBy: 'admin <ops@example.ru>', policy: DEFAULT_MASKING, ...overrides,
  };
}

test('messages: each client and operator message with its hops and outcome, in the order they reached the bridge', () => {
  const trail = buildTrail(input());
  assert.deepEqual(trail.messages.map((m) => [m.direction, m.actor, m.messageId, m.outcome]), [
    ['in', 'client', 'mid.0001', 'delivered'],
    ['in', 'client', 'mid.0002', 'failed'],
    ['out', 'operator', '9001', 'delivered'],
    ['in', 'client', 'mid.0003', 'pending'],
  ]);
  const [first, second, reply, third] = trail.messages;
  assert.equal(first?.text, CLIENT_TEXT);
  assert.deepEqual(first?.hops, [101, 102, 103], 'intake, the batch send and the redelivery');
  assert.equal(first?.firstSeenMs, T0);
  assert.equal(first?.deliveredMs, T0 + SECOND + 180, 'when the batch call\'s answer came');
  assert.equal(first?.deliveredIso, '2026-03-02T10:02:01.180+03:00');
  assert.equal(second?.deliveredMs, null);
  assert.equal(reply?.text, OPERATOR_TEXT);
  assert.deepEqual(reply?.hops, [106, 107, 108, 109], 'event, failed send, send, delivery status');
  assert.equal(reply?.deliveredMs, T0 + 3 * MINUTE + 41 * SECOND + 120);
  assert.equal(third?.hops.length, 1);
  assert.equal(third?.firstSeenMs, T0 + 10 * MINUTE);
  assert.equal(third?.writtenMs, T0 + 10 * MINUTE - 70 * SECOND, 'MAX\'s own time of a late redelivery');
  assert.equal(reply?.writtenIso, '2026-03-02T10:05:00.000+03:00', 'the Bitrix24 event\'s ts');
});

test('summary: counts, first client message, first operator reply and failed hops (a redelivery is no failure)', () => {
  const trail = buildTrail(input());
  assert.deepEqual(trail.summary, {
    clientMessages: 3, operatorMessages: 1, failedHops: 2, firstClientMessageMs: T0, firstOperatorReplyMs: T0 + 3 * MINUTE + 10 * SECOND,
  });
  assert.deepEqual(trail.hops.filter((h) => !h.ok).map((h) => h.journalId), [105, 107]);
});

test('a batch call keeps only this conversation\'s items; another conversation\'s rows and texts never appear', () => {
  const trail = buildTrail(input());
  assert.ok(!trail.hops.some((h) => h.journalId === 110), 'the other conversation\'s own row is left out');
  const batch = trail.hops.find((h) => h.journalId === 102);
  assert.equal(batch?.messageId, 'mid.0001');
  assert.equal(batch?.text, CLIENT_TEXT);
  assert.equal(batch?.answer, 'SUCCESS (session 323, chat 1767)');
  const request = batch?.request as { MESSAGES: unknown[]; CONNECTOR: string };
  const response = batch?.response as { result: { DATA: { RESULT: unknown[] } } };
  assert.equal(request.MESSAGES.length, 1);
  assert.equal(request.CONNECTOR, 'maxbridge');
  assert.equal(response.result.DATA.RESULT.length, 1);
  const json = JSON.stringify(trail);
  for (const leak of [OTHER_TEXT, 'mid.0900', '1768', '9100']) assert.ok(!json.includes(leak), leak);
  for (const lang of ['ru', 'en'] as const) assert.ok(!renderTrailHtml(trail, lang).includes('Секрет другого клиента'), lang);
});

test('a shared row whose body cannot be cut to this conversation is omitted, not shown', () => {
  const shared = row({
    atMs: T0, side: 'bitrix24', direction: 'out', endpoint: 'batch', conversationId: null,
    refs: [{ conversationId: CONV, messageId: 'mid.0001' }, { conversationId: OTHER, messageId: 'mid.0900' }],
    requestBody: `halt=0&cmd[a]=imconnector.send.messages?text=${encodeURIComponent(OTHER_TEXT)}`, responseBody: JSON.stringify({ result: { result: { a: OTHER_TEXT } } }),
  });
  const hop = buildTrail(input({ rows: [shared] })).hops[0];
  assert.equal(hop?.request, SHARED_BODY_OMITTED);
  assert.equal(hop?.response, SHARED_BODY_OMITTED);
  assert.equal(hop?.answer, null);
  // An answer whose results do not line up with the items is cut by each result's own chat.
  const unaligned = row({
    atMs: T0, side: 'bitrix24', direction: 'out', endpoint: 'imconnector.send.messages', conversationId: null,
    refs: [{ conversationId: CONV, messageId: 'mid.0001' }, { conversationId: OTHER, messageId: 'mid.0900' }],
    requestBody: JSON.stringify({ MESSAGES: [lineItem(CONV, '5001', 'mid.0001', 'Привет', T0), lineItem(OTHER, '6001', 'mid.0900', OTHER_TEXT, T0)] }),
    responseBody: JSON.stringify({ result: { SUCCESS: true, DATA: { RESULT: [{ message: { id: 'mid.0900', text: OTHER_TEXT }, chat: { id: OTHER }, SUCCESS: true }] } } }),
  });
  const trail = buildTrail(input({ rows: [unaligned] }));
  assert.equal(trail.hops[0]?.answer, null);
  assert.deepEqual(trail.messages.map((m) => [m.messageId, m.outcome]), [['mid.0001', 'unknown']]);
  assert.ok(!JSON.stringify(trail).includes(OTHER_TEXT));
});

test('hops: route, actor, kind, text and the side\'s answer read from each body', () => {
  const hops = new Map(buildTrail(input()).hops.map((h) => [h.journalId, h]));
  const pick = (id: number) => {
    const h = hops.get(id);
    return h && [h.route, h.actor, h.what, h.ok, h.answer];
  };
  assert.deepEqual(pick(101), ['max→bridge', 'client', 'client-message', true, null]);
  assert.deepEqual(pick(105), ['bridge→bitrix24', 'bridge', 'to-line', false, 'ERROR: ERROR_FILE_DOWNLOAD: Could not download the file photo.jpg']);
  assert.deepEqual(pick(106), ['bitrix24→bridge', 'operator', 'operator-message', true, null]);
  assert.deepEqual(pick(107), ['bridge→max', 'bridge', 'to-client', false, null]);
  assert.deepEqual(pick(108), ['bridge→max', 'bridge', 'to-client', true, 'mid mid.bot.0001']);
  assert.deepEqual(pick(109), ['bridge→bitrix24', 'bridge', 'delivery-status', true, 'SUCCESS']);
  assert.equal(hops.get(103)?.duplicate, true);
  assert.equal(hops.get(103)?.errorCode, 'DUPLICATE');
  assert.equal(hops.get(106)?.text, OPERATOR_TEXT, 'read from the form-encoded event');
  assert.equal(hops.get(107)?.errorCode, 'TIMEOUT');
  assert.equal(hops.get(108)?.text, 'Ваш заказ **в пути** & скоро будет');
  const update = hops.get(101)?.request as { message: { body: { seq: unknown } } };
  assert.equal(update.message.body.seq, '116688673966208835', 'a seq above 2^53 stays exact');
});

test('an Open Lines system message is not an operator reply; a Bitrix24 error envelope is a failed hop with its description', () => {
  const welcome = stringify({
    event: 'ONIMCONNECTORMESSAGEADD',
    data: { MESSAGES: [{ im: { chat_id: '1767', message_id: '8999' }, message: { user_id: '0', text: 'Здравствуйте! Мы ответим в течение 5 минут.' }, chat: { id: CONV } }] },
  });
  const rows = [
    webhookRow('mid.0001', 'Привет', T0),
    row({ atMs: T0 + SECOND, side: 'bitrix24', direction: 'in', endpoint: 'ONIMCONNECTORMESSAGEADD', messageId: '8999', requestBody: welcome }),
    row({
      atMs: T0 + 2 * SECOND, side: 'bitrix24', direction: 'out', endpoint: 'imconnector.send.messages', status: 400, messageId: 'mid.0001',
      requestBody: JSON.stringify({ MESSAGES: [lineItem(CONV, '5001', 'mid.0001', 'Привет', T0)] }),
      responseBody: JSON.stringify({ error: 'NOT_ACTIVE_LINE', error_description: 'The line with this ID is inactive or does not exist' }),
    }),
  ];
  const trail = buildTrail(input({ rows }));
  assert.deepEqual(trail.messages.map((m) => [m.actor, m.outcome]), [['client', 'failed'], ['system', 'unknown']]);
  assert.equal(trail.summary.operatorMessages, 0);
  assert.equal(trail.summary.firstOperatorReplyMs, null);
  assert.equal(trail.hops[1]?.what, 'system-message');
  assert.equal(trail.hops[2]?.answer, 'NOT_ACTIVE_LINE: The line with this ID is inactive or does not exist');
  assert.ok(renderTrailHtml(trail, 'ru').includes('нет ответа оператора'));
});

test('times: ISO 8601 with Moscow\'s offset by default, another zone on request, an unknown zone refused', () => {
  assert.equal(buildTrail(input()).hops[0]?.atIso, '2026-03-02T10:02:00.000+03:00');
  assert.equal(buildTrail(input()).exportedAtIso, '2026-03-03T10:02:00.000+03:00');
  assert.equal(buildTrail(input(), { timeZone: 'Asia/Yekaterinburg' }).hops[0]?.atIso, '2026-03-02T12:02:00.000+05:00');
  assert.equal(isoInZone(T0 + 7, 'UTC'), '2026-03-02T07:02:00.007+00:00');
  assert.throws(() => buildTrail(input(), { timeZone: 'Mars/Olympus' }), /not a time zone.*Europe\/Moscow/);
});

test('HTML: a self-contained page, Russian by default, every value escaped', () => {
  const html = renderTrailHtml(buildTrail(input()), 'ru');
  assert.ok(html.startsWith('<!doctype html>'));
  assert.match(html, /<html lang="ru">/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.ok(html.includes('</html>'));
  assert.ok(!/<script|<link|\ssrc=|@import|url\(/i.test(html), 'no scripts, no external assets');
  assert.match(html, /@media print/);
  assert.ok(html.includes('Здравствуйте, где мой заказ &lt;script&gt;alert(1)&lt;/script&gt;?'));
  assert.ok(html.includes('[b]Анна:[/b] [br]Ваш заказ &lt;b&gt;в пути&lt;/b&gt; &amp; скоро будет'));
  assert.ok(html.includes('admin &lt;ops@example.ru&gt;'));
  for (const label of ['Журнал переписки', 'Сводка', 'Переписка', 'Все обмены', 'ответ оператора', 'повтор', 'не доставлено', 'ожидает отправки']) {
    assert.ok(html.includes(label), label);
  }
  assert.ok(html.includes('через 3 мин 10 с'), 'first reply after the first client message');
  assert.ok(html.includes('доставлено клиенту в MAX 2026-03-02 10:05:41'));
  assert.ok(html.includes('написано 2026-03-02 10:10:50 (по часам MAX) · получено мостом 2026-03-02 10:12:00'));
  assert.ok(html.includes('тексты сообщений: сохраняются как есть'), 'the policy in force');
  assert.ok(html.includes('маскируются в момент записи'));
  assert.ok(html.includes('Строки журнала (10): 101–109, 111.'), 'the footer names the rows');
  assert.ok(!html.includes('Conversation trail'));
});

test('HTML in English on request', () => {
  const html = renderTrailHtml(buildTrail(input()), 'en');
  assert.match(html, /^<!doctype html>\n<html lang="en">/);
  for (const label of ['Conversation trail', 'Summary', 'Dialogue', 'All exchanges', 'operator reply', 'after 3 min 10 s', 'not delivered', 'masked when a journal row is written']) {
    assert.ok(html.includes(label), label);
  }
  assert.ok(!html.includes('Журнал переписки'));
  assert.ok(!html.includes('Сводка'));
  assert.ok(html.includes('&lt;script&gt;'));
});

test('HTML without the conversation row: bot, chat and client taken from the id and the update', () => {
  const html = renderTrailHtml(buildTrail(input({ conversation: null })), 'en');
  assert.match(html, /<dt>Bot<\/dt><dd>sales<\/dd>/);
  assert.match(html, /<dt>MAX chat<\/dt><dd>12345<\/dd>/);
  assert.match(html, /<dt>Client \(MAX user id\)<\/dt><dd>5001<\/dd>/);
  assert.match(html, /<dt>Route<\/dt><dd>—<\/dd>/);
});

test('texts the policy did not keep: the message is still listed, the page says the text was not kept and why', () => {
  const rows = [webhookRow('mid.0001', null, T0), webhookRow('mid.0002', '[text: 12 chars]', T0 + MINUTE)];
  const trail = buildTrail(input({ rows, policy: { ...DEFAULT_MASKING, text: 'drop', phone: 'hashed' } }));
  assert.deepEqual(trail.messages.map((m) => [m.messageId, m.text]), [['mid.0001', null], ['mid.0002', '[text: 12 chars]']]);
  const html = renderTrailHtml(trail, 'ru');
  assert.ok(html.includes('текст не сохранён'));
  assert.ok(html.includes('тексты сообщений: не сохраняются'));
  assert.ok(html.includes('телефоны: заменяются ключевым хешем'));
  assert.ok(html.includes('[text: 12 chars]'));
});

test('escapeHtml and idRanges', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  assert.equal(escapeHtml(null), '');
  assert.equal(idRanges([5, 3, 4, 9, 11, 10, 20]), '3–5, 9–11, 20');
  assert.equal(idRanges([]), '');
});
