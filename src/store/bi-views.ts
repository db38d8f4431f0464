/**
 * SQL views for BI tools that read the bridge's database directly (docs/exports.md, "SQL
 * views"): `bi_conversations`, `bi_messages`, `bi_journal`, version 1. Their names and
 * columns are a promise: within version 1 columns are only ever added at the end, never
 * renamed, retyped or removed; a change that breaks that would come as new views
 * (`bi_*_v2`) beside these.
 *
 * Personal data follows the `privacy` policy, as far as SQL can follow it. A view cannot run
 * the keyed HMAC of `hashed` (the key must not be in the database), nor the journal's search
 * for phones, emails and names inside a text. So a personal column is:
 * - `client_phone`: the phone (`none`), the shape `maskPhone` gives (`masked`:
 *   `+7 *** ***-**-67`, the same text, built in SQL), or NULL (`hashed`, `drop`);
 * - `text` (a client's message as the line got it): the text only when `text`, `phone`,
 *   `email` and `name` are all `none` (nothing would be masked inside it), `[text: N chars]`
 *   when `text` is `masked`, NULL otherwise — where the journal would keep the text with the
 *   phones in it masked, the view gives nothing rather than the phones;
 * - `start_payload` (the deep link): kept when `phone` and `email` are `none` or when it is
 *   made only of letters, digits and `_` (then no masking could change it), NULL otherwise.
 * Operators' texts are not in the views at all (they live in the stored Bitrix24 events,
 * form-encoded); they, hashed values and the masked texts are in the file exports.
 * Journal bodies are shown as written: they were masked when the row was written.
 *
 * A migration cannot know the policy, so the views are replaced from the configuration in
 * force: when the bridge starts (src/http/plugins/admin-export.ts) and by
 * `npm run bridge -- export views`. Replacing keeps each view's columns, so a BI tool's own
 * views built on these stay valid (PostgreSQL's CREATE OR REPLACE keeps dependants).
 */
