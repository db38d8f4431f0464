/**
 * The journal: one row per HTTP exchange with MAX, Bitrix24 or a hook.
 * Implements the JournalWriter port. Bodies arrive already redacted
 * (src/journal/redact.ts); this repository never sees a secret.
 */
import type { Kysely } from 'kysely';
import type { JournalEntry, JournalWriter } from '../../domain/ports.ts';
import type { Database } from '../schema.ts';

export class JournalRepo implements JournalWriter {
  constructor(private readonly db: Kysely<Database>) {}

  async write(e: JournalEntry): Promise<void> {
    await this.db.insertInto('journal').values({
      at_ms: e.atMs, side: e.side, direction: e.direction, method: e.method, endpoint: e.endpoint, status: e.status,
      duration_ms: Math.round(e.durationMs), request_body: e.requestBody ?? null, response_body: e.responseBody ?? null,
      error_code: e.errorCode ?? null, bot_id: e.botId ?? null, portal_id: e.portalId ?? null,
      conversation_id: e.conversationId ?? null, message_id: e.messageId ?? null, job_id: e.jobId ?? null,
    }).execute();
  }

  async recent(limit = 100) {
    return this.db.selectFrom('journal').selectAll().orderBy('id', 'desc').limit(limit).execute();
  }
}
