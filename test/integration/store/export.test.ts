/**
 * Exports for a DWH on both engines (docs/exports.md): the scripted world exported as NDJSON
 * and CSV (the CSV read back with an RFC 4180 reader gives the NDJSON's values), the range's
 * edges (from inclusive, to exclusive), the masking per policy, clients' and operators'
 * messages merged in time order, and a few thousand rows with many at the same millisecond
 * across page boundaries (each row exactly once, in order).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { exportBytes } from '../../../src/hooks/export-stream.ts';
import { EXPORT_COLUMNS } from '../../../src/hooks/export-records.ts';
import type { ExportRequest } from '../../../src/hooks/export-query.ts';
import { privacyHashKey } from '../../../src/journal/hash-key.ts';
import { createMasker, DEFAULT_MASKING, type MaskingPolicy } from '../../../src/journal/masking.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { EXPORT_PAGE_ROWS } from '../../../src/store/repos/export-repo.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { CLIENT_TEXT, FROM_MS, OPERATOR_TEXT, QUOTED_TEXT, seedConversation, seedInbound, seedOutbound, seedScripted, TO_MS } from '../../helpers/export-seed.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const NONE: MaskingPolicy = { phone: 'none', email: 'none', name: 'none', text: 'none', file: 'none' };
const masker = (policy: MaskingPolicy) => createMasker(policy, privacyHashKey(TEST_SECRET_KEY));

async function exported(store: Store, request: Partial<ExportRequest> & Pick<ExportRequest, 'kind'>, policy = DEFAULT_MASKING): Promise<string> {
  let text = '';
  for await (const chunk of exportBytes(store, masker(policy), { fromMs: FROM_MS, toMs: TO_MS, format: 'ndjson', bom: false, ...request })) text += chunk;
  return text;
}

async function records(store: Store, kind: ExportRequest['kind'], policy = DEFAULT_MASKING): Promise<Array<Record<string, unknown>>> {
  return (await exported(store, { kind }, policy)).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** RFC 4180, read the strict way: fields separated by commas, records by CRLF, quoted fields may hold anything. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        assert.ok(quote >= 0, 'an unterminated quoted field');
        field += text.slice(i, quote);
        i = quote + 1;
        if (text[i] !== '"') break;
        field += '"';
        i++;
      }
    }
    const c = text[i];
    if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (c === undefined) {
      break;
    } else {
      assert.notEqual(c, '"', 'a quote inside an unquoted field');
      assert.notEqual(c, '\n', 'a bare LF ends no record');
      field += c;
      i++;
    }
  }
  assert.equal(field, '', 'the last record ends with CRLF');
  return rows;
}

/** A record's values as CSV gives them back. */
const asCsvText = (v: unknown) => (v === null ? '' : Array.isArray(v) ? JSON.stringify(v) : String(v));

