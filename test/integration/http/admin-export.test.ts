/**
 * `GET /admin/export/:kind` on both engines (src/http/plugins/admin-export.ts): bearer auth
 * (401 without it, and with the admin API off), a bad parameter as a 400
 * `BRG_ERR_INVALID_QUERY` naming it, the same bytes as the CLI's export with the download
 * headers, the BI views replaced when the server is ready; and on a real socket, 5,000 large
 * rows streamed in chunks while the reader is paused: the export stops reading pages until
 * the client reads again (backpressure), then every row arrives; a failure half-way ends the
 * response without its last chunk.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { buildApp } from '../../../src/http/app.ts';
import { adminExportPlugin } from '../../../src/http/plugins/admin-export.ts';
import { exportBytes } from '../../../src/hooks/export-stream.ts';
import { privacyHashKey } from '../../../src/journal/hash-key.ts';
import { createMasker, DEFAULT_MASKING } from '../../../src/journal/masking.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { EXPORT_PAGE_ROWS } from '../../../src/store/repos/export-repo.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { FROM_MS, seedConversation, seedInbound, seedScripted, TO_MS } from '../../helpers/export-seed.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const ADMIN = 'admin-token-for-tests';
const headers = { authorization: `Bearer ${ADMIN}` };
const masker = createMasker(DEFAULT_MASKING, privacyHashKey(TEST_SECRET_KEY));
const NOW_MS = TO_MS + 3_600_000;

for (const engine of testEngines()) {
  describe(`admin export API (${engine.name})`, () => {
    let store: Store;
    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock() });
      await seedScripted(store);
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });
    const app = (adminToken: string | undefined = ADMIN, replaceViews = false) =>
      buildApp({ plugins: [adminExportPlugin({ adminToken, store, masker, nowMs: () => NOW_MS, replaceViews })] });

    test('no token, a wrong one, or the admin API off: 401 with its code, nothing read', async () => {
      const a = app();
      for (const authorization of [undefined, 'Bearer wrong-token-for-tests', ADMIN]) {
        const res = await a.inject({ method: 'GET', url: '/admin/export/messages?from=2026-12-01', headers: authorization ? { authorization } : {} });
        assert.equal(res.statusCode, 401);
        assert.equal(res.json().error, 'BRG_ERR_UNAUTHORIZED');
      }
      const off = app(undefined);
      const res = await off.inject({ method: 'GET', url: '/admin/export/messages?from=2026-12-01', headers: { authorization: 'Bearer ' } });
      assert.equal(res.statusCode, 401);
      await a.close();
      await off.close();
    });

    test('a bad parameter: 400 BRG_ERR_INVALID_QUERY naming it', async () => {
      const a = app();
      const cases: Array<[string, RegExp]> = [
        ['/admin/export/chats?from=2026-12-01', /^kind: "chats" is not conversations, messages, journal/],
        ['/admin/export/messages', /^from is required/],
        ['/admin/export/messages?from=01.12.2026', /^from: "01\.12\.2026" is not start time/],
        ['/admin/export/messages?from=2026-12-02&to=2026-12-01', /to must be later than from/],
        ['/admin/export/messages?from=2026-12-01&format=xml', /^format: "xml" is not ndjson or csv/],
        ['/admin/export/messages?from=2026-12-01&bom=true', /^bom: "true" is not 1 or 0/],
        ['/admin/export/messages?from=2026-12-01&since=2026-12-01', /unknown parameter "since"/],
        ['/admin/export/messages?from=2026-12-01&from=2026-12-02', /^from: given more than once/],
      ];
      for (const [url, detail] of cases) {
        const res = await a.inject({ method: 'GET', url, headers });
        assert.equal(res.statusCode, 400, url);
        assert.equal(res.json().error, 'BRG_ERR_INVALID_QUERY', url);
        assert.match(res.json().detail, detail, url);
      }
      await a.close();
    });

    test('NDJSON and CSV: the CLI\'s bytes, as an attachment, with the content types of the formats', async () => {
      const a = app();
      for (const [format, type] of [['ndjson', 'application/x-ndjson; charset=utf-8'], ['csv', 'text/csv; charset=utf-8']] as const) {
        const res = await a.inject({ method: 'GET', url: `/admin/export/messages?from=2026-12-01&to=2026-12-02&format=${format}&bom=${format === 'csv' ? 1 : 0}`, headers });
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-type'], type);
        assert.equal(res.headers['content-disposition'], `attachment; filename="messages-2026-11-30T21-00-00Z-2026-12-01T21-00-00Z.${format}"`);
        let expected = '';
        for await (const chunk of exportBytes(store, masker, { kind: 'messages', fromMs: FROM_MS, toMs: TO_MS, format, bom: format === 'csv' })) expected += chunk;
        assert.equal(res.body, expected);
        assert.equal(res.body.split(format === 'csv' ? '\r\n' : '\n').filter(Boolean).length, format === 'csv' ? 7 : 6);
      }
      const head = await a.inject({ method: 'HEAD', url: '/admin/export/messages?from=2026-12-01', headers });
      assert.equal(head.statusCode, 404, 'no HEAD: it would run the whole export for nothing');
      const journal = await a.inject({ method: 'GET', url: '/admin/export/journal?from=2026-12-01', headers });
      assert.equal(journal.body.split('\n').filter(Boolean).length, 3, 'to defaults to now: the row at 2026-12-02 00:00 too');
      await a.close();
    });

    test('the server made ready replaces the BI views under the policy', async () => {
      await sql`drop view if exists bi_conversations`.execute(store.db);
      const a = app(ADMIN, true);
      await a.ready();
      const rows = (await sql<{ client_phone: string | null }>`select client_phone from bi_conversations where id = 'shop:101'`.execute(store.db)).rows;
      assert.deepEqual(rows, [{ client_phone: '+7 *** ***-**-67' }]);
      await a.close();
    });
  });
}

describe('admin export API over a socket: streamed, and held back by a slow reader', () => {
  const engine = testEngines()[0]!;
  const rows = 5_000;
  /** Large texts (8 KB a row, ~40 MB in all): more than the socket's buffers hold, so a paused reader is felt. */
  const text = 'ж'.repeat(4_096);
  let store: Store;
  before(async () => {
    store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock() });
    await seedConversation(store, { id: 'shop:1', createdAtMs: FROM_MS, userId: '1' });
    for (let i = 0; i < rows; i++) await seedInbound(store, { conversationId: 'shop:1', mid: `mid.${i}`, atMs: FROM_MS + i, text });
  });
  after(async () => {
    await store.close();
    await engine.dropAll();
  });

  test('chunked, no length; a paused reader stops the pages being read; then every row arrives', async () => {
    let pagesRead = 0;
    const messages = store.exports.messages.bind(store.exports);
    store.exports.messages = async function* counted(...args) {
      for await (const page of messages(...args)) {
        pagesRead++;
        yield page;
      }
    };
    const app = buildApp({ plugins: [adminExportPlugin({ adminToken: ADMIN, store, masker: createMasker({ ...DEFAULT_MASKING, name: 'none', phone: 'none', email: 'none' }, privacyHashKey(TEST_SECRET_KEY)), nowMs: () => NOW_MS, replaceViews: false })] });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const pages = rows / EXPORT_PAGE_ROWS;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      const res = await fetch(`${url}/admin/export/messages?from=2026-12-01&to=2026-12-02`, { headers });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), null);
      assert.equal(res.headers.get('transfer-encoding'), 'chunked');
      reader = res.body!.getReader();
      const first = await reader.read();
      assert.ok(first.value && first.value.byteLength > 0);
      await new Promise((r) => setTimeout(r, 500));
      const whilePaused = pagesRead;
      assert.ok(whilePaused < pages / 3, `${whilePaused} of ${pages} pages read while the client read nothing`);
      const newlines = (bytes: Uint8Array) => bytes.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
      let bytes = first.value.byteLength;
      let chunks = 1;
      let lines = newlines(first.value);
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        bytes += next.value.byteLength;
        chunks++;
        lines += newlines(next.value);
      }
      assert.equal(lines, rows);
      assert.ok(chunks > 10, `${chunks} chunks`);
      assert.ok(bytes > rows * text.length * 2, `${bytes} bytes`);
      assert.equal(pagesRead, pages);
    } finally {
      // A failed assertion leaves the response unread: cancel it, or closing the server waits for it.
      await reader?.cancel().catch(() => undefined);
      store.exports.messages = messages;
      await app.close();
    }
  });

  test('a failure half-way: the connection ends without the last chunk, so the client sees an incomplete response', async () => {
    const messages = store.exports.messages.bind(store.exports);
    store.exports.messages = async function* failing(...args) {
      for await (const page of messages(...args)) {
        yield page;
        throw new Error('the database went away');
      }
    };
    const app = buildApp({ plugins: [adminExportPlugin({ adminToken: ADMIN, store, masker, nowMs: () => NOW_MS, replaceViews: false })] });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${url}/admin/export/messages?from=2026-12-01&to=2026-12-02`, { headers });
      assert.equal(res.status, 200, 'the headers went before the failure');
      await assert.rejects(res.text(), (err: Error) => err.message === 'terminated');
    } finally {
      store.exports.messages = messages;
      await app.close();
    }
  });
});
