/**
 * Migrations, run at start. Written once with Kysely's schema builder; the only
 * dialect branches are the auto-increment id type and the lock: on PostgreSQL an
 * advisory lock serialises processes that start at once; on SQLite BEGIN IMMEDIATE.
 * Each migration is applied inside a transaction and recorded in
 * schema_migrations, so a rerun is a no-op.
 */
import { sql, type ColumnDefinitionBuilder, type Kysely, type Transaction } from 'kysely';
import type { Engine } from './db.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

interface Migration {
  id: number;
  name: string;
  up(db: Db, engine: Engine): Promise<void>;
}

/** Arbitrary constant: the advisory lock key for migrations. */
const MIGRATION_LOCK_KEY = 742_201_501;

function serialId(engine: Engine) {
  return engine === 'postgres' ? sql`bigserial` : sql`integer`;
}

function idColumn(engine: Engine) {
  return (c: ColumnDefinitionBuilder) => (engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
}

const initial: Migration = {
  id: 1,
  name: 'initial schema',
  async up(db, engine) {
    const s = db.schema;
    await s.createTable('bots').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_enc', 'text', (c) => c.notNull()).addColumn('webhook_secret_enc', 'text')
      .addColumn('updates_mode', 'text', (c) => c.notNull()).addColumn('poll_marker', 'text')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).execute();
    await s.createTable('portals').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('member_id', 'text', (c) => c.notNull().unique())
      .addColumn('domain', 'text', (c) => c.notNull()).addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('application_token_enc', 'text', (c) => c.notNull()).addColumn('access_token_enc', 'text')
      .addColumn('refresh_token_enc', 'text').addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('client_endpoint', 'text', (c) => c.notNull()).addColumn('server_endpoint', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull()).addColumn('updated_at_ms', 'bigint', (c) => c.notNull()).execute();
    await s.createTable('lines').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('portal_id', 'text', (c) => c.notNull())
      .addColumn('line_id', 'integer', (c) => c.notNull()).addColumn('connector_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull()).addColumn('paused_reason', 'text')
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull()).addUniqueConstraint('lines_portal_line_uq', ['portal_id', 'line_id']).execute();
    await s.createTable('routes').addColumn('id', serialId(engine), idColumn(engine)).addColumn('bot_id', 'text')
      .addColumn('line_ref', 'text', (c) => c.notNull()).addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('conditions_json', 'text', (c) => c.notNull()).addColumn('created_at_ms', 'bigint', (c) => c.notNull()).execute();
    await s.createTable('conversations').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('bot_id', 'text', (c) => c.notNull())
      .addColumn('max_chat_id', 'text', (c) => c.notNull()).addColumn('max_user_id', 'text')
      .addColumn('line_ref', 'text', (c) => c.notNull()).addColumn('state', 'text', (c) => c.notNull()).addColumn('source_json', 'text')
      .addColumn('bitrix_chat_id', 'text').addColumn('bitrix_session_id', 'text')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('conversations_bot_chat_uq', ['bot_id', 'max_chat_id']).execute();
    await s.createTable('messages').addColumn('id', serialId(engine), idColumn(engine))
      .addColumn('conversation_id', 'text', (c) => c.notNull()).addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('max_mid', 'text').addColumn('bitrix_message_id', 'text').addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('messages_max_mid_uq', ['conversation_id', 'direction', 'max_mid'])
      .addUniqueConstraint('messages_bitrix_id_uq', ['conversation_id', 'direction', 'bitrix_message_id']).execute();
    await s.createTable('events').addColumn('id', serialId(engine), idColumn(engine))
      .addColumn('source', 'text', (c) => c.notNull()).addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('dedupe_key', 'text', (c) => c.notNull()).addColumn('raw', 'text', (c) => c.notNull())
      .addColumn('received_at_ms', 'bigint', (c) => c.notNull()).addUniqueConstraint('events_dedupe_uq', ['source', 'dedupe_key']).execute();
    await createJobsAndRest(db, engine);
  },
};

