/**
 * The tables, as Kysely sees them. One schema for SQLite and PostgreSQL
 * (migrations in migrations.ts). Times are Unix milliseconds in BIGINT columns;
 * ids that may exceed 2^53 (MAX seq) are never stored as numbers — raw event
 * text keeps them intact.
 */
import type { Generated } from 'kysely';

export type JobState = 'pending' | 'running' | 'done' | 'dead';

export interface BotsTable {
  id: string;
  name: string;
  token_enc: string;
  webhook_secret_enc: string | null;
  updates_mode: 'webhook' | 'polling';
  /** Long polling: last marker durably processed (text: it is an int64). */
  poll_marker: string | null;
  created_at_ms: number;
}

export interface PortalsTable {
  id: string;
  member_id: string;
  domain: string;
  client_id: string;
  application_token_enc: string;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  expires_at_ms: number;
  client_endpoint: string;
  server_endpoint: string;
  status: 'active' | 'uninstalled';
  updated_at_ms: number;
}

export interface LinesTable {
  id: string;
  portal_id: string;
  line_id: number;
  connector_id: string;
  state: 'active' | 'paused';
  paused_reason: string | null;
  updated_at_ms: number;
  /** 1: the portal's own line (configured on the portal, or the "MAX" line found or created); 0: a line named by a route. */
  own: Generated<number>;
}

export interface RoutesTable {
  id: Generated<number>;
  /** Null: any bot. */
  bot_id: string | null;
  line_ref: string;
  priority: number;
  conditions_json: string;
  created_at_ms: number;
}

