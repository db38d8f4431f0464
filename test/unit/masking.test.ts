/**
 * The personal-data masking policy (src/journal/masking.ts): the shapes of each mode, the
 * classification of both sides' real payloads (a MAX update, a Bitrix24 event as a form body,
 * an imconnector.send.messages request as JSON), ids that must survive, and the phone pattern's
 * negative cases.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonKeepingBigIntegers } from '../../src/domain/big-json.ts';
import {
  createMasker, DEFAULT_MASKING, maskEmail, maskFileName, maskLink, maskName, maskPhone,
  type FieldClass, type MaskingPolicy, type MaskMode,
} from '../../src/journal/masking.ts';
import { redactText } from '../../src/journal/redact.ts';

const KEY = 'test-privacy-hash-key';
const HASH = /^hmac:[0-9a-f]{16}$/;
const ALL = (mode: MaskMode): MaskingPolicy => ({ phone: mode, email: mode, name: mode, text: mode, file: mode });
const defaults = createMasker(DEFAULT_MASKING, KEY);

/** A MAX `message_created` update after the official schema (MessageCreatedUpdate), as MAX sends it: seq and ids bare. */
const MAX_UPDATE_JSON = `{
  "update_type": "message_created",
  "timestamp": 1764661320123,
  "user_locale": "ru",
  "message": {
    "sender": { "user_id": 9007199254740993, "first_name": "Иван", "last_name": "Петров", "name": "Иван Петров",
      "username": "ivan_petrov", "is_bot": false, "last_activity_time": 1764661319000 },
    "recipient": { "chat_id": 7321000123, "chat_type": "dialog", "user_id": 5550001 },
    "timestamp": 1764661320000,
    "body": {
      "mid": "mid.000000001e0a6647019e8fbb11113743",
      "seq": 116688673966208835,
      "text": "Здравствуйте! Мой номер +7 916 123-45-67, почта ivan.petrov@example.ru. Заказ № 123456 от 02.12.2026",
      "attachments": [
        { "type": "contact", "payload": {
          "vcf_info": "BEGIN:VCARD\\r\\nVERSION:3.0\\r\\nFN:Пётр Сидоров\\r\\nN:Сидоров;Пётр;;;\\r\\nTEL;TYPE=CELL:+79031234567\\r\\nEMAIL:petr.sidorov@mail.ru\\r\\nEND:VCARD\\r\\n",
          "vcf_phone": "+79031234567",
          "hash": "c2a1f0",
          "max_info": { "user_id": 42, "first_name": "Пётр", "last_name": "Сидоров", "name": "Пётр Сидоров", "username": "psidorov", "is_bot": false } } },
        { "type": "file", "payload": { "url": "https://fu.oneme.ru/files/abc123/паспорт_Иванова.pdf?sig=s1", "token": "tok-file-1" },
          "filename": "паспорт_Иванова.pdf", "size": 123456 }
      ]
    }
  }
}`;

/** Everything personal in MAX_UPDATE_JSON: none of it may survive DEFAULT_MASKING. */
const MAX_UPDATE_PERSONAL = [
  'Иван', 'Петров', 'ivan_petrov', 'ivan.petrov', '916 123-45-67', '9161234567', '+79031234567', '9031234567',
  'petr.sidorov', 'Пётр', 'Сидоров', 'psidorov', 'паспорт', 'files/abc123',
];

function assertAbsent(text: string, needles: string[]): void {
  for (const needle of needles) assert.ok(!text.includes(needle), `"${needle}" survived in ${text}`);
}