async function createJobsAndRest(db: Db, engine: Engine): Promise<void> {
  const s = db.schema;
  await s.createTable('jobs').addColumn('id', serialId(engine), idColumn(engine))
    .addColumn('kind', 'text', (c) => c.notNull()).addColumn('conversation_key', 'text', (c) => c.notNull())
    .addColumn('resource_key', 'text').addColumn('payload', 'text', (c) => c.notNull()).addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull()).addColumn('run_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('locked_by', 'text').addColumn('lease_until_ms', 'bigint').addColumn('last_error_code', 'text')
    .addColumn('last_error', 'text').addColumn('last_response', 'text').addColumn('event_id', 'bigint')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).addColumn('updated_at_ms', 'bigint', (c) => c.notNull()).execute();
  await s.createIndex('jobs_state_run_idx').on('jobs').columns(['state', 'run_at_ms']).execute();
  await s.createIndex('jobs_conversation_idx').on('jobs').columns(['conversation_key', 'id']).execute();
  await s.createTable('journal').addColumn('id', serialId(engine), idColumn(engine))
    .addColumn('at_ms', 'bigint', (c) => c.notNull()).addColumn('side', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull()).addColumn('method', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull()).addColumn('status', 'integer').addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('request_body', 'text').addColumn('response_body', 'text').addColumn('error_code', 'text')
    .addColumn('bot_id', 'text').addColumn('portal_id', 'text').addColumn('conversation_id', 'text')
    .addColumn('message_id', 'text').addColumn('job_id', 'text').execute();
  await s.createIndex('journal_at_idx').on('journal').column('at_ms').execute();
  await s.createTable('leases').addColumn('resource', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull()).addColumn('expires_at_ms', 'bigint', (c) => c.notNull()).execute();
}

/**
 * Claims only look at unfinished jobs; done jobs pile up. Partial indexes keep
 * the claim's scan (lowest id) and its head-of-line check (same conversation,
 * lower id) proportional to the unfinished work, not to the history.
 */
const unfinishedJobIndexes: Migration = {
  id: 2,
  name: 'partial indexes on unfinished jobs',
  async up(db) {
    await db.schema.createIndex('jobs_unfinished_idx').on('jobs').column('id')
      .where(sql.ref('state'), 'in', ['pending', 'running']).execute();
    await db.schema.createIndex('jobs_unfinished_conversation_idx').on('jobs').columns(['conversation_key', 'id'])
      .where(sql.ref('state'), 'in', ['pending', 'running']).execute();
  },
};


/**
 * The line outbox: what the inbound pipeline has prepared for an Open Line,
 * waiting to be sent by the line's flush job, which coalesces several pending
 * items into one imconnector.*.messages call. One row per (conversation,
 * method, external message key): a retried job cannot queue an item twice.
 * Also the client's profile (avatar, profile link) cached on the conversation.
 */
const lineOutbox: Migration = {
  id: 3,
  name: 'line outbox, client profile, catch-up state',
  async up(db, engine) {
    await db.schema.createTable('line_outbox').addColumn('id', serialId(engine), idColumn(engine))
      .addColumn('line_ref', 'text', (c) => c.notNull()).addColumn('conversation_id', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull()).addColumn('message_key', 'text', (c) => c.notNull())
      .addColumn('sort_key', 'text', (c) => c.notNull())
      .addColumn('ts_ms', 'bigint', (c) => c.notNull()).addColumn('arrived_ms', 'bigint', (c) => c.notNull()).addColumn('item_json', 'text', (c) => c.notNull()).addColumn('state', 'text', (c) => c.notNull())
      .addColumn('result_json', 'text').addColumn('tried_at_ms', 'bigint').addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('line_outbox_item_unique', ['conversation_id', 'method', 'message_key']).execute();
    await db.schema.createIndex('line_outbox_pending_idx').on('line_outbox').columns(['line_ref', 'id'])
      .where(sql.ref('state'), '=', 'pending').execute();
    await db.schema.alterTable('conversations').addColumn('profile_json', 'text').execute();
    // The sort key of the latest client message queued for the line (catch-up after a restart).
    await db.schema.alterTable('conversations').addColumn('last_inbound_key', 'text').execute();
    // Small shared facts of the running bridge (e.g. when a process last started).
    await db.schema.createTable('bridge_meta').addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull()).addColumn('updated_at_ms', 'bigint', (c) => c.notNull()).execute();
  },
};

