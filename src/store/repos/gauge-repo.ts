/**
 * Read-only aggregates for the metrics gauges (src/metrics/store-gauges.ts),
 * read at scrape time. Both queries stay proportional to the unfinished work,
 * not to the history: the jobs count skips `done` jobs (they are never deleted;
 * the runner counts them as they finish) and reads through the (state, run_at)
 * index; the line queues read the partial index of pending outbox rows.
 */
import { sql, type Kysely } from 'kysely';
import { conversationIdParts } from '../../domain/ids.ts';
import { conversationOfPortalEventQueue } from '../../queue/job-kinds.ts';
import type { Database, JobState } from '../schema.ts';

/** The job states the gauge reports: what is still to do, and what failed for good. */
export const GAUGED_JOB_STATES = ['pending', 'running', 'dead'] as const satisfies readonly JobState[];
export type GaugedJobState = (typeof GAUGED_JOB_STATES)[number];

export interface JobCount {
  kind: string;
  state: GaugedJobState;
  count: number;
}

export interface LineQueue {
  portalId: string;
  lineId: number;
  /** Items waiting in the line's outbox. */
  pending: number;
  /** When the bridge received the oldest of them (ms), or null when none waits. */
  oldestArrivedMs: number | null;
}

export interface BotReplyQueue {
  botId: string;
  /** Operator messages waiting to go to MAX through this bot. */
  pending: number;
  /** When the oldest of them was queued (ms). */
  oldestQueuedMs: number;
}

export class GaugeRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Jobs by kind and state, for the states in GAUGED_JOB_STATES. */
  async jobCounts(): Promise<JobCount[]> {
    const rows = await this.db.selectFrom('jobs').select(['kind', 'state', sql<number>`count(*)`.as('n')])
      .where('state', 'in', [...GAUGED_JOB_STATES]).groupBy(['kind', 'state']).execute();
    return rows.map((r) => ({ kind: r.kind, state: r.state as GaugedJobState, count: Number(r.n) }));
  }

  /** Every known line with its outbox depth and its oldest waiting item (lines with none waiting report 0). */
  async lineQueues(): Promise<LineQueue[]> {
    const rows = await this.db.selectFrom('lines')
      .leftJoin('line_outbox', (join) => join.onRef('line_outbox.line_ref', '=', 'lines.id').on('line_outbox.state', '=', 'pending'))
      .select(['lines.portal_id', 'lines.line_id', sql<number>`count(line_outbox.id)`.as('n'), sql<number | null>`min(line_outbox.arrived_ms)`.as('oldest')])
      .groupBy(['lines.portal_id', 'lines.line_id']).execute();
    return rows.map((r) => ({
      portalId: r.portal_id, lineId: Number(r.line_id), pending: Number(r.n), oldestArrivedMs: r.oldest === null ? null : Number(r.oldest),
    }));
  }

  /**
   * Operator messages waiting to go to MAX, per bot (the events' jobs still to run): their
   * queue is `b24:<portalId>:<conversationId>` (portalEventQueue), the conversation naming its bot.
   */
  async botReplyQueues(eventJobKind: string): Promise<BotReplyQueue[]> {
    const rows = await this.db.selectFrom('jobs').select(['conversation_key', sql<number>`count(*)`.as('n'), sql<number>`min(created_at_ms)`.as('oldest')])
      .where('kind', '=', eventJobKind).where('state', 'in', ['pending', 'running']).groupBy('conversation_key').execute();
    const byBot = new Map<string, BotReplyQueue>();
    for (const r of rows) {
      const conversationId = conversationOfPortalEventQueue(r.conversation_key);
      if (!conversationId) continue;
      const { botId } = conversationIdParts(conversationId);
      const q = byBot.get(botId) ?? { botId, pending: 0, oldestQueuedMs: Number.POSITIVE_INFINITY };
      q.pending += Number(r.n);
      q.oldestQueuedMs = Math.min(q.oldestQueuedMs, Number(r.oldest));
      byBot.set(botId, q);
    }
    return [...byBot.values()];
  }
}
