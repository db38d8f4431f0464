/**
 * Exports for a DWH (docs/exports.md): conversations, messages and journal rows of a time
 * range, read a page at a time in time order, so an export of any size holds one page in
 * memory. Keyset pagination on (time, id): each page is its own short query, starting after
 * the last row of the one before, with no cursor or transaction held between pages (an
 * export of hours never holds back SQLite's WAL checkpoint or a PostgreSQL vacuum); a row
 * written while an export runs is in it when its time is still ahead of the page read.
 * A page after the first is bounded below by the cursor alone, not also by `from`: given two
 * lower bounds SQLite ranges its index scan on one (it took `from`) and filters by the other,
 * so each page re-read the range from its start (reading 100,000 messages: 5.9 s, against 1.7 s).
 *
 * A page hands out its rows one at a time (ExportPage.row), each made when it is asked for
 * and dropped by the caller before the next: a page's worth of objects made at one place
 * in the code and alive together is what makes V8 decide ("allocation-site pretenuring")
 * that objects made there live long, and make them in the old generation from then on, where
 * only a full collection frees them — an export's heap then swung by 60 MB (bench/export.ts).
 *
 * Rows come out as the tables hold them: personal data is masked by the caller
 * (src/hooks/export-records.ts), which also reads the texts out of the stored JSON.
 */
import { sql, type Kysely } from 'kysely';
import { parseLineRef, portalOfLine } from '../../domain/ids.ts';
import type { MaskingPolicy } from '../../journal/masking.ts';
import { biViewStatements, replaceBiViews } from '../bi-views.ts';
import type { Engine } from '../db.ts';
import type { JournalRow } from './journal-repo.ts';
import type { Database } from '../schema.ts';

/**
 * Rows per page. A page is read, turned into text and handed on between two turns of the
 * event loop (src/hooks/export-stream.ts), so its size is how long an export holds the loop
 * at a time: 100 rows take ~6 ms (a message row ~60 µs with its masking, on the machine of
 * docs/performance.md), while webhooks and jobs wait. 1,000 pages per 100,000 rows cost
 * ~0.1 ms each on SQLite, a round trip each on PostgreSQL. A journal page holds whole bodies
 * (a batch call's request is tens of KB): a few MB at most.
 */
export const EXPORT_PAGE_ROWS = 100;

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

/** A journal row as exported: the search's row, with `refs` as the column stores it (` <conversation id>#<message id> …` of a call carrying several conversations, else null). */
export type JournalExportRow = Omit<JournalRow, 'refs'> & { refs: string | null };

/** Where the previous page ended: its last row's time and id (a conversation's id is text). */
interface Cursor {
  atMs: number;
  id: number | string;
}

/** The event kind an operator's message arrives in; its dedupe key is `<kind>:<im.message_id>` (domain/dedupe-keys.ts). */
const OPERATOR_MESSAGE_EVENT = 'ONIMCONNECTORMESSAGEADD';

/** A page of stored rows: their number, and each row made when asked for. */
export interface ExportPage<T> {
  readonly length: number;
  /** The i-th row, a new object each call. */
  row(i: number): T;
}

function pageOf<Raw, T>(raws: Raw[], make: (raw: Raw) => T): ExportPage<T> {
  return { length: raws.length, row: (i) => make(raws[i] as Raw) };
}