/**
 * Media re-hosted for Bitrix24: a client's file from MAX, downloaded at once
 * (MAX CDN links have no documented lifetime) and served by the bridge at a
 * signed, expiring URL until it expires.
 */
const media: Migration = {
  id: 4,
  name: 'media re-hosted for Bitrix24',
  async up(db, engine) {
    await db.schema.createTable('media').addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('conversation_id', 'text', (c) => c.notNull()).addColumn('name', 'text', (c) => c.notNull())
      .addColumn('mime', 'text', (c) => c.notNull()).addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('data', engine === 'postgres' ? sql`bytea` : sql`blob`, (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).addColumn('expires_at_ms', 'bigint', (c) => c.notNull()).execute();
    await db.schema.createIndex('media_expires_idx').on('media').column('expires_at_ms').execute();
  },
};

/**
 * Operator files uploaded to MAX but not yet sent: the attachment (its upload
 * token) per part of an operator message, so a job retried after
 * `attachment.not.ready` sends the same upload again instead of uploading anew
 * (a fresh upload would start MAX's processing over and never become ready).
 * Removed once the message is delivered; what a dead letter leaves is swept.
 */
const outboundUploads: Migration = {
  id: 5,
  name: 'operator files uploaded to MAX, awaiting send',
  async up(db) {
    await db.schema.createTable('outbound_uploads')
      .addColumn('conversation_id', 'text', (c) => c.notNull()).addColumn('bitrix_message_id', 'text', (c) => c.notNull())
      .addColumn('part', 'integer', (c) => c.notNull()).addColumn('attachment', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('outbound_uploads_pk', ['conversation_id', 'bitrix_message_id', 'part']).execute();
    await db.schema.createIndex('outbound_uploads_created_idx').on('outbound_uploads').column('created_at_ms').execute();
  },
};

/**
 * Outbound: each part of an operator message sent to MAX, recorded the moment
 * MAX accepts it (a retried job never sends a part twice), with the MAX mid for
 * edits, deletes and the delivery status; and our own notices to operators, so
 * one that comes back as an event is recognised (echo safety).
 */
const outboundParts: Migration = {
  id: 6,
  name: 'outbound parts and operator notices',
  async up(db, engine) {
    await db.schema.createTable('outbound_parts').addColumn('id', serialId(engine), idColumn(engine))
      .addColumn('conversation_id', 'text', (c) => c.notNull()).addColumn('bitrix_message_id', 'text', (c) => c.notNull())
      .addColumn('part', 'integer', (c) => c.notNull()).addColumn('max_mid', 'text')
      .addColumn('sent_at_ms', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('outbound_parts_unique', ['conversation_id', 'bitrix_message_id', 'part']).execute();
    await db.schema.createTable('operator_notices').addColumn('bitrix_message_id', 'text', (c) => c.primaryKey())
      .addColumn('conversation_id', 'text', (c) => c.notNull()).addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).execute();
  },
};

/**
 * MAX updates kept as events but not carried to a line on purpose — group chats and
 * channels (max.group_chats), what a first start in polling mode found older than
 * max.polling_backlog_max_age_ms — one row per event with the reason, so they can be
 * counted and listed (GET /admin/skipped-updates) and nothing is lost from the record.
 */
const skippedUpdates: Migration = {
  id: 7,
  name: 'updates stored but deliberately not carried to a line',
  async up(db) {
    await db.schema.createTable('skipped_updates').addColumn('event_id', 'bigint', (c) => c.primaryKey())
      .addColumn('source', 'text', (c) => c.notNull()).addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull()).addColumn('skipped_at_ms', 'bigint', (c) => c.notNull()).execute();
    await db.schema.createIndex('skipped_updates_reason_idx').on('skipped_updates').columns(['reason', 'skipped_at_ms']).execute();
  },
};

/**
 * Notices sent to clients in MAX on the company's behalf — "your message waits, the
 * company will answer as soon as …" — so each episode is told once (client-wait-notice.ts).
 */
const clientNotices: Migration = {
  id: 8,
  name: 'notices sent to clients while the line does not take their messages',
  async up(db, engine) {
    await db.schema.createTable('client_notices').addColumn('id', serialId(engine), idColumn(engine))
      .addColumn('conversation_id', 'text', (c) => c.notNull()).addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('max_mid', 'text').addColumn('created_at_ms', 'bigint', (c) => c.notNull()).execute();
    await db.schema.createIndex('client_notices_conversation_idx').on('client_notices').columns(['conversation_id', 'reason', 'created_at_ms']).execute();
  },
};

/**
 * Routing (src/bridge/router.ts): which route a conversation took and why, and whether it is
 * still bound to its line (its Open Lines session open) or routed afresh at its next message;
 * lines named by routes beside the portal's own line (`own` = 1: the line a new setup may replace).
 */
const routing: Migration = {
  id: 9,
  name: 'routes taken by conversations, lines named by routes',
  async up(db) {
    await db.schema.alterTable('conversations').addColumn('route_name', 'text').execute();
    await db.schema.alterTable('conversations').addColumn('route_json', 'text').execute();
    await db.schema.alterTable('conversations').addColumn('route_open', 'integer', (c) => c.notNull().defaultTo(1)).execute();
    await db.schema.alterTable('lines').addColumn('own', 'integer', (c) => c.notNull().defaultTo(1)).execute();
    await db.schema.createIndex('conversations_route_idx').on('conversations').columns(['route_name', 'line_ref']).execute();
    await db.schema.createIndex('conversations_open_idx').on('conversations').columns(['line_ref', 'route_open', 'state']).execute();
  },
};

/**
 * The journal searchable by client, chat and line (the rows of one call carrying several
 * conversations' messages name them all in `refs`), and the record of each erasure.
 */
const journalSearch: Migration = {
  id: 10,
  name: 'journal correlation columns, erasure records',
  async up(db, engine) {
    await db.schema.alterTable('journal').addColumn('max_user_id', 'text').execute();
    await db.schema.alterTable('journal').addColumn('max_chat_id', 'text').execute();
    await db.schema.alterTable('journal').addColumn('line_ref', 'text').execute();
    await db.schema.alterTable('journal').addColumn('refs', 'text').execute();
    await db.schema.createIndex('journal_conversation_idx').on('journal').columns(['conversation_id', 'at_ms']).execute();
    await db.schema.createIndex('journal_user_idx').on('journal').columns(['max_user_id', 'at_ms']).execute();
    await db.schema.createTable('erasures').addColumn('id', serialId(engine), idColumn(engine))
      .addColumn('at_ms', 'bigint', (c) => c.notNull()).addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('subject_hash', 'text', (c) => c.notNull()).addColumn('rows_json', 'text', (c) => c.notNull())
      .addColumn('rows_total', 'bigint', (c) => c.notNull()).execute();
  },
};

/**
 * Retention (src/store/repos/retention-repo.ts): each purge finds what is older than its
 * cutoff through an index on the time it is measured by, so a purge reads what it deletes
 * (plus what it must keep), never the whole history. Finished jobs and finished outbox rows
 * are indexed only once finished (partial indexes: the claim and the flush never see them,
 * and a job or an item costs one index entry more only when it finishes). Operator notices
 * get their conversation indexed too (`told` and the purge's "anything recent left" read it).
 */
const retentionIndexes: Migration = {
  id: 11,
  name: 'indexes for the retention purge',
  async up(db) {
    const s = db.schema;
    await s.createIndex('events_received_idx').on('events').columns(['received_at_ms', 'id']).execute();
    await s.createIndex('jobs_finished_idx').on('jobs').columns(['state', 'updated_at_ms'])
      .where(sql.ref('state'), 'in', ['done', 'dead']).execute();
    await s.createIndex('line_outbox_finished_idx').on('line_outbox').column('updated_at_ms')
      .where(sql.ref('state'), 'in', ['sent', 'rejected']).execute();
    await s.createIndex('messages_updated_idx').on('messages').column('updated_at_ms').execute();
    await s.createIndex('outbound_parts_sent_idx').on('outbound_parts').column('sent_at_ms').execute();
    await s.createIndex('operator_notices_created_idx').on('operator_notices').column('created_at_ms').execute();
    await s.createIndex('operator_notices_conversation_idx').on('operator_notices').columns(['conversation_id', 'created_at_ms']).execute();
    await s.createIndex('client_notices_created_idx').on('client_notices').column('created_at_ms').execute();
    await s.createIndex('media_created_idx').on('media').column('created_at_ms').execute();
    await s.createIndex('conversations_updated_idx').on('conversations').column('updated_at_ms').execute();
  },
};

/** What the bridge did in the CRM per conversation session (src/store/repos/crm-link-repo.ts). */
const crmLinks: Migration = {
  id: 12,
  name: 'CRM bindings of conversation sessions',
  async up(db) {
    await db.schema.createTable('crm_links')
      .addColumn('conversation_id', 'text', (c) => c.notNull()).addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('portal_id', 'text', (c) => c.notNull()).addColumn('max_user_id', 'text')
      .addColumn('mode', 'text', (c) => c.notNull()).addColumn('state', 'text', (c) => c.notNull())
      .addColumn('lead_id', 'bigint').addColumn('contact_id', 'bigint').addColumn('deal_id', 'bigint')
      .addColumn('how', 'text').addColumn('source_json', 'text')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('crm_links_pk', ['conversation_id', 'session_id']).execute();
    await db.schema.createIndex('crm_links_client_idx').on('crm_links').columns(['portal_id', 'max_user_id', 'updated_at_ms']).execute();
    await db.schema.createIndex('crm_links_lead_idx').on('crm_links').columns(['portal_id', 'lead_id']).execute();
    await db.schema.alterTable('conversations').addColumn('client_phone', 'text').execute();
  },
};

/** Hooks (docs/hooks.md): events for the webhooks, their deliveries, the checks' verdicts and the conversations they hold or block. */
const hooks: Migration = {
  id: 13,
  name: 'hook events, webhook deliveries, check verdicts',
  async up(db, engine) {
    const s = db.schema;
    await s.createTable('hook_events')
      .addColumn('id', 'text', (c) => c.primaryKey()).addColumn('type', 'text', (c) => c.notNull())
      .addColumn('conversation_id', 'text').addColumn('at_ms', 'bigint', (c) => c.notNull()).addColumn('data_json', 'text', (c) => c.notNull())
      .execute();
    await s.createIndex('hook_events_at_idx').on('hook_events').column('at_ms').execute();
    await s.createIndex('hook_events_conversation_idx').on('hook_events').columns(['conversation_id', 'at_ms']).execute();
    await s.createTable('hook_deliveries').addColumn('id', serialId(engine), idColumn(engine))
      .addColumn('webhook', 'text', (c) => c.notNull()).addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull()).addColumn('conversation_id', 'text')
      .addColumn('state', 'text', (c) => c.notNull()).addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_status', 'integer').addColumn('last_error', 'text').addColumn('last_duration_ms', 'integer')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at_ms', 'bigint')
      .addUniqueConstraint('hook_deliveries_once', ['webhook', 'event_id']).execute();
    await s.createIndex('hook_deliveries_log_idx').on('hook_deliveries').columns(['webhook', 'id']).execute();
    await s.createIndex('hook_deliveries_created_idx').on('hook_deliveries').column('created_at_ms').execute();
    await s.createTable('check_verdicts').addColumn('id', serialId(engine), idColumn(engine))
      .addColumn('conversation_id', 'text', (c) => c.notNull()).addColumn('check_name', 'text', (c) => c.notNull())
      .addColumn('verdict', 'text', (c) => c.notNull()).addColumn('source', 'text', (c) => c.notNull())
      .addColumn('route', 'text').addColumn('tags_json', 'text').addColumn('note', 'text')
      .addColumn('event_id', 'bigint').addColumn('at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await s.createIndex('check_verdicts_conversation_idx').on('check_verdicts').columns(['conversation_id', 'id']).execute();
    await s.createIndex('check_verdicts_at_idx').on('check_verdicts').column('at_ms').execute();
    await s.createTable('conversation_gates')
      .addColumn('conversation_id', 'text', (c) => c.primaryKey()).addColumn('verdict', 'text', (c) => c.notNull())
      .addColumn('check_name', 'text', (c) => c.notNull()).addColumn('note', 'text')
      .addColumn('replied', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('since_ms', 'bigint', (c) => c.notNull()).addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await s.alterTable('conversations').addColumn('tags_json', 'text').execute();
  },
};

/** An event's deliveries by the event: the erasure finds them from the client's events, the purge keeps an event while one is left. */
const hookDeliveryEventIndex: Migration = {
  id: 14,
  name: 'index of hook deliveries by event',
  async up(db) {
    await db.schema.createIndex('hook_deliveries_event_idx').on('hook_deliveries').column('event_id').execute();
  },
};

/**
 * Exports for a DWH (src/store/repos/export-repo.ts) read conversations and messages of a time
 * range a page at a time, in (created_at_ms, id) order: the index finds where the range starts
 * and each page's place, instead of a scan of the whole table per page.
 */
const exportTimeIndexes: Migration = {
  id: 15,
  name: 'conversations and messages by creation time, for exports',
  async up(db) {
    await db.schema.createIndex('messages_created_idx').on('messages').columns(['created_at_ms', 'id']).execute();
    await db.schema.createIndex('conversations_created_idx').on('conversations').columns(['created_at_ms', 'id']).execute();
  },
};

/**
 * The admin web UI's people (src/admin/): named users with a role, their scrypt password
 * hashes and failed-login counts (lock-out), and their sessions (the cookie's token is kept
 * only as its SHA-256, so a copy of the database opens no session).
 */
const adminUsers: Migration = {
  id: 16,
  name: 'admin users and sessions',
  async up(db) {
    const s = db.schema;
    await s.createTable('admin_users').addColumn('username', 'text', (c) => c.primaryKey())
      .addColumn('role', 'text', (c) => c.notNull()).addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0)).addColumn('locked_until_ms', 'bigint')
      .addColumn('last_login_ms', 'bigint')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).addColumn('updated_at_ms', 'bigint', (c) => c.notNull()).execute();
    await s.createTable('admin_sessions').addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull()).addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull()).addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_ms', 'bigint', (c) => c.notNull()).execute();
    await s.createIndex('admin_sessions_user_idx').on('admin_sessions').column('username').execute();
  },
};

