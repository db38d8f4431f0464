/**
 * Dead letters: jobs that failed for good (non-retryable error or attempts
 * exhausted), kept with the error code and the last response.
 *
 * Order rule: a dead job no longer blocks its conversation (a client who
 * blocked the bot must not stall everything after). Replaying makes it pending
 * again under its ORIGINAL id, so it runs before anything of its conversation
 * that is still pending, and after what already completed.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Database } from '../schema.ts';

export interface DeadLetter {
  id: number;
  kind: string;
  conversationKey: string;
  attempts: number;
  errorCode: string | null;
  error: string | null;
  lastResponse: string | null;
  diedAtMs: number;
}

export class DeadLetterRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async list(limit = 100): Promise<DeadLetter[]> {
    const rows = await this.db.selectFrom('jobs').selectAll().where('state', '=', 'dead').orderBy('id').limit(limit).execute();
    return rows.map((r) => ({
      id: Number(r.id), kind: r.kind, conversationKey: r.conversation_key, attempts: r.attempts,
      errorCode: r.last_error_code, error: r.last_error, lastResponse: r.last_response, diedAtMs: r.updated_at_ms,
    }));
  }

  /** Replays one dead letter; false when no dead job has that id. */
  async replay(id: number): Promise<boolean> {
    const now = this.clock.nowMs();
    const res = await this.db.updateTable('jobs')
      .set({ state: 'pending', attempts: 0, run_at_ms: now, locked_by: null, lease_until_ms: null, updated_at_ms: now })
      .where('id', '=', id).where('state', '=', 'dead').executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Replays every dead letter (optionally of one error code); returns how many. */
  async replayAll(errorCode?: string): Promise<number> {
    const now = this.clock.nowMs();
    let q = this.db.updateTable('jobs')
      .set({ state: 'pending', attempts: 0, run_at_ms: now, locked_by: null, lease_until_ms: null, updated_at_ms: now })
      .where('state', '=', 'dead');
    if (errorCode) q = q.where('last_error_code', '=', errorCode);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }
}