export interface ConversationsTable {
  id: string;
  bot_id: string;
  max_chat_id: string;
  max_user_id: string | null;
  line_ref: string;
  state: 'active' | 'blocked';
  source_json: string | null;
  bitrix_chat_id: string | null;
  bitrix_session_id: string | null;
  /** The client's profile for the line (avatar, profile link), read once from MAX. */
  profile_json: string | null;
  /** Sort key (MAX time, seq) of the latest client message queued for the line. */
  last_inbound_key: string | null;
  /** The route that sent it to its line (null: routed before routes had names). */
  route_name: string | null;
  /** Why: the decision (src/bridge/router.ts, RouteRecord) as JSON. */
  route_json: string | null;
  /** 1: bound to its line; 0: its Open Lines session closed, the next message is routed afresh. */
  route_open: Generated<number>;
  /** The phone the client shared as their own (a MAX contact), for CRM matching; null when none. */
  client_phone: string | null;
  /** Tags a check gave (a JSON list), shown to the operator and matched by routes' `when.tags`. */
  tags_json: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface MessagesTable {
  id: Generated<number>;
  conversation_id: string;
  direction: 'in' | 'out';
  max_mid: string | null;
  bitrix_message_id: string | null;
  state: string;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface MediaTable {
  id: string;
  conversation_id: string;
  name: string;
  mime: string;
  size_bytes: number;
  data: Uint8Array;
  created_at_ms: number;
  expires_at_ms: number;
}

export interface OutboundPartsTable {
  id: Generated<number>;
  conversation_id: string;
  bitrix_message_id: string;
  part: number;
  max_mid: string | null;
  sent_at_ms: number;
  /** 'operator' or 'system' (the line's own message); null on parts sent before migration 17. */
  actor: string | null;
  /** The Bitrix24 user who wrote it, and the name from the line's signature, when known. */
  operator_id: string | null;
  operator_name: string | null;
}

/** A person of the admin web UI (src/admin/). */
export interface AdminUsersTable {
  username: string;
  role: 'admin' | 'viewer';
  /** `scrypt$N$r$p$<salt b64>$<hash b64>` (src/admin/password.ts). */
  password_hash: string;
  failed_logins: number;
  locked_until_ms: number | null;
  last_login_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** A signed-in admin UI session: the cookie's token is kept as its SHA-256 (hex). */
export interface AdminSessionsTable {
  token_hash: string;
  username: string;
  /** The session's CSRF token, sent back by every form and POST of the UI. */
  csrf_token: string;
  created_at_ms: number;
  expires_at_ms: number;
  last_seen_ms: number;
}

/** An operator file uploaded to MAX, kept until its part is sent (retries reuse the upload). */
export interface OutboundUploadsTable {
  conversation_id: string;
  bitrix_message_id: string;
  part: number;
  /** The MAX attachment JSON ({type, payload}). */
  attachment: string;
  created_at_ms: number;
}

export interface OperatorNoticesTable {
  bitrix_message_id: string;
  conversation_id: string;
  reason: string;
  created_at_ms: number;
}

/** Notices the bridge sent a client in MAX on the company's behalf (e.g. the line has not taken their messages for a while). */
export interface ClientNoticesTable {
  id: Generated<number>;
  conversation_id: string;
  /** 'line_wait' (src/bridge/client-wait-notice.ts). */
  reason: string;
  /** The id MAX gave the notice (null when it gave none). */
  max_mid: string | null;
  created_at_ms: number;
}

/** MAX updates stored as events but deliberately not carried to a line (group chats, channels, a polling backlog). */
export interface SkippedUpdatesTable {
  event_id: number;
  source: string;
  kind: string;
  /** 'group_chat' | 'channel' | 'group_or_channel' | 'polling_backlog' (src/store/repos/skipped-update-repo.ts). */
  reason: string;
  skipped_at_ms: number;
}

export interface BridgeMetaTable {
  key: string;
  value: string;
  updated_at_ms: number;
}

export interface LineOutboxTable {
  id: Generated<number>;
  /** '<portalId>:<lineId>' */
  line_ref: string;
  conversation_id: string;
  /** 'send' | 'update' | 'delete' | 'chat_name' */
  method: string;
  /** The external message id (or another key unique within the conversation and method). */
  message_key: string;
  /** Order within the conversation: MAX timestamp (ms) then seq, zero-padded; webhooks may arrive out of order. */
  sort_key: string;
  /** MAX's time of the update, and when the bridge received it: their difference is the delivery delay. */
  ts_ms: number;
  arrived_ms: number;
  item_json: string;
  state: 'pending' | 'sent' | 'rejected';
  result_json: string | null;
  /** Set just before a send is attempted: a row still pending with it set may have reached Bitrix24. */
  tried_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface EventsTable {
  id: Generated<number>;
  source: string;
  kind: string;
  dedupe_key: string;
  raw: string;
  received_at_ms: number;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  /** Jobs with the same key run strictly one after another, in id order. */
  conversation_key: string;
  /** Rate-limited resource the job uses ('portal:<id>', 'bot:<id>'); with several processes one holds it at a time. */
  resource_key: string | null;
  payload: string;
  state: JobState;
  attempts: number;
  run_at_ms: number;
  locked_by: string | null;
  lease_until_ms: number | null;
  last_error_code: string | null;
  last_error: string | null;
  last_response: string | null;
  event_id: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface JournalTable {
  id: Generated<number>;
  at_ms: number;
  side: string;
  direction: string;
  method: string;
  endpoint: string;
  status: number | null;
  duration_ms: number;
  request_body: string | null;
  response_body: string | null;
  error_code: string | null;
  bot_id: string | null;
  portal_id: string | null;
  conversation_id: string | null;
  message_id: string | null;
  job_id: string | null;
  /** The client (MAX user id) and MAX chat the exchange was about, when known. */
  max_user_id: string | null;
  max_chat_id: string | null;
  /** '<portalId>:<lineId>' */
  line_ref: string | null;
  /** A call carrying several conversations' messages: ` <conversationId>#<messageId> …` (leading and trailing space), else null. */
  refs: string | null;
}

/** One erasure of a client's data (no personal data: the client's id is kept only as a keyed hash). */
export interface ErasuresTable {
  id: Generated<number>;
  at_ms: number;
  /** Who asked: the admin API's caller or the CLI's user (as given with --by). */
  requested_by: string;
  subject_hash: string;
  /** Rows deleted or anonymised, per table. */
  rows_json: string;
  rows_total: number;
}

/**
 * What the bridge did in the CRM for one Open Lines session of a conversation (src/bridge/crm-sync.ts):
 * the objects it bound, how, and whether the binding was confirmed.
 */
export interface CrmLinksTable {
  conversation_id: string;
  /** The Open Lines session (`session.ID` of the send that opened it). */
  session_id: string;
  portal_id: string;
  max_user_id: string | null;
  /** The route's CRM mode when the session was bound (line, lead, contact_deal). */
  mode: string;
  /** pending → bound (confirmed), or failed (gave up: a dead letter says why). */
  state: 'pending' | 'bound' | 'failed';
  lead_id: number | null;
  contact_id: number | null;
  deal_id: number | null;
  /** How: created, continued (an open lead), attached (an open deal), line (the line's tracker made it). */
  how: string | null;
  /** The source written (SOURCE_ID, UTM_*), JSON; null when the conversation had none. */
  source_json: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** An event for the webhooks (src/hooks/): written once, with the fact it tells, in the same transaction. */
export interface HookEventsTable {
  /** `evt_…`: unique, the receiver's dedupe key (X-Bridge-Event-Id). */
  id: string;
  type: string;
  conversation_id: string | null;
  at_ms: number;
  data_json: string;
}

/** One event's delivery to one webhook: the delivery log (state pending → delivered | failed). */
export interface HookDeliveriesTable {
  id: Generated<number>;
  webhook: string;
  event_id: string;
  event_type: string;
  conversation_id: string | null;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** The receiver's HTTP status of the last attempt (null: no answer). */
  last_status: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
  delivered_at_ms: number | null;
}

/** A check's verdict on a conversation (src/hooks/checks.ts): every one is kept. */
export interface CheckVerdictsTable {
  id: Generated<number>;
  conversation_id: string;
  check_name: string;
  verdict: 'allow' | 'hold' | 'block';
  /** `answer` (the check's own), `timeout` or `error` (its on_error applied), `admin` (released or blocked by hand). */
  source: 'answer' | 'timeout' | 'error' | 'admin';
  route: string | null;
  tags_json: string | null;
  note: string | null;
  event_id: number | null;
  at_ms: number;
}

/** A conversation a check holds for review or blocks (keyed by its id even before it is routed). */
export interface ConversationGatesTable {
  conversation_id: string;
  verdict: 'hold' | 'block';
  check_name: string;
  note: string | null;
  /** 1 once the client was told (block_reply / hold_reply). */
  replied: Generated<number>;
  since_ms: number;
  updated_at_ms: number;
}

export interface LeasesTable {
  resource: string;
  holder: string;
  expires_at_ms: number;
}

export interface MigrationsTable {
  id: number;
  name: string;
  applied_at_ms: number;
}

export interface Database {
  bots: BotsTable;
  portals: PortalsTable;
  lines: LinesTable;
  routes: RoutesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  line_outbox: LineOutboxTable;
  bridge_meta: BridgeMetaTable;
  outbound_parts: OutboundPartsTable;
  admin_users: AdminUsersTable;
  admin_sessions: AdminSessionsTable;
  outbound_uploads: OutboundUploadsTable;
  media: MediaTable;
  operator_notices: OperatorNoticesTable;
  client_notices: ClientNoticesTable;
  skipped_updates: SkippedUpdatesTable;
  events: EventsTable;
  jobs: JobsTable;
  journal: JournalTable;
  erasures: ErasuresTable;
  crm_links: CrmLinksTable;
  hook_events: HookEventsTable;
  hook_deliveries: HookDeliveriesTable;
  check_verdicts: CheckVerdictsTable;
  conversation_gates: ConversationGatesTable;
  leases: LeasesTable;
  schema_migrations: MigrationsTable;
}
