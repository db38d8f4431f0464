/**
 * The journal: one row per HTTP exchange with MAX, Bitrix24 or a hook.
 * Implements the JournalWriter port. Bodies arrive already redacted
 * (src/journal/redact.ts); this repository never sees a secret.
 */
import type { Kysely, Selectable } from 'kysely';
import type { JournalEntry, JournalWriter } from '../../domain/ports.ts';
import { GroupWriter } from '../group-writer.ts';
import type { Database, JournalTable } from '../schema.ts';
import type { SqliteDirect } from '../sqlite-direct.ts';

/** Most rows one journal insert carries. */
const JOURNAL_GROUP_MAX = 500;

function toRow(e: JournalEntry) {
  return {
    at_ms: e.atMs, side: e.side, direction: e.direction, method: e.method, endpoint: e.endpoint, status: e.status,
    duration_ms: Math.round(e.durationMs), request_body: e.requestBody ?? null, response_body: e.responseBody ?? null,
    error_code: e.errorCode ?? null, bot_id: e.botId ?? null, portal_id: e.portalId ?? null,
    conversation_id: e.conversationId ?? null, message_id: e.messageId ?? null, job_id: e.jobId ?? null,
    max_user_id: e.maxUserId ?? null, max_chat_id: e.maxChatId ?? null, line_ref: e.lineRef ?? null,
    refs: e.refs && e.refs.length > 0 ? ` ${e.refs.map((r) => `${r.conversationId}#${r.messageId}`).join(' ')} ` : null,
  };
}

export class JournalRepo implements JournalWriter {
  private readonly group = new GroupWriter<JournalEntry, void>(
    async (entries) => {
      await this.db.insertInto('journal').values(entries.map(toRow)).execute();
      return entries.map(() => undefined);
    },
    async (entry) => {
      await this.db.insertInto('journal').values(toRow(entry)).execute();
    },
    JOURNAL_GROUP_MAX,
  );

  constructor(
    private readonly db: Kysely<Database>,
    /** SQLite: rows go in with a prepared statement, without the query builder. */
    private readonly direct?: SqliteDirect,
  ) {}

  private insertDirect(e: JournalEntry): void {
    const r = toRow(e);
    (this.direct as SqliteDirect).statement(
      'INSERT INTO journal (at_ms, side, direction, method, endpoint, status, duration_ms, request_body, response_body, '
      + 'error_code, bot_id, portal_id, conversation_id, message_id, job_id, max_user_id, max_chat_id, line_ref, refs) '
      + 'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(r.at_ms, r.side, r.direction, r.method, r.endpoint, r.status, r.duration_ms, r.request_body, r.response_body,
      r.error_code, r.bot_id, r.portal_id, r.conversation_id, r.message_id, r.job_id, r.max_user_id, r.max_chat_id, r.line_ref, r.refs);
  }

  /**
   * Writes one entry. Entries written concurrently go in one multi-row insert
   * (each caller resolves after it), so the journal costs the hot paths one
   * statement per group, not one per request. On SQLite the rows join the
   * shared hot-path transaction (sqlite-direct.ts).
   */
  write(e: JournalEntry): Promise<void> {
    if (this.direct) return this.direct.run(() => this.insertDirect(e));
    return this.group.write(e);
  }

  async recent(limit = 100) {
    return this.db.selectFrom('journal').selectAll().orderBy('id', 'desc').limit(limit).execute();
  }