test('masked shapes: phone keeps the country and two digits, email and name the initials, a file its extension, a link its host', () => {
  assert.equal(maskPhone('+79161234567'), '+7 *** ***-**-67');
  assert.equal(maskPhone('8 (916) 123-45-67'), '+7 *** ***-**-67');
  assert.equal(maskPhone('+44 20 7946 0958'), '+44 *** ***-**-58');
  assert.equal(maskPhone('+380 44 123 4567'), '+380 *** ***-**-67');
  assert.equal(maskPhone('12'), '***');
  assert.equal(maskEmail('ivan.petrov@example.ru'), 'i***@e***.ru');
  assert.equal(maskEmail('not an email'), '***');
  assert.equal(maskName('Иван Петров'), 'И*** П***');
  assert.equal(maskName('  ivan_petrov '), 'i***');
  assert.equal(maskFileName('паспорт_Иванова.pdf'), '***.pdf');
  assert.equal(maskFileName('Иванов.Иван'), '***', 'a "extension" that is a name is not kept');
  assert.equal(maskLink('https://host/path?x'), 'https://host/***');
  assert.equal(maskLink('https://user:pw@host/'), 'https://host/***');
  assert.equal(maskLink('http://0.0.0.0:8080'), 'http://0.0.0.0:8080', 'a bare host names nobody');
});

test('each mode for each class: none keeps, masked shapes, hashed gives a stable keyed hash, drop removes', () => {
  const samples: Record<FieldClass, [string, string]> = {
    phone: ['+7 916 123-45-67', '+7 *** ***-**-67'],
    email: ['Ivan.Petrov@Example.ru', 'I***@E***.ru'],
    name: ['Иван Петров', 'И*** П***'],
    text: ['Добрый день, когда доставка?', '[text: 28 chars]'],
    file: ['паспорт_Иванова.pdf', '***.pdf'],
  };
  for (const [cls, [input, shaped]] of Object.entries(samples) as Array<[FieldClass, [string, string]]>) {
    assert.equal(createMasker(ALL('none'), KEY).field(cls, input), input, `${cls} none`);
    assert.equal(createMasker(ALL('masked'), KEY).field(cls, input), shaped, `${cls} masked`);
    const hashed = createMasker(ALL('hashed'), KEY).field(cls, input);
    assert.match(hashed ?? '', HASH, `${cls} hashed`);
    assert.equal(createMasker(ALL('hashed'), KEY).field(cls, input), hashed, `${cls} hashed is stable`);
    assert.notEqual(createMasker(ALL('hashed'), 'another key').field(cls, input), hashed, `${cls} hashed depends on the key`);
    assert.equal(createMasker(ALL('drop'), KEY).field(cls, input), undefined, `${cls} drop`);
  }
});

test('drop removes the key from objects, array items from arrays, and leaves […] inside free text', () => {
  const drop = createMasker(ALL('drop'), KEY);
  assert.deepEqual(drop.value({ user_id: 1, first_name: 'Иван', phone: '+79161234567', PHONE: ['+79161234567'], body: { mid: 'mid.1', text: 'hi' } }),
    { user_id: 1, PHONE: [], body: { mid: 'mid.1' } });
  const phonesDropped = createMasker({ ...DEFAULT_MASKING, phone: 'drop' }, KEY);
  assert.equal(phonesDropped.text('звоните +7 916 123-45-67 вечером'), 'звоните […] вечером');
  assert.equal(drop.text('любой текст'), '[…]');
});

test('a MAX message_created update under the default policy: no phone, email, name or file name left; ids identical', () => {
  const parsed = parseJsonKeepingBigIntegers(MAX_UPDATE_JSON);
  const masked = defaults.value(parsed) as { message: { sender: Record<string, unknown>; recipient: unknown; timestamp: unknown; body: Record<string, unknown> } };
  assertAbsent(JSON.stringify(masked), MAX_UPDATE_PERSONAL);
  const original = parsed as typeof masked;
  assert.equal(masked.message.sender.user_id, '9007199254740993');
  assert.deepEqual(masked.message.recipient, original.message.recipient);
  assert.equal(masked.message.timestamp, 1764661320000);
  assert.equal(masked.message.body.mid, 'mid.000000001e0a6647019e8fbb11113743');
  assert.equal(masked.message.body.seq, '116688673966208835');
  assert.equal(masked.message.sender.first_name, 'И***');
  // The text is kept (a dispute needs it) with the phone and email in it masked.
  assert.equal(masked.message.body.text, 'Здравствуйте! Мой номер +7 *** ***-**-67, почта i***@e***.ru. Заказ № 123456 от 02.12.2026');
  const [contact, file] = masked.message.body.attachments as Array<{ payload: Record<string, unknown>; filename?: string }>;
  assert.match(String(contact?.payload.vcf_info), /^BEGIN:VCARD\r\nVERSION:3\.0\r\nFN:П\*\*\* С\*\*\*\r\nN:С\*\*\*;П\*\*\*;;;\r\nTEL;TYPE=CELL:\+7 \*\*\* \*\*\*-\*\*-67\r\n/);
  assert.equal(contact?.payload.hash, 'c2a1f0');
  assert.equal(file?.filename, '***.pdf');
  assert.equal(file?.payload.url, 'https://fu.oneme.ru/***');
  assert.equal(file?.payload.token, 'tok-file-1', 'the reuse token is not personal and stays');
  assert.equal(original.message.sender.first_name, 'Иван', 'the input is not mutated');
});

