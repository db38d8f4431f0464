/**
 * The retention purge's rules (src/store/repos/retention-repo.ts) on both engines: rows on
 * both sides of each cutoff, and the rows that must stay whatever their age — pending and
 * running jobs, the events they and the kept dead letters read, pending outbox items, and
 * everything of a conversation with work still to do (a job in its MAX chat's or its Open
 * Lines chat's queue, an item waiting for the line). Hook rows: finished deliveries go, a
 * pending one or one a kept dead letter may replay stays, and so does its event; an event goes
 * only with all its deliveries; check verdicts go with the messages' days, a conversation's
 * gate with the conversation. The dry run changes nothing and counts exactly what the purge
 * then deletes; a purge in batches of two ends the same.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeConversationId, parseBotId, type ConversationId } from '../../../src/domain/ids.ts';
import { BITRIX24_EVENT_JOB, conversationQueue, HOOK_DELIVERY_JOB, hookQueue, MAX_UPDATE_JOB, portalEventQueue } from '../../../src/queue/job-kinds.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import type { JobState } from '../../../src/store/schema.ts';
import { PURGE_TARGETS, type PurgeCounts, type RetentionCutoffs } from '../../../src/store/repos/retention-repo.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const ago = (days: number) => NOW - days * DAY;

const CUTOFFS: RetentionCutoffs = {
  nowMs: NOW, journalBeforeMs: ago(10), eventsBeforeMs: ago(5), deadLettersBeforeMs: ago(7), messagesBeforeMs: ago(3), filesBeforeMs: ago(2),
};

const conv = (chat: string): ConversationId => makeConversationId(parseBotId('shop'), chat);
/** Idle, nothing to do: everything old of it goes, and then it. */
const IDLE = conv('1');
/** A client's update still waiting in its MAX chat's queue. */
const BUSY_MAX_JOB = conv('2');
/** An item still waiting for the line. */
const BUSY_OUTBOX = conv('3');
/** An operator's reply still waiting in its Open Lines chat's queue. */
const BUSY_B24_JOB = conv('4');
/** Idle since long, but an operator part sent a day ago: its old rows go, it stays. */
const RECENT_PART = conv('5');
/** Changed a day ago: its old rows go, it stays. */
const RECENT = conv('6');
const CONVERSATIONS = [IDLE, BUSY_MAX_JOB, BUSY_OUTBOX, BUSY_B24_JOB, RECENT_PART, RECENT];
const BUSY = [BUSY_MAX_JOB, BUSY_OUTBOX, BUSY_B24_JOB];

/** What the purge must delete from the data of fill(), per target. */
const EXPECTED: PurgeCounts = {
  journal: 1,
  // done 6 days ago (the one 4 days ago stays); a hook delivery's job done 6 days ago
  jobs: 2,
  // dead 8 days ago (the one 6 days ago stays); a hook delivery's dead letter 8 days ago
  dead_letters: 2,
  // 6 days old: of the done job, of no job, of the dead letter being purged (not: of the pending job, of the kept dead letter; not the 4-day-old one)
  events: 3,
  skipped_updates: 1,
  // 6 days old: delivered (its job done), delivered beside a failed one kept, failed (its dead letter purged), of no conversation
  hook_deliveries: 4,
  // 6 days old: all deliveries gone, or none ever; of no conversation (not: one with a pending delivery, one with a failed delivery a
  // kept dead letter may replay, two of busy conversations; not the 4-day-old one)
  hook_events: 4,
  // per non-busy conversation (idle, recent-part, recent): one sent and one rejected row 4 days old
  line_outbox: 6,
  messages: 3,
  // the idle one's and the recent one's old parts; the recent-part one's old part (its new one stays)
  outbound_parts: 3,
  outbound_uploads: 3,
  operator_notices: 3,
  client_notices: 3,
  crm_links: 0,
  // 4 days old, per non-busy conversation (the recent one's 1-day-old verdict stays)
  check_verdicts: 3,
  // created 3 days ago of a conversation not busy; expired a day old; expired of a busy conversation
  media: 3,
  // the idle conversation's, with it (the recent one's stays, and one of a conversation never created)
  conversation_gates: 1,
  conversations: 1,
};

type Db = Store['db'];

