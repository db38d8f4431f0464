/**
 * Exports for a DWH (docs/exports.md): conversations, messages and journal rows of a time
 * range, read a page at a time in time order, so an export of any size holds one page in
 * memory. Keyset pagination on (time, id): each page is its own short query, starting after
 * the last row of the one before, with no cursor or transaction held between pages (an
 * export of hours never holds back SQLite's WAL checkpoint or a PostgreSQL vacuum); a row
 * written while an export runs is in it when its time is still ahead of the page read.
 *
 * Rows come out as the tables hold them: personal data is masked by the caller
 * (src/hooks/export-records.ts), which also reads the texts out of the stored JSON.
 */
import type { Kysely } from 'kysely';
import { parseLineRef, portalOfLine } from '../../domain/ids.ts';
import type { MaskingPolicy } from '../../journal/masking.ts';
import { biViewStatements, replaceBiViews } from '../bi-views.ts';
import type { Engine } from '../db.ts';
import type { Database } from '../schema.ts';

/**
 * Rows per page of conversations and messages: ~1,000 rows of a few hundred bytes to a few KB
 * (a message carries its line outbox item) keep a page within a few MB, and 100 pages per
 * 100,000 rows keep the per-query cost out of the total.
 */
export const EXPORT_PAGE_ROWS = 100;
/** Journal rows carry whole bodies (a batch call's request is tens of KB): smaller pages keep one page within ~10 MB. */
export const JOURNAL_PAGE_ROWS = 200;

/** A time range: `fromMs` inclusive, `toMs` exclusive, Unix ms. */
export interface ExportRange {
  fromMs: number;
  toMs: number;
}

export type ExportKind = 'conversations' | 'messages' | 'journal';