test('body(): the same update as raw JSON keeps integers above 2^53 exact, as bare numbers', () => {
  const out = defaults.body(MAX_UPDATE_JSON);
  assertAbsent(out, MAX_UPDATE_PERSONAL);
  assert.ok(out.includes('"seq":116688673966208835'), out);
  assert.ok(out.includes('"user_id":9007199254740993'), out);
  assert.ok(out.includes('"chat_id":7321000123'));
  assert.ok(out.includes('"mid":"mid.000000001e0a6647019e8fbb11113743"'));
  assert.ok(out.includes('"timestamp":1764661320123'));
  const big = '{"ids":[12345678901234567890,-9007199254740993],"user":{"user_id":"9007199254740993","name":"Иван"}}';
  assert.equal(defaults.body(big), '{"ids":[12345678901234567890,-9007199254740993],"user":{"user_id":"9007199254740993","name":"И***"}}');
});

test('a Bitrix24 OnImConnectorMessageAdd form body (redacted first): masked per bracket key, ids and redacted values intact', () => {
  const form = new URLSearchParams([
    ['event', 'ONIMCONNECTORMESSAGEADD'],
    ['event_handler_id', '5'],
    ['data[CONNECTOR]', 'maxbridge'],
    ['data[LINE]', '107'],
    ['data[MESSAGES][0][im][chat_id]', '1807'],
    ['data[MESSAGES][0][im][message_id]', '86497'],
    ['data[MESSAGES][0][message][user_id]', '27'],
    ['data[MESSAGES][0][message][text]', 'Перезвоните по номеру 8 (916) 123-45-67 или пишите на support.desk@example.ru'],
    ['data[MESSAGES][0][message][files][0][name]', 'договор_Петрова.docx'],
    ['data[MESSAGES][0][message][files][0][link]', 'https://portal.bitrix24.ru/~AbCd/договор_Петрова.docx'],
    ['data[MESSAGES][0][message][files][0][size]', '2048'],
    ['data[MESSAGES][0][chat][id]', '9007199254740993'],
    ['data[USER][NAME]', 'Анна'],
    ['data[USER][LAST_NAME]', 'Смирнова'],
    ['data[USER][PERSONAL_MOBILE]', '+79161112233'],
    ['data[USER][EMAIL]', 'a.smirnova@example.ru'],
    ['ts', '1773759161'],
    ['auth[application_token]', 'APP-TOKEN-1'],
    ['auth[member_id]', 'a1b2c3'],
  ]).toString();
  const out = defaults.body(redactText(form) ?? '');
  const decoded = decodeURIComponent(out.replace(/\+/g, ' '));
  assertAbsent(decoded, ['(916)', '123-45-67', 'support.desk', 'Петрова', '~AbCd', 'Анна', 'Смирнова', '79161112233', 'a.smirnova', 'APP-TOKEN-1']);
  const fields = new URLSearchParams(out);
  assert.equal(fields.get('data[MESSAGES][0][message][text]'), 'Перезвоните по номеру +7 *** ***-**-67 или пишите на s***@e***.ru');
  assert.equal(fields.get('data[MESSAGES][0][message][files][0][name]'), '***.docx');
  assert.equal(fields.get('data[USER][NAME]'), 'А***');
  assert.equal(fields.get('data[USER][PERSONAL_MOBILE]'), '+7 *** ***-**-33');
  for (const [key, value] of [['data[MESSAGES][0][im][chat_id]', '1807'], ['data[MESSAGES][0][im][message_id]', '86497'], ['data[MESSAGES][0][message][user_id]', '27'],
    ['data[MESSAGES][0][chat][id]', '9007199254740993'], ['data[LINE]', '107'], ['ts', '1773759161'], ['auth[member_id]', 'a1b2c3']]) {
    assert.equal(fields.get(key as string), value, key);
  }
  assert.ok(out.includes('auth%5Bapplication_token%5D=[REDACTED]'), 'the redacted value is kept byte for byte');
  assert.ok(out.includes('data%5BMESSAGES%5D%5B0%5D%5Bim%5D%5Bchat_id%5D=1807'), 'unchanged pairs are not re-encoded');
});

