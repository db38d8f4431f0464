/**
 * The SQL views for BI tools on both engines (src/store/bi-views.ts, docs/exports.md): they
 * exist with the documented columns (the file exports' first columns, by the same names),
 * and the personal columns follow the policy they were made under: `client_phone` as the
 * phone, maskPhone's very shape built in SQL (compared with maskPhone over numbers of many
 * countries), or NULL; a client's text only when nothing would be masked inside it, the
 * `[text: N chars]` shape, or NULL; the start payload only when no masking could change it.
 * Replacing them under another policy keeps their columns; `viewStatements` is runnable SQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { EXPORT_COLUMNS } from '../../../src/hooks/export-records.ts';
import { DEFAULT_MASKING, maskPhone, type MaskingPolicy } from '../../../src/journal/masking.ts';
import { BI_VIEW_COLUMNS, BI_VIEW_NAMES } from '../../../src/store/bi-views.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { CLIENT_TEXT, FROM_MS, QUOTED_TEXT, seedConversation, seedScripted } from '../../helpers/export-seed.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const NONE: MaskingPolicy = { phone: 'none', email: 'none', name: 'none', text: 'none', file: 'none' };
/** Stored phones as the bridge writes them (`+` and digits, crm/client-phone.ts), from many countries, and two it never writes. */
const PHONES = ['+79161234567', '+12025550143', '+442079460958', '+4930123456', '+380441234567', '+9715012345678', '+8613812345678', '+9161234567', '+89161234567', '+1234', '+123456789'];

type Row = Record<string, unknown>;

async function rows(store: Store, view: string, orderBy: string): Promise<Row[]> {
  return (await sql<Row>`select * from ${sql.table(view)} order by ${sql.raw(orderBy)}`.execute(store.db)).rows;
}

