/**
 * Skipped updates: MAX updates stored as events (exactly-once intake unchanged)
 * that the bridge deliberately does not carry to a line, each with its reason.
 * Written in the same transaction as the decision (the inbound job's "done", or
 * the polling batch), so a row exists exactly when the update was skipped.
 */
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../../domain/clock.ts';
import type { Database } from '../schema.ts';

/**
 * - group_chat: a group chat's update while max.group_chats is ignore;
 * - channel: a channel's update (channels never become conversations);
 * - group_or_channel: an update that names only a negative chat id (message_removed,
 *   chat_title_changed) of a chat with no conversation;
 * - polling_backlog: found at a first start in polling mode, older than max.polling_backlog_max_age_ms;
 * - dropped_by_transform: the route's transform hook returned null for it (route-transform.ts);
 * - blocked_by_check: its conversation is blocked by a check or an administrator (src/bridge/checks/).
 */
export const SKIP_REASONS = ['group_chat', 'channel', 'group_or_channel', 'polling_backlog', 'dropped_by_transform', 'blocked_by_check'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
const storedReason = z.enum(SKIP_REASONS);

export interface SkippedUpdate {
  eventId: number;
  source: string;
  kind: string;
  reason: SkipReason;
  skippedAtMs: number;
  receivedAtMs: number;
  /** The update exactly as MAX sent it. */
  raw: string;
}

type Db = Kysely<Database> | Transaction<Database>;

export class SkippedUpdateRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async record(input: { eventId: number; source: string; kind: string; reason: SkipReason }, db: Db = this.db): Promise<void> {
    await db.insertInto('skipped_updates').values({
      event_id: input.eventId, source: input.source, kind: input.kind, reason: input.reason, skipped_at_ms: this.clock.nowMs(),
    }).onConflict((oc) => oc.column('event_id').doNothing()).execute();
  }

  async count(reason?: SkipReason): Promise<number> {
    let query = this.db.selectFrom('skipped_updates').select((eb) => eb.fn.countAll<number | string>().as('n'));
    if (reason) query = query.where('reason', '=', reason);
    return Number((await query.executeTakeFirstOrThrow()).n);
  }

  /** Newest first, with the stored update. */
  async list(options: { reason?: SkipReason; limit?: number } = {}): Promise<SkippedUpdate[]> {
    let query = this.db.selectFrom('skipped_updates').innerJoin('events', 'events.id', 'skipped_updates.event_id')
      .select(['skipped_updates.event_id', 'skipped_updates.source', 'skipped_updates.kind', 'skipped_updates.reason', 'skipped_updates.skipped_at_ms', 'events.received_at_ms', 'events.raw']);
    if (options.reason) query = query.where('skipped_updates.reason', '=', options.reason);
    const rows = await query.orderBy('skipped_updates.event_id', 'desc').limit(options.limit ?? 1_000).execute();
    return rows.map((r) => ({
      eventId: Number(r.event_id), source: r.source, kind: r.kind, reason: storedReason.parse(r.reason),
      skippedAtMs: Number(r.skipped_at_ms), receivedAtMs: Number(r.received_at_ms), raw: r.raw,
    }));
  }
}