test('an imconnector.send.messages JSON request: the client\'s name, phone, email, picture and files masked; ids and flags kept', () => {
  const request = {
    CONNECTOR: 'maxbridge',
    LINE: 107,
    MESSAGES: [{
      user: {
        id: '9007199254740993', name: 'Иван', last_name: 'Петров', picture: { url: 'https://bridge.example.ru/media/a1/avatar.jpg?sig=[REDACTED]' },
        url: 'https://max.ru/ivan_petrov', phone: '+79161234567', email: 'ivan.petrov@example.ru', skip_phone_validate: 'Y',
      },
      message: {
        id: 'mid.000000001e0a6647019e8fbb11113743', date: 1764661320, text: 'Мой телефон 89161234567',
        files: [{ url: 'https://bridge.example.ru/media/x9/паспорт_Иванова.pdf?sig=[REDACTED]', name: 'паспорт_Иванова.pdf' }],
      },
      chat: { id: '9007199254740993', name: 'Иван Петров', url: 'https://max.ru/ivan_petrov' },
    }],
    auth: '[REDACTED]',
  };
  const out = defaults.body(JSON.stringify(request));
  assertAbsent(out, ['Иван', 'Петров', 'ivan_petrov', '9161234567', 'ivan.petrov', 'паспорт', 'media/a1', 'media/x9']);
  const masked = JSON.parse(out) as typeof request;
  const item = masked.MESSAGES[0]!;
  assert.deepEqual(item.user, {
    id: '9007199254740993', name: 'И***', last_name: 'П***', picture: { url: 'https://bridge.example.ru/***' },
    url: 'https://max.ru/***', phone: '+7 *** ***-**-67', email: 'i***@e***.ru', skip_phone_validate: 'Y',
  });
  assert.equal(item.message.id, request.MESSAGES[0]!.message.id);
  assert.equal(item.message.date, 1764661320);
  assert.equal(item.message.text, 'Мой телефон +7 *** ***-**-67');
  assert.deepEqual(item.message.files, [{ url: 'https://bridge.example.ru/***', name: '***.pdf' }]);
  assert.deepEqual(item.chat, { id: '9007199254740993', name: 'И*** П***', url: 'https://max.ru/***' });
  assert.equal(masked.auth, '[REDACTED]');
  assert.equal(masked.LINE, 107);
});

test('hashed: one phone written three ways hashes the same, in a field and inside a text; another phone does not', () => {
  const hashed = createMasker({ ...DEFAULT_MASKING, phone: 'hashed', email: 'hashed' }, KEY);
  const a = hashed.field('phone', '8 (916) 123-45-67');
  assert.match(a ?? '', HASH);
  assert.equal(hashed.field('phone', '+7 916 123 45 67'), a);
  assert.equal(hashed.field('phone', '+79161234567'), a);
  assert.equal(hashed.text('мой номер 8-916-123-45-67'), `мой номер ${a}`);
  assert.equal((hashed.value({ PHONE: [{ VALUE: '79161234567' }] }) as { PHONE: Array<{ VALUE: string }> }).PHONE[0]?.VALUE, a);
  assert.notEqual(hashed.field('phone', '+7 916 123-45-68'), a);
  assert.equal(hashed.field('email', 'Ivan.Petrov@Example.ru'), hashed.field('email', 'ivan.petrov@example.ru'));
});