/** Pages of stored rows from `read`, each after the last row of the one before, until one comes back short. */
async function* pages<Raw, T>(read: (after: Cursor | null) => Promise<Raw[]>, make: (raw: Raw) => T, cursor: (raw: Raw) => Cursor, pageRows: number): AsyncGenerator<ExportPage<T>> {
  let after: Cursor | null = null;
  for (;;) {
    const raws = await read(after);
    if (raws.length > 0) yield pageOf(raws, make);
    if (raws.length < pageRows) return;
    after = cursor(raws[raws.length - 1] as Raw);
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
  conversations(range: ExportRange, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<ExportPage<ConversationExportRow>> {
    const read = async (after: Cursor | null) => {
      const q = this.db.selectFrom('conversations').selectAll().where('created_at_ms', '<', range.toMs);
      const page = after === null ? q.where('created_at_ms', '>=', range.fromMs)
        : q.where('created_at_ms', '>=', after.atMs).where((eb) => eb.or([eb('created_at_ms', '>', after.atMs), eb('id', '>', String(after.id))]));
      return page.orderBy('created_at_ms').orderBy('id').limit(pageRows).execute();
    };
    type Raw = Awaited<ReturnType<typeof read>>[number];
    const make = (r: Raw): ConversationExportRow => ({
      id: r.id, botId: r.bot_id, maxChatId: r.max_chat_id, maxUserId: r.max_user_id, lineRef: r.line_ref, state: r.state,
      routeName: r.route_name, routeOpen: Number(r.route_open) === 1, sourceJson: r.source_json, tagsJson: r.tags_json,
      clientPhone: r.client_phone, profileJson: r.profile_json, bitrixChatId: r.bitrix_chat_id, bitrixSessionId: r.bitrix_session_id,
      createdAtMs: Number(r.created_at_ms), updatedAtMs: Number(r.updated_at_ms),
    });
    return pages(read, make, (r) => ({ atMs: Number(r.created_at_ms), id: r.id }), pageRows);
  }

  /**
   * Messages of both directions created within the range, in one time order: clients'
   * messages to the line (`messages`, each with its line outbox item) and the MAX parts of
   * operators' messages (`outbound_parts`, each with the stored events that may carry its
   * text). The database merges the two (each side read through its time index, at most a page
   * of each), in the order (time, direction — `in` before `out` at the same ms — id), so each
   * page stands alone: nothing of one side waits in memory for the other.
   */
  async *messages(range: ExportRange, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<ExportPage<MessageExportRow>> {
    // Every portal's event source: a conversation moved to another line still finds the events of its earlier portal.
    const sources = (await this.db.selectFrom('portals').select('id').execute()).map((p) => `bitrix24:${p.id}`);
    let after: { atMs: number; direction: string; id: number } | null = null;
    for (;;) {
      const raws = await this.messagePage(range, after, pageRows);
      if (raws.length === 0) return;
      const events = await this.operatorEvents(sources, raws.filter((r) => r.direction === 'out'));
      yield pageOf(raws, (r): MessageExportRow => ({
        direction: r.direction === 'out' ? 'out' : 'in', rowId: Number(r.id), conversationId: r.conversation_id, maxUserId: r.max_user_id,
        lineRef: r.line_ref, routeName: r.route_name, maxMid: r.max_mid, bitrixMessageId: r.bitrix_message_id,
        part: r.part === null ? null : Number(r.part), state: r.state, createdAtMs: Number(r.created_at_ms), updatedAtMs: Number(r.updated_at_ms),
        itemJson: r.item_json, eventRaws: r.direction === 'out' ? events.get(`${OPERATOR_MESSAGE_EVENT}:${r.bitrix_message_id}`) ?? [] : [],
      }));
      if (raws.length < pageRows) return;
      const last = raws[raws.length - 1] as (typeof raws)[number];
      after = { atMs: Number(last.created_at_ms), direction: last.direction, id: Number(last.id) };
    }
  }

  /** One page of messages after `after`: a page of each side at most, merged and cut to a page. */
  private messagePage(range: ExportRange, after: { atMs: number; direction: string; id: number } | null, pageRows: number) {
    let inbound = this.db.selectFrom('messages as m')
      .leftJoin('conversations as c', 'c.id', 'm.conversation_id')
      .leftJoin('line_outbox as o', (join) => join.onRef('o.conversation_id', '=', 'm.conversation_id').on('o.method', '=', 'send').onRef('o.message_key', '=', 'm.max_mid'))
      .select((eb) => [
        'm.id', sql<string>`'in'`.as('direction'), 'm.conversation_id', 'm.max_mid', 'm.bitrix_message_id', eb.cast<number | null>(eb.val(null), 'integer').as('part'),
        'm.state', 'm.created_at_ms', 'm.updated_at_ms', 'c.max_user_id', 'c.line_ref', 'c.route_name', 'o.item_json',
      ])
      .where('m.direction', '=', 'in').where('m.created_at_ms', '<', range.toMs);
    let outbound = this.db.selectFrom('outbound_parts as p')
      .leftJoin('conversations as c', 'c.id', 'p.conversation_id')
      .select((eb) => [
        'p.id', sql<string>`'out'`.as('direction'), 'p.conversation_id', 'p.max_mid', 'p.bitrix_message_id', eb.cast<number | null>('p.part', 'integer').as('part'),
        sql<string>`'sent'`.as('state'), 'p.sent_at_ms as created_at_ms', 'p.sent_at_ms as updated_at_ms', 'c.max_user_id', 'c.line_ref', 'c.route_name',
        eb.cast<string | null>(eb.val(null), 'text').as('item_json'),
      ])
      .where('p.sent_at_ms', '<', range.toMs);
    if (after === null) {
      inbound = inbound.where('m.created_at_ms', '>=', range.fromMs);
      outbound = outbound.where('p.sent_at_ms', '>=', range.fromMs);
    } else {
      // (time, direction, id) > after, side by side: a client's message at the same ms as the
      // last row follows it only if that row was a client's too (and had a lower id).
      const { atMs, id } = after;
      inbound = after.direction === 'in'
        ? inbound.where('m.created_at_ms', '>=', atMs).where((eb) => eb.or([eb('m.created_at_ms', '>', atMs), eb('m.id', '>', id)]))
        : inbound.where('m.created_at_ms', '>', atMs);
      outbound = after.direction === 'in'
        ? outbound.where('p.sent_at_ms', '>=', atMs)
        : outbound.where('p.sent_at_ms', '>=', atMs).where((eb) => eb.or([eb('p.sent_at_ms', '>', atMs), eb('p.id', '>', id)]));
    }
    const clients = inbound.orderBy('m.created_at_ms').orderBy('m.id').limit(pageRows);
    const operators = outbound.orderBy('p.sent_at_ms').orderBy('p.id').limit(pageRows);
    return this.db.selectFrom(clients.as('i')).selectAll()
      .unionAll(this.db.selectFrom(operators.as('x')).selectAll())
      .orderBy('created_at_ms').orderBy('direction').orderBy('id').limit(pageRows).execute();
  }

  /** The stored events of one page's operator messages, by dedupe key: one indexed lookup per page (UNIQUE(source, dedupe_key)). */
  private async operatorEvents(sources: string[], rows: ReadonlyArray<{ line_ref: string | null; bitrix_message_id: string | null }>): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const keys = [...new Set(rows.flatMap((r) => (r.bitrix_message_id === null ? [] : [`${OPERATOR_MESSAGE_EVENT}:${r.bitrix_message_id}`])))];
    // The conversations' own portals too, in case a portal row is gone while its events stay.
    const portals = new Set(sources);
    for (const r of rows) {
      try {
        if (r.line_ref !== null) portals.add(`bitrix24:${portalOfLine(parseLineRef(r.line_ref))}`);
      } catch {
        // a damaged line ref: the portals' own sources are still looked in
      }
    }
    if (keys.length === 0 || portals.size === 0) return out;
    const events = await this.db.selectFrom('events').select(['dedupe_key', 'raw'])
      .where('source', 'in', [...portals]).where('dedupe_key', 'in', keys).execute();
    for (const e of events) {
      const known = out.get(e.dedupe_key);
      if (known) known.push(e.raw);
      else out.set(e.dedupe_key, [e.raw]);
    }
    return out;
  }

  /** Journal rows of the range, oldest first. */
  journal(range: ExportRange, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<ExportPage<JournalExportRow>> {
    const read = async (after: Cursor | null) => {
      const q = this.db.selectFrom('journal').selectAll().where('at_ms', '<', range.toMs);
      const page = after === null ? q.where('at_ms', '>=', range.fromMs)
        : q.where('at_ms', '>=', after.atMs).where((eb) => eb.or([eb('at_ms', '>', after.atMs), eb('id', '>', Number(after.id))]));
      return page.orderBy('at_ms').orderBy('id').limit(pageRows).execute();
    };
    type Raw = Awaited<ReturnType<typeof read>>[number];
    const make = (r: Raw): JournalExportRow => ({
      id: Number(r.id), atMs: Number(r.at_ms), side: r.side, direction: r.direction, method: r.method, endpoint: r.endpoint,
      status: r.status === null ? null : Number(r.status), durationMs: Number(r.duration_ms), errorCode: r.error_code,
      botId: r.bot_id, portalId: r.portal_id, lineRef: r.line_ref, conversationId: r.conversation_id, messageId: r.message_id, jobId: r.job_id,
      maxUserId: r.max_user_id, maxChatId: r.max_chat_id, refs: r.refs, requestBody: r.request_body, responseBody: r.response_body,
    });
    return pages(read, make, (r) => ({ atMs: Number(r.at_ms), id: Number(r.id) }), pageRows);
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
