/**
 * Erasure of one client end to end (bridge + both emulators over HTTP, SQLite and PostgreSQL).
 * Clients A and B write to the bot and get operator replies; A also shares a contact, sends
 * a file (re-hosted by the bridge) and writes in a group chat that B started (the bridge keeps
 * groups as conversations here). A is erased with the function the CLI calls: then the raw
 * bytes of the SQLite file and its WAL, or PostgreSQL's tables (by SQL, and the raw heap and
 * TOAST files), hold none of A's name, phone, texts or file — and did before, by the same
 * search. B's data is intact and B still exchanges messages both ways; the group conversation
 * stays, with B's messages. The erasure record holds counts and no personal data. The hooks'
 * rows about A go too (their dialog's events, deliveries and pending delivery jobs, verdicts,
 * gate; A's events in the group and of no conversation), and their CRM bindings; B's stay. A
 * webhook subscribed to `client.erased` gets one event per erasure, with no personal data. The
 * CLI is run as a child process for its dry run, usage and exit codes, and the admin API erases
 * a third client with unfinished work.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { privacyHashKey } from '../../src/journal/hash-key.ts';
import { onClientErased } from '../../src/bridge/client-erased.ts';
import { hookEmitter } from '../../src/bridge/hook-events.ts';
import { conversationQueue, HOOK_DELIVERY_JOB, hookQueue } from '../../src/queue/job-kinds.ts';
import type { ConversationId } from '../../src/domain/ids.ts';
import { erasureSubjectHash } from '../../src/store/repos/erasure-repo.ts';
import { bridgeWorldFor, webhookBridgeConfig } from '../helpers/bridge-world.ts';
import { testEngines } from '../helpers/databases.ts';
import { postOk, until } from '../helpers/e2e.ts';
import { startHookReceiver, type HookReceiver } from '../helpers/hook-receiver.ts';
import { untilIdle } from '../helpers/settled.ts';

const SECRET_KEY = 'erasure-e2e-secret-key-0123456789';
const ADMIN_TOKEN = 'erasure-e2e-admin-token-0123456789';
const A = { user_id: 7401, first_name: 'Евлампия', last_name: 'Кукушкинова' };
const B = { user_id: 7402, first_name: 'Борислав', last_name: 'Бобровский' };
const C = { user_id: 7403, first_name: 'Цецилия' };
/** A file whose bytes do not compress (PostgreSQL stores it as it is, out of line in TOAST), with a marker inside. */
const FILE_MARKER = 'ФАЙЛ-ЕВЛАМПИИ-7f3a';
function fileContents(): Buffer {
  const bytes = randomBytes(12_000);
  for (const at of [100, 6_000, 11_000]) Buffer.from(FILE_MARKER).copy(bytes, at);
  return bytes;
}
/** What must be gone: A's name, phone, texts (A's own, the operator's reply to A, A's group message), file. */
const A_NEEDLES = ['Евлампия', 'Кукушкинова', '9123456789', '912 345-67-89', 'Альфакентавр', 'Омегатрон', 'Ипсилонгруппа', FILE_MARKER];
const B_NEEDLES = ['Бетельгейзе', 'Проксима', 'Дзетагруппа'];

/** Every form a text may take in the stored bytes: UTF-8, UTF-16 (an SQLite encoding), percent-encoded (form bodies), JSON \u escapes. */
function encodings(text: string): Buffer[] {
  const utf16be = Buffer.from(text, 'utf16le');
  utf16be.swap16();
  const escaped = [...text].map((ch) => (ch.charCodeAt(0) > 127 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch)).join('');
  return [Buffer.from(text), Buffer.from(text, 'utf16le'), utf16be, Buffer.from(encodeURIComponent(text)), Buffer.from(encodeURIComponent(text).toLowerCase()),
    Buffer.from(escaped), Buffer.from(escaped.toUpperCase().replace(/\\U/g, '\\u'))];
}

/** The needles found in `bytes`, in any of their encodings. */
function found(bytes: Buffer, needles: readonly string[]): string[] {
  return needles.filter((n) => encodings(n).some((e) => bytes.includes(e)));
}

const exec = promisify(execFile);