test('none everywhere: every entry point returns its input unchanged (the same object for values and log fields)', () => {
  const none = createMasker(ALL('none'), KEY);
  const pretty = `${MAX_UPDATE_JSON}\n`;
  assert.equal(none.body(pretty), pretty);
  const form = 'data%5BUSER%5D%5BNAME%5D=%D0%90%D0%BD%D0%BD%D0%B0&data%5BUSER%5D%5BPHONE%5D=%2B79161234567';
  assert.equal(none.body(form), form);
  const value = parseJsonKeepingBigIntegers(MAX_UPDATE_JSON);
  assert.equal(none.value(value), value);
  const fields = { conversationId: 'shop:123', phone: '+79161234567', nested: { name: 'Иван' } };
  assert.equal(none.logFields(fields), fields);
  assert.equal(none.text('+7 916 123-45-67'), '+7 916 123-45-67');
});

test('the default policy changes nothing in what holds no personal data: same text, same object', () => {
  const lead = '{"result":{"SUCCESS":true,"DATA":{"RESULT":[{"user":"585","session":{"ID":"323","CHAT_ID":"1767"}}]}},"time":{"date_start":"2025-09-09T16:31:11+03:00"}}';
  assert.equal(defaults.body(lead), lead);
  const fields = { component: 'line-flush', jobId: 42, conversationId: 'shop:79161234567', messageKey: 'mid.0000000079161234567', attempt: 2, eventId: 9007199254740993n };
  assert.equal(defaults.logFields(fields), fields);
  const error = '{"code":"proto.payload","message":"Field \'text\' size (4001) must be at most 4000"}';
  assert.equal(defaults.body(error), error);
});

test('log lines: personal fields masked at any depth, correlation ids and Error instances untouched', () => {
  const err = new Error('send failed');
  const fields = { conversationId: 'shop:9007199254740993', jobId: 7, err, client: { firstName: 'Иван', phoneNumber: '+79161234567', files: [{ fileName: 'скан.jpg' }] } };
  const out = defaults.logFields(fields);
  assert.notEqual(out, fields);
  assert.deepEqual(out, { conversationId: 'shop:9007199254740993', jobId: 7, err, client: { firstName: 'И***', phoneNumber: '+7 *** ***-**-67', files: [{ fileName: '***.jpg' }] } });
  assert.equal(out.err, err);
  assert.equal(fields.client.firstName, 'Иван');
  const withBody = defaults.logFields({ response: '{"user":{"name":"Иван","phone":"+79161234567"}}' });
  assert.equal(withBody.response, '{"user":{"name":"И***","phone":"+7 *** ***-**-67"}}');
});

test('the phone pattern: dates, times, order numbers, sums and ids are not phones', () => {
  const notPhones = [
    'Встреча 02.12.2026 в 10:02', 'доставка 2026-12-02 10:02:33', 'заказ № 123456', 'заказ №89161234567', 'заказ № 89161234567', 'заказ #123456789012',
    'итого 1 500 000 ₽', 'итого 7 500 000 000 ₽', 'перевод 8 916 123 45 67 руб', 'сумма 89161234567.50',
    'user_id 9007199254740993', 'chat_id -7321', 'chat -79161234567', 'seq 116688673966208835', 'mid.000000001e0a6647019e8fbb11113743',
    'время 1764661320123', '2025-09-09T16:31:11+03:00', 'ip 192.168.100.200', 'ИНН 7707083893', 'карта 4276 1234 5678 9012', 'hmac:7916123456789012',
  ];
  for (const s of notPhones) assert.equal(defaults.text(s), s, s);
  // A bare run of digits is an id outside free text, even one shaped like a Russian number.
  assert.deepEqual(defaults.value({ payload: '79161234567', start_payload: 'ref-89161234567' }), { payload: '79161234567', start_payload: 'ref-89161234567' });
});

