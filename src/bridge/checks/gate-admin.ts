/**
 * What an administrator does with the conversations checks hold or block (docs/hooks.md,
 * "Checks"), from the admin API (src/http/plugins/admin-checks.ts) or the CLI
 * (`npm run bridge -- checks …`, src/cli/checks.ts):
 * - release: the gate is lifted and an `admin` `allow` verdict recorded, in one transaction with
 *   "the chat's held updates run now" — they go to the line in order, without asking the checks
 *   again (conversation-checks.ts); a blocked conversation's later updates go as well;
 * - block: the conversation is blocked (gate `block`, check `admin`, an `admin` verdict); its
 *   held updates run now and are skipped, the client told the block reply once.
 * The running bridge claims the woken jobs within its poll interval (100 ms), whichever process
 * wrote them.
 */
import type { ConversationId } from '../../domain/ids.ts';
import { conversationQueue } from '../../queue/job-kinds.ts';
import type { Store } from '../../store/open-store.ts';
import type { CheckVerdictRow, ConversationGate } from '../../store/repos/hook-repo.ts';

/** The check name an administrator's block is recorded under. */
export const ADMIN_CHECK = 'admin';

export type GateAction =
  | { done: true; gate: ConversationGate | null; woken: number }
  /** Release: the conversation is neither held nor blocked. Block: no such conversation. */
  | { done: false; reason: 'not-gated' | 'unknown' };

/** Lets a held or blocked conversation through. */
export async function releaseConversation(store: Pick<Store, 'transaction' | 'hooks' | 'jobs'>, id: ConversationId, by: { nowMs: number; note: string | null }): Promise<GateAction> {
  return store.transaction(async (trx) => {
    const gate = await store.hooks.gate(id, trx);
    if (!gate) return { done: false, reason: 'not-gated' } as const;
    await store.hooks.clearGate(id, trx);
    await store.hooks.recordVerdict({ conversationId: id, checkName: gate.checkName, verdict: 'allow', source: 'admin', route: null, tags: [], note: by.note, eventId: null, atMs: by.nowMs }, trx);
    const woken = await store.jobs.runQueueNow(conversationQueue(id), trx);
    return { done: true, gate, woken } as const;
  });
}

/** Blocks a conversation that exists (or that a check has a verdict about). */
export async function blockConversation(store: Pick<Store, 'transaction' | 'hooks' | 'jobs' | 'conversations'>, id: ConversationId, by: { nowMs: number; note: string | null }): Promise<GateAction> {
  return store.transaction(async (trx) => {
    const known = (await store.conversations.get(id, trx)) !== null || (await store.hooks.verdictsOf(id, trx)).length > 0;
    if (!known) return { done: false, reason: 'unknown' } as const;
    await store.hooks.setGate({ conversationId: id, verdict: 'block', checkName: ADMIN_CHECK, note: by.note }, trx);
    await store.hooks.recordVerdict({ conversationId: id, checkName: ADMIN_CHECK, verdict: 'block', source: 'admin', route: null, tags: [], note: by.note, eventId: null, atMs: by.nowMs }, trx);
    const woken = await store.jobs.runQueueNow(conversationQueue(id), trx);
    return { done: true, gate: await store.hooks.gate(id, trx), woken } as const;
  });
}

/** A gate as the admin API and the CLI show it. */
export function gateJson(g: ConversationGate): Record<string, unknown> {
  return { conversation_id: g.conversationId, verdict: g.verdict, check: g.checkName, note: g.note, client_told: g.replied, since: new Date(g.sinceMs).toISOString(), since_ms: g.sinceMs };
}

/** A verdict as the admin API and the CLI show it. */
export function verdictJson(v: CheckVerdictRow): Record<string, unknown> {
  return {
    id: v.id, check: v.checkName, verdict: v.verdict, source: v.source, route: v.route, tags: v.tags, note: v.note, event_id: v.eventId,
    at: new Date(v.atMs).toISOString(), at_ms: v.atMs,
  };
}