/**
 * Analytics (src/analytics/): who wrote each operator message sent to MAX (the Bitrix24 user id
 * and the name from the line's signature; `actor` 'system' for the line's own messages, which are
 * not answers). A period is read by `outbound_parts_sent_idx` (migration 11).
 */
const replyAuthors: Migration = {
  id: 17,
  name: 'operator of each sent reply, for analytics',
  async up(db) {
    await db.schema.alterTable('outbound_parts').addColumn('actor', 'text').execute();
    await db.schema.alterTable('outbound_parts').addColumn('operator_id', 'text').execute();
    await db.schema.alterTable('outbound_parts').addColumn('operator_name', 'text').execute();
  },
};

export const MIGRATIONS: Migration[] = [
  initial, unfinishedJobIndexes, lineOutbox, media, outboundUploads, outboundParts, skippedUpdates, clientNotices, routing, journalSearch, retentionIndexes, crmLinks, hooks,
  hookDeliveryEventIndex, exportTimeIndexes, adminUsers, replyAuthors,
];

async function applyPending(db: Db, engine: Engine, nowMs: number): Promise<number> {
  await db.schema.createTable('schema_migrations').ifNotExists().addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull()).addColumn('applied_at_ms', 'bigint', (c) => c.notNull()).execute();
  const done = new Set((await db.selectFrom('schema_migrations').select('id').execute()).map((r) => Number(r.id)));
  let applied = 0;
  for (const m of MIGRATIONS) {
    if (done.has(m.id)) continue;
    await m.up(db, engine);
    await db.insertInto('schema_migrations').values({ id: m.id, name: m.name, applied_at_ms: nowMs }).execute();
    applied++;
  }
  return applied;
}

/** Applies pending migrations; returns how many ran. Safe with several processes starting at once. */
export async function migrate(db: Kysely<Database>, engine: Engine, nowMs: number): Promise<number> {
  if (engine === 'sqlite') {
    // BEGIN IMMEDIATE takes the write lock up front, so a second process starting at
    // once (the bridge and `npm run dead-letters`) waits on busy_timeout; a deferred
    // transaction would fail with "database is locked" when upgrading its read lock.
    return db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const applied = await applyPending(conn, engine, nowMs);
        await sql`commit`.execute(conn);
        return applied;
      } catch (err) {
        await sql`rollback`.execute(conn);
        throw err;
      }
    });
  }
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
    return applyPending(trx, engine, nowMs);
  });
}