test('the phone pattern: Russian and international numbers in their usual spellings are phones', () => {
  const phones: Array<[string, string]> = [
    ['+79161234567', '+7 *** ***-**-67'], ['+7 916 123-45-67', '+7 *** ***-**-67'], ['+7 (916) 123-45-67', '+7 *** ***-**-67'],
    ['8 (916) 123-45-67', '+7 *** ***-**-67'], ['8-916-123-45-67', '+7 *** ***-**-67'], ['89161234567', '+7 *** ***-**-67'],
    ['8 800 555 35 35', '+7 *** ***-**-35'], ['(916) 123-45-67', '+7 *** ***-**-67'], ['+44 20 7946 0958', '+44 *** ***-**-58'],
    ['+1 (555) 123-4567', '+1 *** ***-**-67'], ['+375 29 123-45-67', '+375 *** ***-**-67'],
  ];
  for (const [input, shaped] of phones) assert.equal(defaults.text(`тел.: ${input}, звоните`), `тел.: ${shaped}, звоните`, input);
  assert.equal(defaults.text('(тел. +7 916 123-45-67)'), '(тел. +7 *** ***-**-67)', 'a closing bracket after the number stays');
});

test('name beside url/size is a file name; beside phone/email or in a user it is a person\'s; text modes apply to message texts', () => {
  const out = defaults.value({
    files: [{ name: 'паспорт.pdf', url: 'https://x.ru/f/1' }],
    meta: { name: 'отчёт.xlsx', size: 10 },
    contact: { name: 'Пётр Сидоров', vcf_phone: '+79031234567' },
    lead: { NAME: 'Иван', PHONE: [{ VALUE: '+79161234567', VALUE_TYPE: 'WORK' }], EMAIL: [{ VALUE: 'i@x.ru', VALUE_TYPE: 'HOME' }], IM: [{ VALUE: 'imol|maxbridge|107|9007199254740993|42' }] },
  });
  assert.deepEqual(out, {
    files: [{ name: '***.pdf', url: 'https://x.ru/***' }],
    meta: { name: '***.xlsx', size: 10 },
    contact: { name: 'П*** С***', vcf_phone: '+7 *** ***-**-67' },
    lead: { NAME: 'И***', PHONE: [{ VALUE: '+7 *** ***-**-67', VALUE_TYPE: 'WORK' }], EMAIL: [{ VALUE: 'i***@x***.ru', VALUE_TYPE: 'HOME' }], IM: [{ VALUE: 'imol|maxbridge|107|9007199254740993|42' }] },
  });
  const hashedText = createMasker({ ...DEFAULT_MASKING, text: 'hashed' }, KEY);
  const masked = hashedText.value({ message: { body: { mid: 'mid.1', text: 'Добрый день' } } }) as { message: { body: { mid: string; text: string } } };
  assert.match(masked.message.body.text, HASH);
  assert.equal(masked.message.body.mid, 'mid.1');
  const droppedText = createMasker({ ...DEFAULT_MASKING, text: 'drop' }, KEY);
  assert.deepEqual(droppedText.value({ body: { mid: 'mid.1', text: 'Добрый день' } }), { body: { mid: 'mid.1' } });
  // An API's error message is the API's words, not a client's: kept even when texts are dropped.
  const apiError = '{"code":"proto.payload","message":"Field \'text\' size (4001) must be at most 4000"}';
  assert.equal(droppedText.body(apiError), apiError);
  assert.deepEqual(droppedText.value({ MESSAGE: 'клиент пишет' }), {});
});

