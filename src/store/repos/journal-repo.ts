/**
 * The journal: one row per HTTP exchange with MAX, Bitrix24 or a hook.
 * Implements the JournalWriter port. Bodies arrive already redacted
 * (src/journal/redact.ts); this repository never sees a secret.
 */
import type { Kysely } from 'kysely';
import type { JournalEntry, JournalWriter } from '../../domain/ports.ts';
import { GroupWriter } from '../group-writer.ts';
import type { Database } from '../schema.ts';
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
}