async function job(db: Db, key: string, state: JobState, atMs: number, eventId: number | null = null, kind = MAX_UPDATE_JOB): Promise<number> {
  const row = await db.insertInto('jobs').values({
    kind, conversation_key: key, resource_key: null, payload: '{"botId":"shop"}', state, attempts: 1, run_at_ms: atMs,
    locked_by: state === 'running' ? 'w' : null, lease_until_ms: state === 'running' ? NOW + HOUR : null,
    last_error_code: null, last_error: null, last_response: null, event_id: eventId, created_at_ms: atMs, updated_at_ms: atMs,
  }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

async function event(db: Db, key: string, atMs: number): Promise<number> {
  const row = await db.insertInto('events').values({ source: 'max:shop', kind: 'message_created', dedupe_key: key, raw: '{}', received_at_ms: atMs })
    .returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

async function hookEvent(db: Db, id: string, atMs: number, conversationId: ConversationId | null = IDLE): Promise<void> {
  await db.insertInto('hook_events').values({ id, type: 'message.inbound', conversation_id: conversationId, at_ms: atMs, data_json: '{"text":"x"}' }).execute();
}

/** One delivery of `eventId` to a webhook (with its job in `jobState` when given); returns its id. */
async function delivery(
  db: Db, eventId: string, state: 'pending' | 'delivered' | 'failed', atMs: number, jobState?: JobState, webhook = 'erp', conversationId: ConversationId | null = IDLE,
): Promise<number> {
  const row = await db.insertInto('hook_deliveries').values({
    webhook, event_id: eventId, event_type: 'message.inbound', conversation_id: conversationId, state, attempts: 1, last_status: state === 'delivered' ? 200 : 503,
    last_error: null, last_duration_ms: 5, created_at_ms: atMs, updated_at_ms: atMs, delivered_at_ms: state === 'delivered' ? atMs : null,
  }).returning('id').executeTakeFirstOrThrow();
  const id = Number(row.id);
  if (jobState) {
    const jobId = await job(db, hookQueue(webhook, conversationId), jobState, atMs, null, HOOK_DELIVERY_JOB);
    await db.updateTable('jobs').set({ payload: JSON.stringify({ deliveryId: id, webhook }) }).where('id', '=', jobId).execute();
  }
  return id;
}

/** Rows on both sides of each cutoff (see EXPECTED). */
async function fill(store: Store): Promise<void> {
  const db = store.db;
  await db.insertInto('portals').values({
    id: 'main', member_id: 'member-main', domain: 'main.bitrix24.ru', client_id: 'app', application_token_enc: 'x', access_token_enc: null,
    refresh_token_enc: null, expires_at_ms: 0, client_endpoint: 'https://main.bitrix24.ru/rest/', server_endpoint: 'https://oauth.bitrix.info/rest/',
    status: 'active', updated_at_ms: ago(30),
  }).execute();
  for (const [i, atMs] of [ago(11), ago(9)].entries()) {
    await db.insertInto('journal').values({ at_ms: atMs, side: 'max', direction: 'out', method: 'POST', endpoint: '/messages', status: 200, duration_ms: 5, request_body: `r${i}` }).execute();
  }

  // Jobs and events.
  const doneOld = await event(db, 'done-old', ago(6));
  await job(db, 'max:shop:100', 'done', ago(6), doneOld);
  await db.insertInto('skipped_updates').values({ event_id: doneOld, source: 'max:shop', kind: 'message_created', reason: 'group_chat', skipped_at_ms: ago(6) }).execute();
  await event(db, 'no-job-old', ago(6));
  await job(db, 'max:shop:101', 'done', ago(4), await event(db, 'done-recent', ago(4)));
  await job(db, 'max:shop:102', 'pending', ago(30), await event(db, 'pending-old', ago(6)));
  await job(db, 'max:shop:103', 'running', ago(30));
  await job(db, 'max:shop:104', 'dead', ago(8), await event(db, 'dead-purged', ago(6)));
  await job(db, 'max:shop:105', 'dead', ago(6), await event(db, 'dead-kept', ago(6)));

  // Hook events and their deliveries.
  await hookEvent(db, 'evt_delivered_old', ago(6));
  await delivery(db, 'evt_delivered_old', 'delivered', ago(6), 'done');
  await hookEvent(db, 'evt_pending_old', ago(6));
  await delivery(db, 'evt_pending_old', 'pending', ago(6), 'pending');
  await hookEvent(db, 'evt_replayable_old', ago(6));
  await delivery(db, 'evt_replayable_old', 'delivered', ago(6));
  await delivery(db, 'evt_replayable_old', 'failed', ago(6), 'dead', 'dwh');
  await hookEvent(db, 'evt_failed_old', ago(6));
  await delivery(db, 'evt_failed_old', 'failed', ago(8), 'dead');
  await hookEvent(db, 'evt_undelivered_old', ago(6));
  await hookEvent(db, 'evt_recent', ago(4));
  await delivery(db, 'evt_recent', 'delivered', ago(4));
  await hookEvent(db, 'evt_bridge_old', ago(6), null);
  await delivery(db, 'evt_bridge_old', 'delivered', ago(6), undefined, 'erp', null);
  // Of busy conversations: one delivered, one waiting for its place before its deliveries are queued.
  await hookEvent(db, 'evt_busy_delivered_old', ago(6), BUSY_MAX_JOB);
  await delivery(db, 'evt_busy_delivered_old', 'delivered', ago(6), undefined, 'erp', BUSY_MAX_JOB);
  await hookEvent(db, 'evt_busy_unreleased_old', ago(6), BUSY_OUTBOX);

  // Conversations, each with one old row of every kind.
  for (const id of CONVERSATIONS) {
    const updatedMs = id === RECENT ? ago(1) : ago(4);
    await db.insertInto('conversations').values({
      id, bot_id: 'shop', max_chat_id: id.slice('shop:'.length), max_user_id: '7', line_ref: 'main:1', state: 'active', source_json: null,
      bitrix_chat_id: '42', bitrix_session_id: null, profile_json: null, last_inbound_key: null, route_name: null, route_json: null, created_at_ms: ago(40), updated_at_ms: updatedMs,
    }).execute();
    const old = ago(4);
    for (const state of ['sent', 'rejected'] as const) {
      await db.insertInto('line_outbox').values({
        line_ref: 'main:1', conversation_id: id, method: 'send', message_key: `mid.${id}.${state}`, sort_key: '1', ts_ms: old, arrived_ms: old,
        item_json: '{}', state, result_json: null, tried_at_ms: null, created_at_ms: old, updated_at_ms: old,
      }).execute();
    }
    await db.insertInto('messages').values({ conversation_id: id, direction: 'in', max_mid: `mid.${id}.sent`, bitrix_message_id: null, state: 'delivered', created_at_ms: old, updated_at_ms: old }).execute();
    await db.insertInto('outbound_parts').values({ conversation_id: id, bitrix_message_id: `b.${id}`, part: 0, max_mid: `mid.out.${id}`, sent_at_ms: old }).execute();
    await db.insertInto('outbound_uploads').values({ conversation_id: id, bitrix_message_id: `b.${id}`, part: 0, attachment: '{}', created_at_ms: old }).execute();
    await db.insertInto('operator_notices').values({ bitrix_message_id: `n.${id}`, conversation_id: id, reason: 'bot_down:1', created_at_ms: old }).execute();
    await db.insertInto('client_notices').values({ conversation_id: id, reason: 'line_wait', max_mid: null, created_at_ms: old }).execute();
  }
  await job(db, conversationQueue(BUSY_MAX_JOB), 'pending', ago(4));
  await db.insertInto('line_outbox').values({
    line_ref: 'main:1', conversation_id: BUSY_OUTBOX, method: 'send', message_key: 'mid.waiting', sort_key: '2', ts_ms: ago(4), arrived_ms: ago(4),
    item_json: '{}', state: 'pending', result_json: null, tried_at_ms: null, created_at_ms: ago(4), updated_at_ms: ago(4),
  }).execute();
  await job(db, portalEventQueue('main', BUSY_B24_JOB), 'pending', ago(4), null, BITRIX24_EVENT_JOB);
  await db.insertInto('outbound_parts').values({ conversation_id: RECENT_PART, bitrix_message_id: 'b.new', part: 0, max_mid: 'mid.out.new', sent_at_ms: ago(1) }).execute();

  // The checks' verdicts and gates.
  for (const id of CONVERSATIONS) {
    await db.insertInto('check_verdicts').values({ conversation_id: id, check_name: 'antifraud', verdict: 'allow', source: 'answer', route: null, tags_json: null, note: null, event_id: null, at_ms: ago(4) }).execute();
  }
  await db.insertInto('check_verdicts').values({ conversation_id: RECENT, check_name: 'antifraud', verdict: 'hold', source: 'answer', route: null, tags_json: null, note: 'new', event_id: null, at_ms: ago(1) }).execute();
  for (const id of [IDLE, RECENT, conv('999')]) {
    await db.insertInto('conversation_gates').values({ conversation_id: id, verdict: 'hold', check_name: 'antifraud', note: null, replied: 0, since_ms: ago(4), updated_at_ms: ago(4) }).execute();
  }

  // Re-hosted files.
  const media = async (id: string, conversationId: ConversationId, createdMs: number, expiresMs: number) => db.insertInto('media').values({
    id, conversation_id: conversationId, name: `${id}.jpg`, mime: 'image/jpeg', size_bytes: 3, data: Buffer.from('abc'), created_at_ms: createdMs, expires_at_ms: expiresMs,
  }).execute();
  await media('old', RECENT, ago(3), NOW + DAY);
  await media('new', RECENT, ago(1), NOW + DAY);
  await media('expired', RECENT, ago(1), NOW - HOUR);
  await media('old-busy', BUSY_OUTBOX, ago(3), NOW + DAY);
  await media('expired-busy', BUSY_OUTBOX, ago(3), NOW - HOUR);
}

/** Every row's key per table, sorted: what survives, compared across runs. */
async function snapshot(store: Store) {
  const db = store.db;
  const keys = (rows: Array<Record<string, unknown>>) => rows.map((r) => Object.values(r).join('|')).sort();
  return {
    journal: keys(await db.selectFrom('journal').select('request_body').execute()),
    jobs: keys(await db.selectFrom('jobs').select(['conversation_key', 'state']).execute()),
    events: keys(await db.selectFrom('events').select('dedupe_key').execute()),
    skipped_updates: keys(await db.selectFrom('skipped_updates').select('reason').execute()),
    line_outbox: keys(await db.selectFrom('line_outbox').select(['conversation_id', 'message_key', 'state']).execute()),
    messages: keys(await db.selectFrom('messages').select('conversation_id').execute()),
    outbound_parts: keys(await db.selectFrom('outbound_parts').select(['conversation_id', 'bitrix_message_id']).execute()),
    outbound_uploads: keys(await db.selectFrom('outbound_uploads').select('conversation_id').execute()),
    operator_notices: keys(await db.selectFrom('operator_notices').select('conversation_id').execute()),
    client_notices: keys(await db.selectFrom('client_notices').select('conversation_id').execute()),
    media: keys(await db.selectFrom('media').select('id').execute()),
    conversations: keys(await db.selectFrom('conversations').select('id').execute()),
    hook_events: keys(await db.selectFrom('hook_events').select('id').execute()),
    hook_deliveries: keys(await db.selectFrom('hook_deliveries').select(['event_id', 'state']).execute()),
    check_verdicts: keys(await db.selectFrom('check_verdicts').select(['conversation_id', 'verdict']).execute()),
    conversation_gates: keys(await db.selectFrom('conversation_gates').select('conversation_id').execute()),
  };
}

for (const engine of testEngines()) {
  describe(`retention purge (${engine.name})`, () => {
    const open = async () => openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock(NOW) });
    let survivors: Awaited<ReturnType<typeof snapshot>> | null = null;

    test('the dry run changes nothing and counts what the purge then deletes: only old, finished rows of conversations with nothing left to do', async () => {
      const store = await open();
      try {
        await fill(store);
        const before = await snapshot(store);
        const plan = await store.retention.plan(CUTOFFS);
        assert.deepEqual(await snapshot(store), before, 'the dry run deleted nothing');
        assert.equal(await store.retention.eventsPurgedBeforeMs(), null, 'the dry run marks nothing');
        assert.deepEqual(plan, EXPECTED);
        const deleted = await store.retention.purge(CUTOFFS);
        assert.deepEqual(deleted, plan, 'the purge deleted what the dry run counted');
        const after = await snapshot(store);
        survivors = after;

        assert.deepEqual(after.journal, ['r1']);
        assert.deepEqual(after.jobs, [
          'b24:main:shop:4|pending', 'hook:dwh:shop:1|dead', 'hook:erp:shop:1|pending', 'max:shop:101|done', 'max:shop:102|pending', 'max:shop:103|running',
          'max:shop:105|dead', 'max:shop:2|pending',
        ], 'pending and running jobs stay whatever their age; done and dead ones go after their own days');
        assert.deepEqual(after.events, ['dead-kept', 'done-recent', 'pending-old'], 'events a pending job or a kept dead letter will read stay');
        assert.deepEqual(after.skipped_updates, []);
        for (const id of BUSY) {
          assert.deepEqual(after.messages.filter((m) => m === id), [id], `${id}: busy, its old rows stay`);
          assert.ok(after.outbound_parts.includes(`${id}|b.${id}`) && after.operator_notices.includes(id) && after.client_notices.includes(id) && after.outbound_uploads.includes(id), id);
          assert.ok(after.line_outbox.includes(`${id}|mid.${id}.sent|sent`), `${id}: its sent outbox row stays`);
          assert.ok(after.conversations.includes(id), `${id} stays`);
        }
        assert.ok(after.line_outbox.includes(`${BUSY_OUTBOX}|mid.waiting|pending`), 'a pending outbox item is never purged');
        assert.deepEqual(after.outbound_parts.filter((p) => p.startsWith(`${RECENT_PART}|`)), [`${RECENT_PART}|b.new`], 'the old part goes, the recent one stays');
        assert.deepEqual(after.conversations, [...BUSY, RECENT_PART, RECENT].sort(), 'only the idle conversation with nothing left goes');
        for (const id of [IDLE, RECENT_PART, RECENT]) assert.ok(!after.messages.includes(id) && !after.operator_notices.includes(id), `${id}: its old rows went`);
        assert.deepEqual(after.media, ['new', 'old-busy'], 'old and expired files go; a busy conversation keeps an old file still valid');
        assert.equal(await store.retention.eventsPurgedBeforeMs(), CUTOFFS.eventsBeforeMs, 'how far events were purged is recorded for the reconciliation');
        assert.deepEqual(after.hook_events, ['evt_busy_delivered_old', 'evt_busy_unreleased_old', 'evt_pending_old', 'evt_recent', 'evt_replayable_old'],
          'an event with a pending delivery, or a failed one its kept dead letter may replay, or of a busy conversation, stays whatever its age');
        assert.deepEqual(after.hook_deliveries, ['evt_busy_delivered_old|delivered', 'evt_pending_old|pending', 'evt_recent|delivered', 'evt_replayable_old|failed'],
          'a pending delivery, one a kept dead letter reads, one of a busy conversation and a recent one stay');
        assert.deepEqual(after.check_verdicts, [...BUSY.map((id) => `${id}|allow`), `${RECENT}|hold`].sort(), 'old verdicts go, but a busy conversation\'s; a recent one stays');
        assert.deepEqual(after.conversation_gates, [RECENT, conv('999')].sort(), 'the idle conversation\'s gate went with it; a gate of a conversation not yet created stays');

        assert.deepEqual(await store.retention.plan(CUTOFFS), Object.fromEntries(PURGE_TARGETS.map((t) => [t, 0])), 'nothing more to purge');
        await store.retention.purge({ ...CUTOFFS, eventsBeforeMs: ago(20) });
        assert.equal(await store.retention.eventsPurgedBeforeMs(), CUTOFFS.eventsBeforeMs, 'a purge with a longer retention does not move the mark back');
      } finally {
        await store.close();
      }
    });

    test('a purge in batches of two rows deletes the same, and the same rows survive', async () => {
      const store = await open();
      try {
        await fill(store);
        const progress: Record<string, number> = {};
        const deleted = await store.retention.purge(CUTOFFS, { batchRows: 2, onProgress: (target, rows) => {
          assert.ok(rows <= 2, `${target}: ${rows} rows in one batch`);
          progress[target] = (progress[target] ?? 0) + rows;
        } });
        assert.deepEqual(deleted, EXPECTED);
        assert.deepEqual(progress, Object.fromEntries(PURGE_TARGETS.flatMap((t) => (EXPECTED[t] > 0 ? [[t, EXPECTED[t]]] : []))), 'progress reports every row deleted');
        assert.ok(survivors, 'the first test ran');
        assert.deepEqual(await snapshot(store), survivors);
      } finally {
        await store.close();
      }
    });

    test('a purge stopped between batches keeps what it deleted and finishes the next time', async () => {
      const store = await open();
      try {
        await fill(store);
        const stop = new AbortController();
        await assert.rejects(store.retention.purge(CUTOFFS, { batchRows: 1, signal: stop.signal, onProgress: () => stop.abort(new Error('closing')) }), /closing/);
        const rest = await store.retention.plan(CUTOFFS);
        assert.equal(rest.journal, 0, 'the first batch was deleted');
        assert.deepEqual(await store.retention.purge(CUTOFFS), rest);
        assert.ok(survivors, 'the first test ran');
        assert.deepEqual(await snapshot(store), survivors);
      } finally {
        await store.close();
      }
    });
  });
}