async function columns(store: Store, view: string): Promise<string[]> {
  if (store.engine === 'postgres') {
    const r = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_name = ${view} order by ordinal_position`.execute(store.db);
    return r.rows.map((c) => c.column_name);
  }
  const r = await sql<{ name: string }>`select name from pragma_table_info(${view})`.execute(store.db);
  return r.rows.map((c) => c.name);
}

for (const engine of testEngines()) {
  describe(`SQL views for BI tools (${engine.name})`, () => {
    let store: Store;
    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock() });
      await seedScripted(store);
      for (const [i, phone] of PHONES.entries()) await seedConversation(store, { id: `phones:${i + 1}`, createdAtMs: FROM_MS + i, userId: String(i), phone });
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });

    test('they exist with the documented columns, the file exports\' first columns by the same names', async () => {
      await store.exports.replaceViews(DEFAULT_MASKING);
      for (const name of BI_VIEW_NAMES) assert.deepEqual(await columns(store, name), [...BI_VIEW_COLUMNS[name]], name);
      assert.deepEqual(BI_VIEW_COLUMNS.bi_conversations, EXPORT_COLUMNS.conversations.slice(0, BI_VIEW_COLUMNS.bi_conversations.length));
      assert.deepEqual(BI_VIEW_COLUMNS.bi_messages, EXPORT_COLUMNS.messages);
      assert.deepEqual(BI_VIEW_COLUMNS.bi_journal, EXPORT_COLUMNS.journal);
    });

    test('the default policy: the phone in maskPhone\'s shape (the same text, built in SQL), no texts, a plain payload kept', async () => {
      await store.exports.replaceViews(DEFAULT_MASKING);
      const conversations = await rows(store, 'bi_conversations', 'id');
      const phones = conversations.filter((r) => String(r.id).startsWith('phones:')).sort((a, b) => Number(String(a.id).slice(7)) - Number(String(b.id).slice(7)));
      assert.deepEqual(phones.map((r) => r.client_phone), PHONES.map(maskPhone));
      const ivan = conversations.find((r) => r.id === 'shop:101');
      assert.equal(ivan?.start_payload, 'utm_vk_2026');
      assert.equal(ivan?.portal_id, 'main');
      assert.equal(Number(ivan?.line_id), 1);
      assert.equal(ivan?.tags, '["vip","b2b"]');
      assert.equal(new Date(ivan?.created_at as string | Date).getTime(), FROM_MS, 'a timestamp of the same instant');
      assert.equal(conversations.find((r) => r.id === 'shop:102')?.start_payload, null, 'an email in it: the journal would mask it, the view gives nothing');
      const messages = await rows(store, 'bi_messages', 'created_at_ms, direction, row_id');
      assert.deepEqual(messages.map((r) => `${String(r.direction)} ${String(r.max_mid)}`), [
        'in mid.0', 'in mid.1', 'in mid.2', 'in mid.4', 'out mid.out.5001.0', 'out mid.out.5001.1', 'in mid.3', 'in mid.9', 'out mid.out.5009.0',
      ]);
      assert.ok(messages.every((r) => r.text === null), 'phones inside texts cannot be masked in SQL: no texts');
      const out = messages.find((r) => r.max_mid === 'mid.out.5001.1');
      assert.deepEqual([out?.bot_id, out?.max_chat_id, out?.bitrix_message_id, Number(out?.part), out?.state], ['shop', '101', '5001', 1, 'sent']);
      const journal = await rows(store, 'bi_journal', 'id');
      assert.equal(journal.length, 4);
      assert.equal(journal[1]?.refs, 'shop:101#mid.1 shop:102#mid.3');
      assert.equal(journal[1]?.request_body, '{"MESSAGES":[{"user":{"name":"И***"}}]}', 'bodies as written (masked then)');
    });

    test('all none: the phone, texts and payloads as stored; replacing the views keeps their columns', async () => {
      await store.exports.replaceViews(NONE);
      for (const name of BI_VIEW_NAMES) assert.deepEqual(await columns(store, name), [...BI_VIEW_COLUMNS[name]], name);
      const conversations = await rows(store, 'bi_conversations', 'id');
      assert.equal(conversations.find((r) => r.id === 'shop:101')?.client_phone, '+79161234567');
      assert.equal(conversations.find((r) => r.id === 'shop:102')?.start_payload, 'from_ivan@example.ru');
      const texts = (await rows(store, 'bi_messages', 'created_at_ms, direction, row_id')).map((r) => r.text);
      assert.deepEqual(texts, ['before', CLIENT_TEXT, QUOTED_TEXT, 'ок', null, null, null, 'after', null], 'operators\' texts are not in the views');
    });

    test('text masked, phone hashed: the text\'s shape, no phone; drop: nothing', async () => {
      await store.exports.replaceViews({ ...DEFAULT_MASKING, phone: 'hashed', text: 'masked' });
      const conversations = await rows(store, 'bi_conversations', 'id');
      assert.ok(conversations.every((r) => r.client_phone === null), 'a keyed hash cannot be made in SQL');
      const texts = (await rows(store, 'bi_messages', 'created_at_ms, direction, row_id')).map((r) => r.text);
      assert.deepEqual(texts.slice(0, 4), ['[text: 6 chars]', `[text: ${Array.from(CLIENT_TEXT).length} chars]`, `[text: ${Array.from(QUOTED_TEXT).length} chars]`, '[text: 2 chars]']);
      await store.exports.replaceViews({ ...NONE, phone: 'drop', text: 'drop' });
      assert.ok((await rows(store, 'bi_conversations', 'id')).every((r) => r.client_phone === null));
      assert.ok((await rows(store, 'bi_messages', 'row_id')).every((r) => r.text === null));
    });

    test('viewStatements: the SQL replaceViews runs, runnable by hand', async () => {
      const statements = store.exports.viewStatements(NONE);
      assert.equal(statements.length, engine.name === 'sqlite' ? 6 : 3);
      assert.ok(statements.every((s) => s.endsWith(';') && !s.includes('$1') && !s.includes('?')), 'literals inline, no parameters');
      for (const s of statements) await sql.raw(s).execute(store.db);
      assert.equal((await rows(store, 'bi_conversations', 'id')).find((r) => r.id === 'shop:101')?.client_phone, '+79161234567');
    });
  });
}