for (const engine of testEngines()) {
  describe(`exports (${engine.name})`, () => {
    let store: Store;
    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock() });
      await seedScripted(store);
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });

    test('messages: both directions in time order, ids both sides, the conversation\'s line and route, texts masked by the default policy', async () => {
      const rows = await records(store, 'messages');
      assert.deepEqual(rows.map((r) => `${String(r.direction)} ${String(r.max_mid)}`), [
        'in mid.1', 'in mid.2', 'in mid.4', 'out mid.out.5001.0', 'out mid.out.5001.1', 'in mid.3',
      ], 'in range only; at the same ms a client\'s message before the operator\'s parts');
      const [first] = rows;
      assert.deepEqual(Object.keys(first ?? {}), [...EXPORT_COLUMNS.messages]);
      assert.equal(first?.conversation_id, 'shop:101');
      assert.equal(first?.bot_id, 'shop');
      assert.equal(first?.max_chat_id, '101');
      assert.equal(first?.max_user_id, '9001');
      assert.equal(first?.portal_id, 'main');
      assert.equal(first?.line_id, 1);
      assert.equal(first?.route, 'sales');
      assert.equal(first?.state, 'delivered');
      assert.equal(first?.created_at, new Date(FROM_MS + 600_000).toISOString());
      assert.equal(first?.created_at_ms, FROM_MS + 600_000);
      // The sender's name masked where it stands in the text, as the journal masks the line item; phone and email by their modes.
      assert.equal(first?.text, 'Здравствуйте, я И*** П***, мой номер +7 *** ***-**-67, пишите i***@e***.ru');
      const out = rows.filter((r) => r.direction === 'out');
      assert.deepEqual(out.map((r) => [r.bitrix_message_id, r.part, r.state]), [['5001', 0, 'sent'], ['5001', 1, 'sent']]);
      assert.equal(out[0]?.text, '[b]Мария:[/b] [br]Перезвоним на +7 *** ***-**-21', 'the operator\'s text from the stored event, its phone masked');
      assert.equal(rows.find((r) => r.max_mid === 'mid.3')?.text, null, 'the line item is gone: no text');
    });

    test('CSV: a header, and the same values as the NDJSON when read back by RFC 4180 (quotes, commas, line breaks); a BOM on request', async () => {
      for (const kind of ['conversations', 'messages', 'journal'] as const) {
        const csv = await exported(store, { kind, format: 'csv' });
        const [header, ...body] = readCsv(csv);
        assert.deepEqual(header, [...EXPORT_COLUMNS[kind]]);
        const ndjson = await records(store, kind);
        assert.equal(body.length, ndjson.length, kind);
        body.forEach((row, i) => assert.deepEqual(row, EXPORT_COLUMNS[kind].map((c) => asCsvText(ndjson[i]?.[c])), `${kind} row ${i}`));
      }
      const messages = await exported(store, { kind: 'messages', format: 'csv' });
      assert.ok(messages.includes('"Он сказал: ""да"", потом\nушёл"'), 'quotes doubled, the line break kept inside the quotes');
      const bom = await exported(store, { kind: 'messages', format: 'csv', bom: true });
      assert.ok(bom.startsWith('\uFEFFdirection,row_id,'));
      assert.ok(!messages.startsWith('\uFEFF'));
    });

    test('the range: from inclusive, to exclusive, for each kind', async () => {
      assert.deepEqual((await records(store, 'conversations')).map((r) => r.id), ['shop:101', 'shop:102'], 'shop:101 at from is in; shop:100 (1 ms before) and shop:103 (at to) are not');
      assert.deepEqual((await records(store, 'journal')).map((r) => r.at_ms), [FROM_MS + 300_000, FROM_MS + 360_000]);
      const edge = await exported(store, { kind: 'messages', fromMs: FROM_MS - 1, toMs: FROM_MS });
      assert.deepEqual(edge.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { max_mid: string }).max_mid), ['mid.0']);
      assert.equal(await exported(store, { kind: 'messages', fromMs: TO_MS + 1, toMs: TO_MS + 2 }), '', 'an empty range: nothing');
      assert.equal(await exported(store, { kind: 'messages', fromMs: TO_MS + 1, toMs: TO_MS + 2, format: 'csv' }), `${EXPORT_COLUMNS.messages.join(',')}\r\n`, 'CSV: the header alone');
      assert.equal(await store.exports.count('messages', { fromMs: FROM_MS, toMs: TO_MS }), 6);
      assert.equal(await store.exports.count('conversations', { fromMs: FROM_MS, toMs: TO_MS }), 2);
      assert.equal(await store.exports.count('journal', { fromMs: FROM_MS, toMs: TO_MS }), 2);
    });

    test('conversations: phone, names, files and the start payload by the policy; journal rows as written', async () => {
      const [ivan, group] = await records(store, 'conversations');
      assert.deepEqual(Object.keys(ivan ?? {}), [...EXPORT_COLUMNS.conversations]);
      assert.equal(ivan?.client_phone, '+7 *** ***-**-67');
      assert.equal(ivan?.start_payload, 'utm_vk_2026');
      assert.deepEqual(ivan?.tags, ['vip', 'b2b']);
      assert.equal(ivan?.route_open, true);
      assert.equal(ivan?.avatar_url, 'https://cdn.max.ru/***');
      assert.equal(ivan?.profile_url, 'https://max.ru/***');
      assert.equal(group?.chat_title, 'С*** П***');
      assert.equal(group?.start_payload, 'f***@e***.ru', 'an email inside the payload masked as the journal masks it');
      const [batch, single] = await records(store, 'journal');
      assert.equal(batch?.refs, 'shop:101#mid.1 shop:102#mid.3');
      assert.equal(batch?.request_body, '{"MESSAGES":[{"user":{"name":"И***"}}]}', 'bodies exactly as the journal holds them');
      assert.equal(single?.request_body, 'text=a,b "c"');

      const plain = await records(store, 'conversations', NONE);
      assert.equal(plain[0]?.client_phone, '+79161234567');
      assert.equal(plain[0]?.avatar_url, 'https://cdn.max.ru/a/ivan.jpg');
      assert.equal(plain[1]?.chat_title, 'Семья Петровых');
      assert.equal(plain[1]?.start_payload, 'from_ivan@example.ru');
      const strict = await records(store, 'conversations', { phone: 'hashed', email: 'drop', name: 'drop', text: 'none', file: 'drop' });
      assert.match(String(strict[0]?.client_phone), /^hmac:[0-9a-f]{16}$/);
      assert.equal(strict[0]?.client_phone, masker({ ...NONE, phone: 'hashed' }).field('phone', '8 (916) 123-45-67'), 'the same hash as the journal gives that phone');
      assert.equal(strict[0]?.avatar_url, null);
      assert.equal(strict[1]?.chat_title, null);
    });

    test('message texts by the policy: none keeps them, masked gives the shape, hashed a keyed hash, drop nothing', async () => {
      const text = async (policy: MaskingPolicy) => (await records(store, 'messages', policy)).map((r) => r.text);
      assert.deepEqual(await text(NONE), [CLIENT_TEXT, QUOTED_TEXT, 'ок', OPERATOR_TEXT, OPERATOR_TEXT, null]);
      const shape = (t: string) => `[text: ${Array.from(t).length} chars]`;
      assert.deepEqual(await text({ ...DEFAULT_MASKING, text: 'masked' }), [shape(CLIENT_TEXT), shape(QUOTED_TEXT), '[text: 2 chars]', shape(OPERATOR_TEXT), shape(OPERATOR_TEXT), null]);
      const hashed = await text({ ...DEFAULT_MASKING, text: 'hashed' });
      assert.ok(hashed.slice(0, 5).every((t) => /^hmac:[0-9a-f]{16}$/.test(String(t))), String(hashed));
      assert.deepEqual(await text({ ...DEFAULT_MASKING, text: 'drop' }), [null, null, null, null, null, null]);
    });
  });

  describe(`exports of a few thousand rows (${engine.name})`, () => {
    let store: Store;
    const inbound = 2_500;
    const outbound = 600;
    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock() });
      await seedConversation(store, { id: 'shop:1', createdAtMs: FROM_MS, userId: '1' });
      // Seven rows per millisecond: pages of 100 end in the middle of a millisecond's rows.
      for (let i = 0; i < inbound; i++) await seedInbound(store, { conversationId: 'shop:1', mid: `mid.${i}`, atMs: FROM_MS + Math.floor(i / 7), text: `text ${i}`, purged: i % 2 === 0 });
      for (let i = 0; i < outbound; i++) await seedOutbound(store, { conversationId: 'shop:1', imMessageId: String(7000 + i), atMs: FROM_MS + Math.floor(i / 3), text: `reply ${i}`, parts: 1, purged: i % 3 !== 0 });
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });

    test('every row once, in time order, across page boundaries that fall inside one millisecond', async () => {
      assert.ok(inbound > 2 * EXPORT_PAGE_ROWS && EXPORT_PAGE_ROWS % 7 !== 0, 'several pages, each ending inside a millisecond');
      const rows = await records(store, 'messages', NONE);
      assert.equal(rows.length, inbound + outbound);
      assert.equal(await store.exports.count('messages', { fromMs: FROM_MS, toMs: TO_MS }), inbound + outbound);
      const keys = new Set(rows.map((r) => `${String(r.direction)}:${String(r.row_id)}`));
      assert.equal(keys.size, rows.length, 'no row twice');
      for (let i = 1; i < rows.length; i++) {
        const [a, b] = [rows[i - 1] as Record<string, number | string>, rows[i] as Record<string, number | string>];
        const order = Number(a.created_at_ms) - Number(b.created_at_ms) || (a.direction === b.direction ? Number(a.row_id) - Number(b.row_id) : a.direction === 'in' ? -1 : 1);
        assert.ok(order < 0, `row ${i} out of order`);
      }
      assert.equal(rows.find((r) => r.max_mid === 'mid.1')?.text, 'text 1');
      assert.equal(rows.find((r) => r.bitrix_message_id === '7003')?.text, 'reply 3');
      assert.equal(rows.find((r) => r.bitrix_message_id === '7004')?.text, null, 'its event purged');
      const csv = readCsv(await exported(store, { kind: 'messages', format: 'csv' }, NONE));
      assert.equal(csv.length, inbound + outbound + 1);
    });
  });
}