export interface ConversationExportRow {
  id: string;
  botId: string;
  maxChatId: string;
  maxUserId: string | null;
  lineRef: string;
  state: string;
  routeName: string | null;
  routeOpen: boolean;
  /** `{"payload": "…"}`: the deep link the client started the bot with. */
  sourceJson: string | null;
  tagsJson: string | null;
  clientPhone: string | null;
  /** `{avatarUrl, profileUrl, chatTitle?}` (conversation-repo.ts). */
  profileJson: string | null;
  bitrixChatId: string | null;
  bitrixSessionId: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface MessageExportRow {
  /** `in`: a client's message to the line (`messages`); `out`: one MAX part of an operator's message (`outbound_parts`). */
  direction: 'in' | 'out';
  /** The row's id in its table (`messages.id` or `outbound_parts.id`): unique with the direction. */
  rowId: number;
  conversationId: string;
  /** From the conversation; null when it is gone (erased) while the message row stayed. */
  maxUserId: string | null;
  lineRef: string | null;
  routeName: string | null;
  maxMid: string | null;
  bitrixMessageId: string | null;
  /** `out`: the part's number in the operator's message; `in`: null. */
  part: number | null;
  state: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** `in`: the line outbox item that carried it (`{user, message: {text, files}, chat}`), null once purged. */
  itemJson: string | null;
  /** `out`: the stored Bitrix24 events that may carry it (usually one; the caller picks the message), empty once purged. */
  eventRaws: string[];
}

export interface JournalExportRow {
  id: number;
  atMs: number;
  side: string;
  direction: string;
  method: string;
  endpoint: string;
  status: number | null;
  durationMs: number;
  errorCode: string | null;
  botId: string | null;
  portalId: string | null;
  lineRef: string | null;
  conversationId: string | null;
  messageId: string | null;
  jobId: string | null;
  maxUserId: string | null;
  maxChatId: string | null;
  /** ` <conversation id>#<message id> …` of a call carrying several conversations, else null. */
  refs: string | null;
  requestBody: string | null;
  responseBody: string | null;
}

/** Where the previous page ended: its last row's time and id (a conversation's id is text). */
interface Cursor {
  atMs: number;
  id: number | string;
}

/** The event kind an operator's message arrives in; its dedupe key is `<kind>:<im.message_id>` (domain/dedupe-keys.ts). */
const OPERATOR_MESSAGE_EVENT = 'ONIMCONNECTORMESSAGEADD';

/** Pages from `read` until one comes back short. */
async function* pages<R>(read: (after: Cursor | null) => Promise<R[]>, cursorOf: (row: R) => Cursor, pageRows: number): AsyncGenerator<R[]> {
  let after: Cursor | null = null;
  for (;;) {
    const rows = await read(after);
    if (rows.length > 0) yield rows;
    if (rows.length < pageRows) return;
    after = cursorOf(rows[rows.length - 1] as R);
  }
}

export class ExportRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
  ) {}

  /** How many rows an export of `kind` over `range` holds now (the CLI's progress total). */
  async count(kind: ExportKind, range: ExportRange): Promise<number> {
    const n = (row: { n: string | number | bigint } | undefined) => Number(row?.n ?? 0);
    if (kind === 'conversations') {
      return n(await this.db.selectFrom('conversations').select((eb) => eb.fn.countAll().as('n'))
        .where('created_at_ms', '>=', range.fromMs).where('created_at_ms', '<', range.toMs).executeTakeFirst());
    }
    if (kind === 'journal') {
      return n(await this.db.selectFrom('journal').select((eb) => eb.fn.countAll().as('n'))
        .where('at_ms', '>=', range.fromMs).where('at_ms', '<', range.toMs).executeTakeFirst());
    }
    const inbound = n(await this.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('direction', '=', 'in')
      .where('created_at_ms', '>=', range.fromMs).where('created_at_ms', '<', range.toMs).executeTakeFirst());
    const outbound = n(await this.db.selectFrom('outbound_parts').select((eb) => eb.fn.countAll().as('n'))
      .where('sent_at_ms', '>=', range.fromMs).where('sent_at_ms', '<', range.toMs).executeTakeFirst());
    return inbound + outbound;
  }

  /** Conversations created within the range, oldest first. */
  conversations(range: ExportRange, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<ConversationExportRow[]> {
    return pages(async (after) => {
      let q = this.db.selectFrom('conversations').selectAll()
        .where('created_at_ms', '>=', range.fromMs).where('created_at_ms', '<', range.toMs);
      if (after) q = q.where((eb) => eb(eb.refTuple('created_at_ms', 'id'), '>', eb.tuple(after.atMs, String(after.id))));
      const rows = await q.orderBy('created_at_ms').orderBy('id').limit(pageRows).execute();
      return rows.map((r) => ({
        id: r.id, botId: r.bot_id, maxChatId: r.max_chat_id, maxUserId: r.max_user_id, lineRef: r.line_ref, state: r.state,
        routeName: r.route_name, routeOpen: Number(r.route_open) === 1, sourceJson: r.source_json, tagsJson: r.tags_json,
        clientPhone: r.client_phone, profileJson: r.profile_json, bitrixChatId: r.bitrix_chat_id, bitrixSessionId: r.bitrix_session_id,
        createdAtMs: Number(r.created_at_ms), updatedAtMs: Number(r.updated_at_ms),
      }));
    }, (r) => ({ atMs: r.createdAtMs, id: r.id }), pageRows);
  }

  /** Clients' messages to the line received within the range, oldest first, each with its line outbox item. */
  inboundMessages(range: ExportRange, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<MessageExportRow[]> {
    return pages(async (after) => {
      let q = this.db.selectFrom('messages as m')
        .leftJoin('conversations as c', 'c.id', 'm.conversation_id')
        .leftJoin('line_outbox as o', (join) => join.onRef('o.conversation_id', '=', 'm.conversation_id').on('o.method', '=', 'send').onRef('o.message_key', '=', 'm.max_mid'))
        .select(['m.id', 'm.conversation_id', 'm.max_mid', 'm.bitrix_message_id', 'm.state', 'm.created_at_ms', 'm.updated_at_ms',
          'c.max_user_id', 'c.line_ref', 'c.route_name', 'o.item_json'])
        .where('m.direction', '=', 'in').where('m.created_at_ms', '>=', range.fromMs).where('m.created_at_ms', '<', range.toMs);
      if (after) q = q.where((eb) => eb(eb.refTuple('m.created_at_ms', 'm.id'), '>', eb.tuple(after.atMs, Number(after.id))));
      const rows = await q.orderBy('m.created_at_ms').orderBy('m.id').limit(pageRows).execute();
      return rows.map((r): MessageExportRow => ({
        direction: 'in', rowId: Number(r.id), conversationId: r.conversation_id, maxUserId: r.max_user_id, lineRef: r.line_ref, routeName: r.route_name,
        maxMid: r.max_mid, bitrixMessageId: r.bitrix_message_id, part: null, state: r.state,
        createdAtMs: Number(r.created_at_ms), updatedAtMs: Number(r.updated_at_ms), itemJson: r.item_json, eventRaws: [],
      }));
    }, (r) => ({ atMs: r.createdAtMs, id: r.rowId }), pageRows);
  }

  /** MAX parts of operators' messages sent within the range, oldest first, each with the stored events that may carry its text. */
  async *outboundMessages(range: ExportRange, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<MessageExportRow[]> {
    // Every portal's event source: a conversation moved to another line still finds the events of its earlier portal.
    const sources = (await this.db.selectFrom('portals').select('id').execute()).map((p) => `bitrix24:${p.id}`);
    const read = async (after: Cursor | null): Promise<MessageExportRow[]> => {
      let q = this.db.selectFrom('outbound_parts as p')
        .leftJoin('conversations as c', 'c.id', 'p.conversation_id')
        .select(['p.id', 'p.conversation_id', 'p.bitrix_message_id', 'p.part', 'p.max_mid', 'p.sent_at_ms', 'c.max_user_id', 'c.line_ref', 'c.route_name'])
        .where('p.sent_at_ms', '>=', range.fromMs).where('p.sent_at_ms', '<', range.toMs);
      if (after) q = q.where((eb) => eb(eb.refTuple('p.sent_at_ms', 'p.id'), '>', eb.tuple(after.atMs, Number(after.id))));
      const rows = await q.orderBy('p.sent_at_ms').orderBy('p.id').limit(pageRows).execute();
      const raws = await this.operatorEvents(sources, rows.map((r) => ({ lineRef: r.line_ref, bitrixMessageId: r.bitrix_message_id })));
      return rows.map((r): MessageExportRow => ({
        direction: 'out', rowId: Number(r.id), conversationId: r.conversation_id, maxUserId: r.max_user_id, lineRef: r.line_ref, routeName: r.route_name,
        maxMid: r.max_mid, bitrixMessageId: r.bitrix_message_id, part: Number(r.part), state: 'sent',
        createdAtMs: Number(r.sent_at_ms), updatedAtMs: Number(r.sent_at_ms), itemJson: null,
        eventRaws: raws.get(`${OPERATOR_MESSAGE_EVENT}:${r.bitrix_message_id}`) ?? [],
      }));
    };
    yield* pages(read, (r) => ({ atMs: r.createdAtMs, id: r.rowId }), pageRows);
  }

  /** The stored events of one page's operator messages, by dedupe key: one indexed lookup per page (UNIQUE(source, dedupe_key)). */
  private async operatorEvents(sources: string[], rows: Array<{ lineRef: string | null; bitrixMessageId: string }>): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const keys = [...new Set(rows.map((r) => `${OPERATOR_MESSAGE_EVENT}:${r.bitrixMessageId}`))];
    // The conversations' own portals too, in case a portal row is gone while its events stay.
    const portals = rows.flatMap((r) => {
      try {
        return r.lineRef === null ? [] : [`bitrix24:${portalOfLine(parseLineRef(r.lineRef))}`];
      } catch {
        return []; // a damaged line ref: the portals' own sources are still looked in
      }
    });
    const allSources = [...new Set([...sources, ...portals])];
    if (keys.length === 0 || allSources.length === 0) return out;
    const events = await this.db.selectFrom('events').select(['dedupe_key', 'raw'])
      .where('source', 'in', allSources).where('dedupe_key', 'in', keys).execute();
    for (const e of events) out.set(e.dedupe_key, [...(out.get(e.dedupe_key) ?? []), e.raw]);
    return out;
  }

  /** Journal rows of the range, oldest first. */
  journal(range: ExportRange, pageRows = JOURNAL_PAGE_ROWS): AsyncGenerator<JournalExportRow[]> {
    return pages(async (after) => {
      let q = this.db.selectFrom('journal').selectAll().where('at_ms', '>=', range.fromMs).where('at_ms', '<', range.toMs);
      if (after) q = q.where((eb) => eb(eb.refTuple('at_ms', 'id'), '>', eb.tuple(after.atMs, Number(after.id))));
      const rows = await q.orderBy('at_ms').orderBy('id').limit(pageRows).execute();
      return rows.map((r): JournalExportRow => ({
        id: Number(r.id), atMs: Number(r.at_ms), side: r.side, direction: r.direction, method: r.method, endpoint: r.endpoint,
        status: r.status === null ? null : Number(r.status), durationMs: Number(r.duration_ms), errorCode: r.error_code,
        botId: r.bot_id, portalId: r.portal_id, lineRef: r.line_ref, conversationId: r.conversation_id, messageId: r.message_id, jobId: r.job_id,
        maxUserId: r.max_user_id, maxChatId: r.max_chat_id, refs: r.refs, requestBody: r.request_body, responseBody: r.response_body,
      }));
    }, (r) => ({ atMs: r.atMs, id: r.id }), pageRows);
  }

  /** Creates or replaces the SQL views for BI tools under `policy` (src/store/bi-views.ts). */
  replaceViews(policy: MaskingPolicy): Promise<void> {
    return replaceBiViews(this.db, this.engine, policy);
  }

  /** The statements replaceViews runs, as SQL text (`export views --sql`). */
  viewStatements(policy: MaskingPolicy): string[] {
    return biViewStatements(this.db, this.engine, policy);
  }
}