  /**
   * Rows matching every given filter, newest first, a page at a time: the next page is the one
   * `before` the last row's id (`nextBefore`; null when there is no more). A client's rows are
   * those naming them, and those of their conversations (a batch call names each of its
   * conversations in `refs`).
   */
  async search(query: JournalQuery): Promise<JournalPage> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), JOURNAL_PAGE_MAX);
    const clientConversations = query.maxUserId === undefined ? [] : (await this.db.selectFrom('conversations').select('id')
      .where('max_user_id', '=', query.maxUserId).limit(CLIENT_CONVERSATIONS_MAX).execute()).map((r) => r.id);
    let q = this.db.selectFrom('journal').selectAll();
    if (query.conversationId !== undefined) {
      const c = query.conversationId;
      q = q.where((eb) => eb.or([eb('conversation_id', '=', c), eb('refs', 'like', `% ${likeEscaped(c)}#%`)]));
    }
    if (query.maxUserId !== undefined) {
      const u = query.maxUserId;
      q = q.where((eb) => eb.or([
        eb('max_user_id', '=', u),
        ...(clientConversations.length > 0 ? [eb('conversation_id', 'in', clientConversations)] : []),
        ...clientConversations.map((c) => eb('refs', 'like', `% ${likeEscaped(c)}#%`)),
      ]));
    }
    if (query.maxChatId !== undefined) {
      const chat = query.maxChatId;
      q = q.where((eb) => eb.or([eb('max_chat_id', '=', chat), eb('refs', 'like', `%:${likeEscaped(chat)}#%`)]));
    }
    if (query.messageId !== undefined) {
      const m = query.messageId;
      q = q.where((eb) => eb.or([eb('message_id', '=', m), eb('refs', 'like', `%#${likeEscaped(m)} %`)]));
    }
    if (query.portalId !== undefined) q = q.where('portal_id', '=', query.portalId);
    if (query.lineRef !== undefined) q = q.where('line_ref', '=', query.lineRef);
    if (query.botId !== undefined) q = q.where('bot_id', '=', query.botId);
    if (query.side !== undefined) q = q.where('side', '=', query.side);
    if (query.direction !== undefined) q = q.where('direction', '=', query.direction);
    if (query.fromMs !== undefined) q = q.where('at_ms', '>=', query.fromMs);
    if (query.toMs !== undefined) q = q.where('at_ms', '<', query.toMs);
    if (query.errorCode !== undefined) q = q.where('error_code', '=', query.errorCode);
    if (query.text !== undefined) {
      const words = `%${likeEscaped(query.text)}%`;
      q = q.where((eb) => eb.or([eb('endpoint', 'like', words), eb('request_body', 'like', words), eb('response_body', 'like', words)]));
    }
    if (query.status === 'failed') q = q.where((eb) => eb.or([eb('status', 'is', null), eb('status', '>=', 400)]));
    else if (query.status === 'ok') q = q.where('status', '>=', 200).where('status', '<', 300);
    else if (typeof query.status === 'number') q = q.where('status', '=', query.status);
    if (query.before !== undefined) q = q.where('id', '<', query.before);
    const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit).map(journalRowOf);
    return { rows: page, nextBefore: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null };
  }
}

/** Most rows one page of a search returns. */
export const JOURNAL_PAGE_MAX = 1_000;
/** Most conversations of one client a search looks through (a client has one per bot, a few with groups). */
const CLIENT_CONVERSATIONS_MAX = 200;

/** `%` and `_` in an id would be wildcards of LIKE; ids have neither in practice, but an id typed in a search might. */
function likeEscaped(text: string): string {
  return text.replace(/[%_]/g, '');
}

export interface JournalQuery {
  maxUserId?: string;
  maxChatId?: string;
  conversationId?: string;
  messageId?: string;
  portalId?: string;
  lineRef?: string;
  botId?: string;
  side?: string;
  direction?: 'in' | 'out';
  /** Inclusive start and exclusive end, Unix ms. */
  fromMs?: number;
  toMs?: number;
  /** 'ok': 2xx; 'failed': no answer or 4xx/5xx; a number: that status. */
  status?: 'ok' | 'failed' | number;
  errorCode?: string;
  /** Words in the endpoint or a body (LIKE, as written: letter case matters on PostgreSQL; a scan, bounded by the page's limit). */
  text?: string;
  /** Rows with a smaller id than this (the previous page's `nextBefore`). */
  before?: number;
  limit?: number;
}

export interface JournalRow {
  id: number;
  atMs: number;
  side: string;
  direction: string;
  method: string;
  endpoint: string;
  status: number | null;
  durationMs: number;
  requestBody: string | null;
  responseBody: string | null;
  errorCode: string | null;
  botId: string | null;
  portalId: string | null;
  conversationId: string | null;
  messageId: string | null;
  jobId: string | null;
  maxUserId: string | null;
  maxChatId: string | null;
  lineRef: string | null;
  /** A batch call's conversations and messages. */
  refs: Array<{ conversationId: string; messageId: string }>;
}

export interface JournalPage {
  rows: JournalRow[];
  nextBefore: number | null;
}

function journalRowOf(r: Selectable<JournalTable>): JournalRow {
  return {
    id: Number(r.id), atMs: Number(r.at_ms), side: r.side, direction: r.direction, method: r.method, endpoint: r.endpoint,
    status: r.status === null ? null : Number(r.status), durationMs: Number(r.duration_ms), requestBody: r.request_body, responseBody: r.response_body,
    errorCode: r.error_code, botId: r.bot_id, portalId: r.portal_id, conversationId: r.conversation_id, messageId: r.message_id, jobId: r.job_id,
    maxUserId: r.max_user_id, maxChatId: r.max_chat_id, lineRef: r.line_ref,
    refs: (r.refs ?? '').trim().split(' ').filter((x) => x.includes('#')).map((x) => {
      const at = x.lastIndexOf('#');
      return { conversationId: x.slice(0, at), messageId: x.slice(at + 1) };
    }),
  };
}