const HOOK_SECRET = 'erasure-e2e-hook-secret-0123456789';

/** A MAX user id as a whole number (not a digit run of a longer number or of a hash). */
const namesId = (text: string, id: number) => new RegExp(`(?<![0-9a-f])${id}(?![0-9a-f])`).test(text);

/** `npm run bridge -- …` as a child process (not blocking this process, which runs the bridge). */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

for (const engine of testEngines()) {
  describe(`erasure of one client (${engine.name})`, () => {
    // The company's data protection system: told of each erasure, nothing else.
    let receiver: HookReceiver | null = null;
    after(() => receiver?.close());
    const world = bridgeWorldFor(engine, {
      config: async (emulators, port) => {
        receiver = await startHookReceiver(HOOK_SECRET);
        return webhookBridgeConfig(emulators, port, {
          security: { secret_key: SECRET_KEY, admin_token: ADMIN_TOKEN },
          max: { group_chats: 'conversation' },
          hooks: { webhooks: [{ name: 'dpo', url: receiver.url, secret: HOOK_SECRET, events: ['client.erased'] }] },
        });
      },
    });
    /** The `client.erased` events of the store: the event, its deliveries, their jobs. */
    const erasedEvents = async () => {
      const db = world().bridge.store.db;
      const events = await db.selectFrom('hook_events').selectAll().where('type', '=', 'client.erased').orderBy('at_ms').execute();
      const deliveries = await db.selectFrom('hook_deliveries').selectAll().where('event_type', '=', 'client.erased').execute();
      const jobs = await db.selectFrom('jobs').selectAll().where('kind', '=', HOOK_DELIVERY_JOB).where('conversation_key', '=', hookQueue('dpo', null)).execute();
      return { events, deliveries, jobs };
    };
    const portal = () => world().sandbox.bitrix24.context.portals[0]!;
    const lineChatOf = (userId: number) => [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    const lineTexts = (userId: number) => (lineChatOf(userId)?.messageIds ?? []).map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
    const botTexts = (userId: number) => {
      const max = world().sandbox.max.world;
      const chat = [...max.chats.values()].find((c) => c.type === 'dialog' && c.userId === userId);
      return (chat?.mids ?? []).map((mid) => max.messages.get(mid)!).filter((m) => m.fromBot && !m.deleted).map((m) => m.message.body.text ?? '');
    };
    const write = (user: Record<string, unknown>, body: Record<string, unknown>) => postOk(`${world().sandbox.max.controlUrl}/messages`, { user, ...body });
    const reply = (userId: number, text: string) => postOk(`${world().sandbox.bitrix24.controlUrl}/portals/0/chats/${lineChatOf(userId)!.chatId}/reply`, { text });
    const cliEnv = () => ({ DATABASE_URL: world().config.database.url, BRIDGE_SECRET_KEY: SECRET_KEY });
    const admin = (method: string, path: string, body?: unknown) => fetch(`${world().bridge.url}${path}`, {
      method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
    });

    /** SQLite: the database file and its WAL, as bytes on disk. PostgreSQL: every table's heap and TOAST files, after a CHECKPOINT. */
    async function rawBytes(): Promise<Buffer> {
      if (engine.name === 'sqlite') {
        const file = world().config.database.url;
        return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
      }
      const db = world().bridge.store.db;
      await sql`checkpoint`.execute(db);
      const files = (await sql<{ path: string | null }>`
        select pg_relation_filepath(c.oid) as path from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r'
        union all
        select pg_relation_filepath(c.reltoastrelid) from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' and c.reltoastrelid <> 0`.execute(db)).rows;
      const parts: Buffer[] = [];
      for (const { path } of files) {
        if (path === null) continue;
        parts.push((await sql<{ b: Buffer }>`select pg_read_binary_file(${path}) as b`.execute(db)).rows[0]!.b);
      }
      return Buffer.concat(parts);
    }

    /** PostgreSQL: the needles some text or bytea column of some table still holds (by SQL). */
    async function inColumns(needles: readonly string[]): Promise<string[]> {
      const db = world().bridge.store.db;
      const columns = (await sql<{ table_name: string; column_name: string; data_type: string }>`
        select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'public' and data_type in ('text', 'character varying', 'bytea')`.execute(db)).rows;
      const hits: string[] = [];
      for (const needle of needles) {
        for (const c of columns) {
          const forms = [needle, encodeURIComponent(needle)];
          const where = c.data_type === 'bytea'
            ? sql.join(forms.map((f) => sql`position(${Buffer.from(f)}::bytea in ${sql.ref(c.column_name)}) > 0`), sql` or `)
            : sql.join(forms.map((f) => sql`strpos(${sql.ref(c.column_name)}, ${f}) > 0`), sql` or `);
          const n = (await sql<{ n: string }>`select count(*) as n from ${sql.table(c.table_name)} where ${where}`.execute(db)).rows[0]!.n;
          if (Number(n) > 0) hits.push(`${needle} in ${c.table_name}.${c.column_name}`);
        }
      }
      return hits;
    }

    test('A\'s name, phone, texts and file are gone from the files; B is intact and still served; the record holds no personal data', { timeout: 300_000 }, async () => {
      const file = fileContents();
      await write(A, { text: 'Меня зовут Альфакентавр, звоните +7 912 345-67-89' });
      await write(B, { text: 'Вопрос про Бетельгейзе' });
      await write(A, { text: 'Мой контакт', attachments: [{ type: 'contact', name: 'Евлампия Кукушкинова', phone: '+79123456789' }] });
      await write(A, { text: 'Скан', attachments: [{ type: 'file', filename: 'паспорт-Кукушкиновой.pdf', content_type: 'application/pdf', content_base64: file.toString('base64') }] });
      const group = Number((await postOk(`${world().sandbox.max.controlUrl}/chats`, { title: 'Соседи', owner: B, members: [A] })).chat_id);
      await write({ user_id: B.user_id }, { chat_id: group, text: 'Дзетагруппа: всем привет' });
      await write({ user_id: A.user_id }, { chat_id: group, text: 'Ипсилонгруппа: и вам' });
      await until(() => (lineTexts(A.user_id).length >= 3 && lineTexts(B.user_id).length >= 1 ? true : undefined));
      const fetched = await until(() => {
        const files = (lineChatOf(A.user_id)?.messageIds ?? []).flatMap((id) => portal().messages.get(id)!.files);
        return files.length === 1 && files[0]!.fetchStatus !== undefined ? files[0]! : undefined;
      });
      assert.equal(fetched.fetchStatus, 200, 'the portal fetched A\'s file from the bridge');
      await reply(A.user_id, 'Ответ: Омегатрон готов');
      await reply(B.user_id, 'Ответ: Проксима готова');
      await until(() => (botTexts(A.user_id).some((t) => t.includes('Омегатрон')) && botTexts(B.user_id).some((t) => t.includes('Проксима')) ? true : undefined));
      await untilIdle(world().bridge, world().sandbox);

      // The hooks' rows (docs/hooks.md) and the CRM bindings about A, B and the group, as the bridge writes them.
      const store = world().bridge.store;
      const dialogOf = async (userId: number) => (await store.db.selectFrom('conversations').select('id')
        .where('max_user_id', '=', String(userId)).where('max_chat_id', 'not like', '-%').executeTakeFirstOrThrow()).id;
      const aDialog = await dialogOf(A.user_id);
      const bDialog = await dialogOf(B.user_id);
      const groupConversation = `shop:${group}`;
      const later = Date.now() + 3_600_000;
      const hookEvent = async (id: string, conversationId: string | null, data: Record<string, unknown>, deliveries: Array<['erp' | 'dwh', 'pending' | 'delivered' | 'failed']>) => {
        const event = { id, type: 'message.inbound', conversationId };
        await store.hooks.recordEvent({ ...event, atMs: Date.now(), data });
        for (const [webhook, state] of deliveries) {
          const deliveryId = (await store.hooks.addDelivery(webhook, event)) as number;
          // A pending delivery's job waits (an hour); a failed one's is a dead letter.
          if (state !== 'delivered') {
            const jobId = await store.jobs.enqueue({ kind: HOOK_DELIVERY_JOB, conversationKey: hookQueue(webhook, conversationId), payload: { deliveryId, webhook }, runAtMs: later });
            if (state === 'failed') await store.db.updateTable('jobs').set({ state: 'dead' }).where('id', '=', jobId).execute();
          }
          if (state !== 'pending') await store.hooks.recordAttempt(deliveryId, { state, status: state === 'delivered' ? 200 : 410, error: null, durationMs: 5 });
        }
      };
      const aSender = { max_user_id: String(A.user_id), name: `${A.first_name} ${A.last_name}` };
      await hookEvent('evt_a_dialog', aDialog, { conversation_id: aDialog, mid: 'mid.hook-a', text: 'Альфакентавр: хук', sender: aSender, phone: '+79123456789' }, [['erp', 'pending'], ['dwh', 'delivered']]);
      await hookEvent('evt_a_group', groupConversation, { conversation_id: groupConversation, text: 'Ипсилонгруппа: хук', sender: aSender }, [['erp', 'pending']]);
      await hookEvent('evt_b_group', groupConversation, { conversation_id: groupConversation, text: 'Дзетагруппа: хук', sender: { max_user_id: String(B.user_id) } }, [['erp', 'failed']]);
      await hookEvent('evt_a_bridge', null, { max_user_id: String(A.user_id), note: A.last_name }, [['erp', 'delivered']]);
      // Names A's id only as a number of another kind and inside a hash: not A's.
      await hookEvent('evt_other_bridge', null, { erasure_id: A.user_id, rows_total: A.user_id, subject_hash: `ab${A.user_id}cd` }, [['erp', 'delivered']]);
      await hookEvent('evt_b_dialog', bDialog, { conversation_id: bDialog, text: 'Бетельгейзе: хук', sender: { max_user_id: String(B.user_id) } }, [['erp', 'delivered']]);
      for (const [conversationId, note] of [[aDialog, `${A.first_name}: проверить`], [bDialog, null]] as const) {
        await store.hooks.recordVerdict({ conversationId, checkName: 'antifraud', verdict: 'allow', source: 'answer', route: null, tags: ['vip'], note, eventId: null, atMs: Date.now() });
      }
      await store.hooks.setGate({ conversationId: aDialog, verdict: 'hold', checkName: 'antifraud', note: `${A.last_name}: на проверке` });
      for (const [conversationId, userId] of [[aDialog, A.user_id], [bDialog, B.user_id]] as const) {
        await store.db.insertInto('crm_links').values({
          conversation_id: conversationId, session_id: `s-${userId}`, portal_id: 'main', max_user_id: String(userId), mode: 'lead', state: 'bound',
          lead_id: userId, contact_id: null, deal_id: null, how: 'created', source_json: null, created_at_ms: Date.now(), updated_at_ms: Date.now(),
        }).execute();
      }

      // The search finds A's data before the erasure: it can fail.
      assert.deepEqual(found(await rawBytes(), A_NEEDLES), A_NEEDLES, 'before the erasure every needle of A is in the files');

      // The CLI's dry run changes nothing and says what would go.
      const dry = await cli(['erase', '--max-user', String(A.user_id)], cliEnv());
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /dialogs \(deleted whole\): shop:\d+/);
      assert.match(dry.stdout, /events\s+удалить \/ delete \d+/);
      assert.match(dry.stdout, /journal\s+удалить \/ delete \d+/);
      assert.match(dry.stdout, /hook_events\s+удалить \/ delete 3\n/);
      assert.match(dry.stdout, /hook_deliveries\s+удалить \/ delete 4\n/);
      assert.match(dry.stdout, /crm_links\s+удалить \/ delete 1\n/);
      assert.match(dry.stdout, /a dry run: nothing changed/);
      assert.deepEqual(found(await rawBytes(), A_NEEDLES), A_NEEDLES, 'a dry run erases nothing');

      // As the CLI does: the webhooks of the configuration subscribed to client.erased are told.
      const onErased = onClientErased(hookEmitter({ store, hooks: () => world().config.hooks, nowMs: () => Date.now() }));
      const result = await store.erasure.erase(String(A.user_id), { requestedBy: 'DPO, ticket 42', onErased });
      assert.ok(result.rowsTotal > 0);
      assert.equal(result.dialogs.length, 1);
      assert.equal(result.groups.length, 1, 'the group conversation is kept, A\'s part anonymised');
      assert.ok((result.rows.anonymised.line_outbox ?? 0) >= 1, 'A\'s items in the group\'s outbox anonymised');
      assert.deepEqual(
        [result.rows.deleted.hook_events, result.rows.deleted.hook_deliveries, result.rows.deleted.check_verdicts, result.rows.deleted.conversation_gates, result.rows.deleted.crm_links],
        [3, 4, 1, 1, 1], 'A\'s hook events (dialog, group, of no conversation) with their deliveries, verdict, gate, CRM binding');
      assert.deepEqual((await store.db.selectFrom('hook_events').select('id').where('type', '!=', 'client.erased').orderBy('id').execute()).map((r) => r.id),
        ['evt_b_dialog', 'evt_b_group', 'evt_other_bridge'], 'B\'s events and an event not naming A stay');
      assert.deepEqual((await store.db.selectFrom('hook_deliveries').select('event_id').where('event_type', '!=', 'client.erased').orderBy('event_id').execute()).map((r) => r.event_id),
        ['evt_b_dialog', 'evt_b_group', 'evt_other_bridge']);
      assert.deepEqual((await store.db.selectFrom('jobs').select(['conversation_key', 'state']).where('kind', '=', HOOK_DELIVERY_JOB).where('conversation_key', '!=', hookQueue('dpo', null)).execute()),
        [{ conversation_key: hookQueue('erp', groupConversation), state: 'dead' }], 'A\'s pending delivery jobs went (of the dialog\'s queue, and A\'s in the group\'s); B\'s stays');
      assert.deepEqual((await store.db.selectFrom('check_verdicts').select('conversation_id').execute()).map((r) => r.conversation_id), [bDialog]);
      assert.equal(await store.hooks.gate(aDialog), null);
      assert.deepEqual((await store.db.selectFrom('crm_links').select('conversation_id').execute()).map((r) => r.conversation_id), [bDialog], 'A\'s CRM binding went, B\'s stays');

      // One client.erased event, one delivery, one job — with no personal data.
      const told = await erasedEvents();
      assert.equal(told.events.length, 1);
      assert.equal(told.events[0]!.conversation_id, null);
      assert.deepEqual(JSON.parse(told.events[0]!.data_json), {
        erasure_id: result.record.id, subject_hash: result.record.subjectHash, rows_total: result.rowsTotal, at: new Date(result.record.atMs).toISOString(),
      });
      assert.deepEqual(told.deliveries.map((d) => [d.webhook, d.event_id]), [['dpo', told.events[0]!.id]]);
      assert.deepEqual(told.jobs.map((j) => JSON.parse(j.payload) as unknown), [{ deliveryId: Number(told.deliveries[0]!.id), webhook: 'dpo' }]);
      const toldText = JSON.stringify(told);
      assert.ok(!namesId(toldText, A.user_id), 'the event names A\'s id');
      assert.deepEqual(found(Buffer.from(toldText), A_NEEDLES), []);
      for (const dialog of result.dialogs) assert.ok(!toldText.includes(dialog), `the event names ${dialog}`);
      // The receiver gets it (src/bridge/hook-delivery.ts), signed, with nothing of A.
      const body = JSON.stringify(await until(() => receiver!.events.find((e) => e.id === told.events[0]!.id)));
      assert.ok(!namesId(body, A.user_id));
      assert.deepEqual(found(Buffer.from(body), A_NEEDLES), []);
      if (engine.name === 'sqlite') assert.equal(result.freedSpace.walTruncated, true);
      else assert.ok(result.freedSpace.vacuumed.includes('events') && result.freedSpace.vacuum === 'full');

      const left = found(await rawBytes(), A_NEEDLES);
      assert.deepEqual(left, [], `A's data left in the ${engine.name === 'sqlite' ? 'database file or its WAL' : 'heap or TOAST files'}: ${left.join(', ')}`);
      if (engine.name === 'postgres') assert.deepEqual(await inColumns(A_NEEDLES), []);
      assert.deepEqual(found(await rawBytes(), B_NEEDLES), B_NEEDLES, 'B\'s data is still there');

      // The record: counts, who asked, A's id only as a keyed hash.
      const [record] = await store.erasure.records({ maxUserId: String(A.user_id) });
      assert.ok(record);
      assert.equal(record.id, result.record.id);
      assert.equal(record.requestedBy, 'DPO, ticket 42');
      assert.equal(record.rowsTotal, result.rowsTotal);
      assert.equal(record.subjectHash, erasureSubjectHash(privacyHashKey(SECRET_KEY), String(A.user_id)));
      const stored = JSON.stringify(await store.db.selectFrom('erasures').selectAll().execute());
      for (const personal of [String(A.user_id), A.first_name, A.last_name, '9123456789', ...result.dialogs]) assert.ok(!stored.includes(personal), `the record holds ${personal}`);
      const listed = await (await admin('GET', `/admin/erasures?max_user_id=${A.user_id}`)).json() as { erasures: Array<{ id: number }> };
      assert.deepEqual(listed.erasures.map((e) => e.id), [record.id]);

      // B, and the group, go on both ways.
      await write(B, { text: 'Ещё про Бетельгейзе-2' });
      await until(() => (lineTexts(B.user_id).some((t) => t.includes('Бетельгейзе-2')) ? true : undefined));
      await reply(B.user_id, 'Проксима-2');
      await until(() => (botTexts(B.user_id).some((t) => t.includes('Проксима-2')) ? true : undefined));
      await write({ user_id: B.user_id }, { chat_id: group, text: 'Дзетагруппа-2' });
      const groupChat = [...portal().chats.values()].find((c) => c.externalChatId === `shop:${group}`)!;
      await until(() => (groupChat.messageIds.some((id) => portal().messages.get(id)!.text.includes('Дзетагруппа-2')) ? true : undefined));
      assert.ok(await store.conversations.get(`shop:${group}` as ConversationId), 'the group conversation stays');
    });

    test('the CLI: usage, unknown client, list; the admin API: a dry run naming unfinished work, bad input, an erasure', { timeout: 300_000 }, async () => {
      const help = await cli(['erase', '--help'], cliEnv());
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Использование \/ usage:[\s\S]*--yes/);
      for (const bad of [['erase'], ['erase', '--max-user', 'abc'], ['erase', '--max-user', '1', '--vacuum', 'fast'], ['erase', '--max-user', '1', '--wat']]) {
        const res = await cli(bad, cliEnv());
        assert.equal(res.code, 2, `${bad.join(' ')}: ${res.stdout}${res.stderr}`);
        assert.match(res.stderr, /Использование \/ usage/);
      }
      const unknown = await cli(['erase', '--max-user', '999999001'], cliEnv());
      assert.equal(unknown.code, 0);
      assert.match(unknown.stdout, /nothing found about MAX user 999999001/);

      await write(C, { text: 'Цецилия пишет' });
      await until(() => (lineTexts(C.user_id).length === 1 ? true : undefined));
      await untilIdle(world().bridge, world().sandbox);
      // The bot's own id is refused: every dialog names it, erasing it would take them all.
      const botUserId = String([...world().sandbox.max.world.bots.keys()][0]);
      const bot = await cli(['erase', '--max-user', botUserId, '--yes', '--by', 'mistake'], cliEnv());
      assert.equal(bot.code, 2, bot.stdout);
      assert.match(bot.stderr, /is a bot, not a client: nothing is erased/);
      const botApi = await admin('POST', '/admin/erasures', { max_user_id: botUserId });
      assert.equal(botApi.status, 400);
      assert.equal(((await botApi.json()) as { error: string }).error, 'BRG_ERR_ERASURE_USER_ID');
      assert.equal((await world().bridge.store.erasure.records({ maxUserId: botUserId })).length, 0);
      const store = world().bridge.store;
      const cConversation = (await store.db.selectFrom('conversations').select('id').where('max_user_id', '=', String(C.user_id)).executeTakeFirstOrThrow()).id as ConversationId;
      // Work that would never be done: a job waiting in C's queue.
      await store.jobs.enqueue({ kind: 'conversation.move', conversationKey: conversationQueue(cConversation), payload: { conversationId: cConversation, route: 'x', by: 'admin' }, runAtMs: Date.now() + 3_600_000 });
      const cliDry = await cli(['erase', '--max-user', String(C.user_id)], cliEnv());
      assert.equal(cliDry.code, 0, cliDry.stderr);
      assert.match(cliDry.stdout, /this work will never be done[\s\S]*jobs pending or running: 1/);

      const badId = await admin('POST', '/admin/erasures', { max_user_id: 'Цецилия', dry_run: true });
      assert.equal(badId.status, 400);
      assert.equal(((await badId.json()) as { error: string }).error, 'BRG_ERR_ERASURE_USER_ID');
      const noRequester = await admin('POST', '/admin/erasures', { max_user_id: String(C.user_id), dry_run: false });
      assert.equal(noRequester.status, 400);
      assert.equal(((await noRequester.json()) as { error: string }).error, 'BRG_ERR_ERASURE_REQUESTER');
      const malformed = await fetch(`${world().bridge.url}/admin/erasures`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{' });
      assert.equal(malformed.status, 400);
      assert.equal((await fetch(`${world().bridge.url}/admin/erasures`)).status, 401);

      const plan = await (await admin('POST', '/admin/erasures', { max_user_id: C.user_id })).json() as { dry_run: boolean; plan: { rows_total: number; unfinished: { jobs: number } } };
      assert.equal(plan.dry_run, true, 'dry_run defaults to true');
      assert.equal(plan.plan.unfinished.jobs, 1);
      assert.ok(await store.conversations.get(cConversation), 'a dry run changes nothing');
      const erased = await admin('POST', '/admin/erasures', { max_user_id: String(C.user_id), dry_run: false, requested_by: 'support desk', vacuum: 'full' });
      assert.equal(erased.status, 200);
      const body = (await erased.json()) as { erasure: { id: number; rows_total: number; requested_by: string } };
      assert.ok(body.erasure.rows_total > 0);
      assert.equal(body.erasure.requested_by, 'admin API: support desk');
      assert.equal(await store.conversations.get(cConversation), null);
      assert.equal((await store.db.selectFrom('jobs').select('id').where('conversation_key', '=', conversationQueue(cConversation)).execute()).length, 0);
      // The running bridge tells client.erased (its configuration's webhook), with nothing of C.
      const toldC = (await erasedEvents()).events.find((e) => (JSON.parse(e.data_json) as { erasure_id: number }).erasure_id === body.erasure.id);
      assert.ok(toldC, 'the admin API\'s erasure told client.erased');
      assert.ok(!namesId(toldC.data_json, C.user_id) && !toldC.data_json.includes(C.first_name), toldC.data_json);

      // The CLI tells it too, to the webhooks of its configuration.
      const configFile = join(mkdtempSync(join(tmpdir(), 'erasure-e2e-')), 'bridge.yaml');
      writeFileSync(configFile, ['hooks:', '  webhooks:', '    - name: dpo', `      url: ${receiver!.url}`, `      secret: ${HOOK_SECRET}`, '      events: [client.erased]', ''].join('\n'));
      const again = await cli(['erase', '--max-user', String(C.user_id), '--yes', '--by', 'second request'], { ...cliEnv(), CONFIG_FILE: configFile });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /nothing found; the request is recorded/);
      const list = await cli(['erase', '--list', '--max-user', String(C.user_id)], cliEnv());
      assert.equal(list.code, 0);
      assert.match(list.stdout, /requested by admin API: support desk[\s\S]*was erased|requested by second request[\s\S]*was erased/);
      assert.equal((list.stdout.match(/erasure record \d+/g) ?? []).length, 2);
      // One client.erased event per erasure record (A's, C's by the API, C's by the CLI), each with one delivery and one job.
      const all = await erasedEvents();
      const records = (await store.erasure.records()).map((r) => r.id).sort((a, b) => a - b);
      assert.equal(records.length, 3);
      assert.deepEqual(all.events.map((e) => (JSON.parse(e.data_json) as { erasure_id: number }).erasure_id).sort((a, b) => a - b), records);
      assert.equal(all.deliveries.length, 3);
      assert.equal(all.jobs.length, 3);
    });
  });
}