test('objects keyed by ids count as containers of their parent: imopenlines.session.history.get users and messages', () => {
  const history = {
    result: {
      chatId: 1767, sessionId: 323,
      message: { 86497: { id: 86497, chat_id: 1767, senderid: 27, text: 'Ваш номер 8 916 123 45 67?', date: '2026-12-02T10:02:00+03:00' } },
      users: { 27: { id: 27, name: 'Анна Смирнова', url: 'https://portal.bitrix24.ru/company/personal/user/27/', avatar: 'https://portal.bitrix24.ru/upload/a.png', phones: { personal_mobile: '+79161112233' } } },
    },
  };
  assert.deepEqual(defaults.value(history), {
    result: {
      chatId: 1767, sessionId: 323,
      message: { 86497: { id: 86497, chat_id: 1767, senderid: 27, text: 'Ваш номер +7 *** ***-**-67?', date: '2026-12-02T10:02:00+03:00' } },
      users: { 27: { id: 27, name: 'А*** С***', url: 'https://portal.bitrix24.ru/***', avatar: 'https://portal.bitrix24.ru/***', phones: { personal_mobile: '+7 *** ***-**-33' } } },
    },
  });
  // A file list keyed by ids: the name is a file's, found through the `files` above the id.
  assert.deepEqual(defaults.value({ files: { 501: { name: 'скан_паспорта.jpg' } } }), { files: { 501: { name: '***.jpg' } } });
});

test('redacted secrets are left as they are, whatever the class of their key', () => {
  const all = createMasker(ALL('hashed'), KEY);
  assert.deepEqual(all.value({ phone: '[REDACTED]', text: '[redacted]', url: '[REDACTED]' }), { phone: '[REDACTED]', text: '[redacted]', url: '[REDACTED]' });
  assert.equal(all.body('[multipart]'), '[multipart]');
  assert.equal(all.body('auth%5Baccess_token%5D=[REDACTED]&data%5BUSER%5D%5BNAME%5D=[REDACTED]'), 'auth%5Baccess_token%5D=[REDACTED]&data%5BUSER%5D%5BNAME%5D=[REDACTED]');
});

test('a hashed mode without a key is refused at creation', () => {
  assert.throws(() => createMasker({ ...DEFAULT_MASKING, phone: 'hashed' }, ''), /hash key is empty/);
  assert.doesNotThrow(() => createMasker(DEFAULT_MASKING, ''));
});

test('a name met in a name field of a body is masked wherever else it stands in that body, JSON or form', () => {
  const json = JSON.stringify({ MESSAGES: [{ user: { id: '7103', name: 'Евлампия', last_name: 'Тихомирова' }, message: { text: 'Контакт: Евлампия Тихомирова, +79165551267. Евлампиями не зовут никого' } }] });
  const masked = defaults.body(json);
  assert.ok(!/Евлампия(?!ми)/u.test(masked) && !masked.includes('Тихомирова'), masked);
  assert.match(masked, /Контакт: Е\*\*\* Т\*\*\*, \+7 \*\*\* \*\*\*-\*\*-67/);
  assert.match(masked, /Евлампиями не зовут/, 'a whole word only: another word that starts the same is left');
  const form = `data%5BUSER%5D%5BNAME%5D=${encodeURIComponent('Евлампия')}&data%5BMESSAGES%5D%5B0%5D%5Bmessage%5D%5Btext%5D=${encodeURIComponent('Здравствуйте, Евлампия!')}`;
  const maskedForm = defaults.body(form);
  assert.ok(!decodeURIComponent(maskedForm).includes('Евлампия'), decodeURIComponent(maskedForm));
  // A request and its answer together: the answer echoes the text, the name is known from the request.
  const [, answer] = defaults.exchange(json, JSON.stringify({ result: { text: 'Контакт: Евлампия Тихомирова' } }));
  assert.equal(answer, JSON.stringify({ result: { text: 'Контакт: Е*** Т***' } }));
  // With names kept, texts are not touched.
  const keepNames = createMasker({ ...DEFAULT_MASKING, name: 'none' }, KEY);
  assert.match(keepNames.body(json), /Контакт: Евлампия Тихомирова/);
});