import { sql, type Expression, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { maskPhone, type MaskingPolicy } from '../journal/masking.ts';
import type { Engine } from './db.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const BI_VIEWS_VERSION = 1;

/** The views' columns, in order (docs/exports.md lists them; a test compares the two). */
export const BI_VIEW_COLUMNS = {
  bi_conversations: [
    'id', 'bot_id', 'max_chat_id', 'max_user_id', 'portal_id', 'line_id', 'state', 'route', 'route_open', 'start_payload', 'tags',
    'client_phone', 'bitrix_chat_id', 'bitrix_session_id', 'created_at', 'created_at_ms', 'updated_at', 'updated_at_ms',
  ],
  bi_messages: [
    'direction', 'row_id', 'conversation_id', 'bot_id', 'max_chat_id', 'max_user_id', 'portal_id', 'line_id', 'route', 'max_mid',
    'bitrix_message_id', 'part', 'state', 'created_at', 'created_at_ms', 'updated_at_ms', 'text',
  ],
  bi_journal: [
    'id', 'at', 'at_ms', 'side', 'direction', 'method', 'endpoint', 'status', 'duration_ms', 'error_code', 'bot_id', 'portal_id',
    'line_id', 'conversation_id', 'message_id', 'job_id', 'max_user_id', 'max_chat_id', 'refs', 'request_body', 'response_body',
  ],
} as const;

export type BiViewName = keyof typeof BI_VIEW_COLUMNS;
export const BI_VIEW_NAMES = Object.keys(BI_VIEW_COLUMNS) as BiViewName[];

/** Arbitrary constant: the advisory lock under which PostgreSQL processes starting at once replace the views one at a time. */
const VIEWS_LOCK_KEY = 742_201_518;

/**
 * The E.164 country codes of two digits, as maskPhone knows them: read from maskPhone itself
 * (a 10-digit number under each two-digit prefix), so the SQL shape and the journal's cannot
 * drift apart.
 */
function twoDigitCountryCodes(): string[] {
  const codes: string[] = [];
  for (let prefix = 10; prefix <= 99; prefix++) {
    if (maskPhone(`+${prefix}00000000`).startsWith(`+${prefix} `)) codes.push(String(prefix));
  }
  return codes;
}

const text = (e: Expression<unknown>) => sql<string | null>`cast(${e} as text)`;
const nullText = sql<string | null>`cast(null as text)`;

/** What stands before the first `:` of an id (`<portal>:<line>`, `<bot>:<chat>`: the first part never has one, src/domain/ids.ts). */
function beforeColon(engine: Engine, column: string): RawBuilder<string | null> {
  const ref = sql.ref(column);
  return engine === 'postgres' ? sql`nullif(split_part(${ref}, ':', 1), '')` : sql`nullif(substr(${ref}, 1, instr(${ref}, ':') - 1), '')`;
}

/** What stands after the first `:`. */
function afterColon(engine: Engine, column: string): RawBuilder<string | null> {
  const ref = sql.ref(column);
  return engine === 'postgres'
    ? sql`(case when strpos(${ref}, ':') > 0 then nullif(substr(${ref}, strpos(${ref}, ':') + 1), '') end)`
    : sql`(case when instr(${ref}, ':') > 0 then nullif(substr(${ref}, instr(${ref}, ':') + 1), '') end)`;
}

function lineIdOf(engine: Engine, lineRef: string): RawBuilder<number | null> {
  return sql`cast(${afterColon(engine, lineRef)} as ${sql.raw(engine === 'postgres' ? 'bigint' : 'integer')})`;
}

/** A time in ms as a timestamp: `timestamptz` on PostgreSQL, ISO 8601 UTC text on SQLite (what its date functions read). */
function timestampOf(engine: Engine, ms: string): RawBuilder<unknown> {
  const ref = sql.ref(ms);
  return engine === 'postgres' ? sql`to_timestamp(${ref} / 1000.0)` : sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${ref} / 1000.0, 'unixepoch')`;
}

/** A string member of a JSON text column. */
function jsonText(engine: Engine, column: string, path: readonly string[]): RawBuilder<string | null> {
  const ref = sql.ref(column);
  return engine === 'postgres'
    ? sql`(cast(${ref} as jsonb) #>> ${sql.lit(`{${path.join(',')}}`)})`
    : sql`cast(json_extract(${ref}, ${sql.lit(`$.${path.join('.')}`)}) as text)`;
}

/** `client_phone` by the `phone` mode: as stored (`+` and 10–15 digits, crm/client-phone.ts), maskPhone's shape, or NULL. */
function phoneColumn(policy: MaskingPolicy, column: string): RawBuilder<string | null> {
  if (policy.phone === 'none') return text(sql.ref(column));
  if (policy.phone !== 'masked') return nullText;
  const stored = sql`replace(${sql.ref(column)}, '+', '')`;
  // maskPhone reads an 11-digit number starting with 8 as a Russian one (+7).
  const digits = sql`(case when length(${stored}) = 11 and substr(${stored}, 1, 1) = '8' then '7' || substr(${stored}, 2) else ${stored} end)`;
  const last2 = sql`substr(${digits}, length(${digits}) - 1, 2)`;
  const twoDigit = sql.join(twoDigitCountryCodes().map((c) => sql.lit(c)));
  const country = sql`(case when substr(${digits}, 1, 1) in ('1', '7') then substr(${digits}, 1, 1) when substr(${digits}, 1, 2) in (${twoDigit}) then substr(${digits}, 1, 2) else substr(${digits}, 1, 3) end)`;
  return sql`(case when ${sql.ref(column)} is null then null when length(${digits}) < 5 then '***'
    when length(${digits}) < 10 then '***-**-' || ${last2} else '+' || ${country} || ' *** ***-**-' || ${last2} end)`;
}

/** A client's text by the policy: see the header (only what no masking would change, or the `masked` shape). */
function textColumn(policy: MaskingPolicy, value: RawBuilder<string | null>): RawBuilder<string | null> {
  if (policy.text === 'none' && policy.phone === 'none' && policy.email === 'none' && policy.name === 'none') return value;
  if (policy.text === 'masked') return sql`(case when ${value} is null then null else '[text: ' || cast(length(${value}) as text) || ' chars]' end)`;
  return nullText;
}

/** The deep-link payload: kept when no masking could change it. */
function payloadColumn(engine: Engine, policy: MaskingPolicy, value: RawBuilder<string | null>): RawBuilder<string | null> {
  if (policy.phone === 'none' && policy.email === 'none') return value;
  const plain = engine === 'postgres' ? sql`${value} !~ '[^A-Za-z0-9_]'` : sql`${value} not glob '*[^A-Za-z0-9_]*'`;
  return sql`(case when ${plain} then ${value} else null end)`;
}

function conversationsQuery(db: Db, engine: Engine, policy: MaskingPolicy) {
  return db.selectFrom('conversations as c').select([
    'c.id', 'c.bot_id', 'c.max_chat_id', 'c.max_user_id', beforeColon(engine, 'c.line_ref').as('portal_id'), lineIdOf(engine, 'c.line_ref').as('line_id'),
    'c.state', 'c.route_name as route', 'c.route_open', payloadColumn(engine, policy, jsonText(engine, 'c.source_json', ['payload'])).as('start_payload'),
    'c.tags_json as tags', phoneColumn(policy, 'c.client_phone').as('client_phone'), 'c.bitrix_chat_id', 'c.bitrix_session_id',
    timestampOf(engine, 'c.created_at_ms').as('created_at'), 'c.created_at_ms', timestampOf(engine, 'c.updated_at_ms').as('updated_at'), 'c.updated_at_ms',
  ]);
}

function messagesQuery(db: Db, engine: Engine, policy: MaskingPolicy) {
  const inbound = db.selectFrom('messages as m')
    .leftJoin('conversations as c', 'c.id', 'm.conversation_id')
    .leftJoin('line_outbox as o', (join) => join.onRef('o.conversation_id', '=', 'm.conversation_id').on('o.method', '=', 'send').onRef('o.message_key', '=', 'm.max_mid'))
    .where('m.direction', '=', 'in')
    .select([
      sql<string>`'in'`.as('direction'), 'm.id as row_id', 'm.conversation_id', beforeColon(engine, 'm.conversation_id').as('bot_id'), afterColon(engine, 'm.conversation_id').as('max_chat_id'), 'c.max_user_id',
      beforeColon(engine, 'c.line_ref').as('portal_id'), lineIdOf(engine, 'c.line_ref').as('line_id'), 'c.route_name as route', 'm.max_mid',
      'm.bitrix_message_id', sql<number | null>`cast(null as integer)`.as('part'), 'm.state', timestampOf(engine, 'm.created_at_ms').as('created_at'),
      'm.created_at_ms', 'm.updated_at_ms', textColumn(policy, jsonText(engine, 'o.item_json', ['message', 'text'])).as('text'),
    ]);
  const outbound = db.selectFrom('outbound_parts as p')
    .leftJoin('conversations as c', 'c.id', 'p.conversation_id')
    .select([
      sql<string>`'out'`.as('direction'), 'p.id as row_id', 'p.conversation_id', beforeColon(engine, 'p.conversation_id').as('bot_id'), afterColon(engine, 'p.conversation_id').as('max_chat_id'), 'c.max_user_id',
      beforeColon(engine, 'c.line_ref').as('portal_id'), lineIdOf(engine, 'c.line_ref').as('line_id'), 'c.route_name as route', 'p.max_mid',
      'p.bitrix_message_id', sql<number | null>`cast(p.part as integer)`.as('part'), sql<string>`'sent'`.as('state'), timestampOf(engine, 'p.sent_at_ms').as('created_at'),
      'p.sent_at_ms as created_at_ms', 'p.sent_at_ms as updated_at_ms', nullText.as('text'),
    ]);
  return inbound.unionAll(outbound as never);
}

function journalQuery(db: Db, engine: Engine) {
  return db.selectFrom('journal as j').select([
    'j.id', timestampOf(engine, 'j.at_ms').as('at'), 'j.at_ms', 'j.side', 'j.direction', 'j.method', 'j.endpoint', 'j.status', 'j.duration_ms',
    'j.error_code', 'j.bot_id', 'j.portal_id', lineIdOf(engine, 'j.line_ref').as('line_id'), 'j.conversation_id', 'j.message_id', 'j.job_id',
    'j.max_user_id', 'j.max_chat_id', sql<string | null>`nullif(trim(j.refs), '')`.as('refs'), 'j.request_body', 'j.response_body',
  ]);
}

function viewQueries(db: Db, engine: Engine, policy: MaskingPolicy) {
  return {
    bi_conversations: conversationsQuery(db, engine, policy),
    bi_messages: messagesQuery(db, engine, policy),
    bi_journal: journalQuery(db, engine),
  } satisfies Record<BiViewName, unknown>;
}

/** The CREATE VIEW builders: OR REPLACE on PostgreSQL; SQLite has none, so there each view is dropped first. */
function createStatements(db: Db, engine: Engine, policy: MaskingPolicy) {
  const queries = viewQueries(db, engine, policy);
  return BI_VIEW_NAMES.map((name) => {
    const create = engine === 'postgres' ? db.schema.createView(name).orReplace() : db.schema.createView(name);
    return { name, drop: db.schema.dropView(name).ifExists(), create: create.as(queries[name] as never) };
  });
}

/** Creates or replaces the three views under `policy`, in one transaction. */
export async function replaceBiViews(db: Kysely<Database>, engine: Engine, policy: MaskingPolicy): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (engine === 'postgres') await sql`select pg_advisory_xact_lock(${VIEWS_LOCK_KEY})`.execute(trx);
    for (const s of createStatements(trx, engine, policy)) {
      if (engine === 'sqlite') await s.drop.execute();
      await s.create.execute();
    }
  });
}

/** The SQL replaceBiViews runs, one statement per string (for a DBA to read or run by hand). */
export function biViewStatements(db: Kysely<Database>, engine: Engine, policy: MaskingPolicy): string[] {
  return createStatements(db, engine, policy).flatMap((s) => [
    ...(engine === 'sqlite' ? [`${s.drop.compile().sql};`] : []),
    `${s.create.compile().sql};`,
  ]);
}
