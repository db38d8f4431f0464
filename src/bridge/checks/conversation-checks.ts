/**
 * Synchronous checks in the inbound pipeline (docs/hooks.md, "Checks"): an anti-fraud service or
 * an ERP lookup is asked before a new conversation is routed (and, with `each_message`, about
 * every later client message), and its verdict lets the client in, holds the conversation for
 * review, blocks it, sends it to another route or tags it.
 *
 * - The checks run in configuration order inside the chat's own `max.update` job, each bounded
 *   by its `timeout_ms`: a slow check delays only its own chat's queue, never another
 *   conversation (they run on other workers). The first verdict that is not `allow` wins (the
 *   later checks are not asked); the tags of the `allow` verdicts before it merge.
 * - Every verdict is recorded (`check_verdicts`) with the conversation and the update's event:
 *   an `allow` in the transaction that routes the conversation (or queues the message), a
 *   `hold` or `block` with the conversation's gate (`conversation_gates`), before the update
 *   is put back or skipped.
 * - A gate keeps the conversation out of every line: `block` — each of its updates is recorded
 *   as skipped (`blocked_by_check`), the client told `block_reply` once; `hold` — its updates
 *   wait in their queue, in order (put back every HOLD_RECHECK_MS, no attempt spent), the
 *   client told `hold_reply` once when set, until an administrator releases or blocks it
 *   (gate-admin.ts).
 * - An administrator's release stands for the routing it released: the checks are not asked
 *   again until the conversation is routed afresh (its Open Lines session closed), and the
 *   per-message checks not until a check answers for it again.
 * - The client is told before the job's "done", marked first (`markReplied`), then sent: a
 *   crash between the two, or MAX failing the send, leaves the client untold (at most once) —
 *   telling a blocked client twice was judged worse than not at all.
 */
import { checkSchema, type CheckConfig } from '../../config/hooks-schema.ts';
import type { Clock } from '../../domain/clock.ts';
import { isOwnPhone, normalizedPhone } from '../../domain/crm/client-phone.ts';
import type { ConversationId, LineRef } from '../../domain/ids.ts';
import { portalOfLine } from '../../domain/ids.ts';
import type { JournalWriter } from '../../domain/ports.ts';
import { mergeTags } from '../../domain/routing/conversation-tags.ts';
import { codeOf, silentLogger, type Logger } from '../../log/logger.ts';
import type { MaxClient } from '../../max/client.ts';
import { midOfMessage, type MaxUpdate, type MaxUser } from '../../max/update.ts';
import { NotYet } from '../../queue/not-yet.ts';
import type { Store } from '../../store/open-store.ts';
import type { ConversationRow } from '../../store/repos/conversation-repo.ts';
import type { CheckVerdictRow, ConversationGate } from '../../store/repos/hook-repo.ts';
import type { OnComplete } from '../../store/repos/job-repo.ts';
import { ownSharedPhone } from '../inbound-render.ts';
import { routeRecordOf } from '../router.ts';
import { askCheck, type CheckOutcome, type CheckSubject, type CheckType } from './check-call.ts';
import { checksLineText, releasedText, unknownRouteNote } from './check-texts.ts';

/** A held conversation's updates look at their gate again this often (an admin's release wakes them at once). */
export const HOLD_RECHECK_MS = 30_000;

/** What a blocked client is told when the gate names no configured check (an administrator's block). */
export const DEFAULT_BLOCK_REPLY: string = checkSchema.shape.block_reply.parse(undefined);

/** What the pipeline needs to ask checks. */
export interface ChecksDeps {
  /** The checks in force, in configuration order (a reload swaps them). */
  list: () => readonly CheckConfig[];
  clock: Clock;
  journal?: JournalWriter;
  fetchFn?: typeof fetch;
}

export interface CheckEnv {
  store: Store;
  /** Absent: no checks are asked (gates set by an administrator still hold). */
  checks?: ChecksDeps;
  log?: Logger;
}

/** The update a check is asked about, and where it stands. */
export interface CheckedUpdate {
  conversationId: ConversationId;
  botId: string;
  chatId: string;
  userId: string | null;
  update: MaxUpdate;
  /** The stored event of the update (verdicts are recorded with it; the check's event id derives from it). */
  eventId: number;
  /** The conversation's row, or null before it was first routed. */
  existing: ConversationRow | null;
  signal?: AbortSignal;
  jobId?: number;
}

/** The verdicts as hook events and the route record tell them. */
export interface VerdictSummary {
  name: string;
  verdict: CheckOutcome['verdict'];
  source: CheckOutcome['source'] | 'admin';
}

export type RoutingCheck =
  /** A check held or blocked the conversation: its gate is set, the verdicts recorded. */
  | { kind: 'gated' }
  | {
    kind: 'allowed';
    /** The conversation's tags with the checks' (existing ones first). */
    tags: string[];
    /** Whether the checks gave tags it did not have (routes may ask `when.tags`: decide again). */
    newTags: boolean;
    /** The route an `allow` named (an existing one), or null. */
    route: string | null;
    /** The operator's line about the checks, or null. */
    line: string | null;
    verdicts: VerdictSummary[];
    /** Records the verdicts: run it in the transaction that routes the conversation. */
    record: OnComplete;
  };

export type MessageCheck =
  | { kind: 'gated' }
  | { kind: 'allowed'; line: string | null; verdicts: VerdictSummary[]; record: OnComplete };

function fullName(user: MaxUser | null | undefined): string | null {
  return [user?.first_name, user?.last_name].filter((v) => typeof v === 'string' && v).join(' ') || null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The client, the conversation and the message as a check is told them. */
export function checkSubject(u: CheckedUpdate, candidate: CheckSubject['candidate_route'], ownPhones: readonly string[] = []): CheckSubject {
  const { update, existing } = u;
  const sender = update.message?.sender ?? update.user ?? update.callback?.user;
  const message = update.update_type === 'message_created' ? update.message : null;
  const shared = message ? ownSharedPhone(message as unknown as Record<string, unknown>) : null;
  const sharedNormal = shared === null ? null : normalizedPhone(shared);
  const phone = existing?.clientPhone ?? (sharedNormal !== null && !isOwnPhone(sharedNormal, ownPhones) ? sharedNormal : null);
  const username = text(sender?.username);
  return {
    client: {
      max_user_id: u.userId ?? existing?.maxUserId ?? null, name: fullName(sender), ...(username ? { username } : {}),
      language: text(update.user_locale), ...(phone ? { phone } : {}),
    },
    conversation: {
      id: u.conversationId, bot: u.botId, max_chat_id: u.chatId,
      start_payload: update.update_type === 'bot_started' ? text(update.payload) : existing?.startPayload ?? null,
    },
    message: message ? {
      mid: midOfMessage(message), text: message.body?.text ?? null,
      attachments: (message.body?.attachments ?? []).map((a) => String(a.type ?? 'unknown')),
    } : null,
    candidate_route: candidate,
  };
}

/** A route and line as `candidate_route` names them. */
export function candidateOf(route: string | null, lineRef: LineRef): CheckSubject['candidate_route'] {
  return route === null ? null : { route, line: lineRef, portal: portalOfLine(lineRef) };
}

/** Asks `checks` in order until one does not allow. */
async function runChecks(env: CheckEnv, checks: readonly CheckConfig[], type: CheckType, u: CheckedUpdate, subject: CheckSubject): Promise<{ outcomes: CheckOutcome[]; decisive: CheckOutcome | null }> {
  const deps = env.checks as ChecksDeps;
  const log = env.log ?? silentLogger();
  const outcomes: CheckOutcome[] = [];
  for (const check of checks) {
    const outcome = await askCheck(check, {
      type, subject, conversationId: u.conversationId, updateEventId: u.eventId, signal: u.signal,
      correlation: { conversationId: u.conversationId, botId: u.botId, maxChatId: u.chatId, ...(u.userId ? { maxUserId: u.userId } : {}), ...(u.jobId ? { jobId: String(u.jobId) } : {}) },
    }, deps);
    outcomes.push(outcome);
    if (outcome.source !== 'answer') {
      log.warn({ conversationId: u.conversationId, check: check.name, source: outcome.source, verdict: outcome.verdict, problem: outcome.problem },
        `check ${check.name} gave no verdict (${outcome.source}); its on_error (${outcome.verdict}) applies`);
    }
    if (outcome.verdict !== 'allow') return { outcomes, decisive: outcome };
  }
  return { outcomes, decisive: null };
}

function recordAll(env: CheckEnv, u: CheckedUpdate, outcomes: readonly CheckOutcome[], atMs: number): OnComplete {
  return async (trx) => {
    for (const o of outcomes) {
      await env.store.hooks.recordVerdict({
        conversationId: u.conversationId, checkName: o.check, verdict: o.verdict, source: o.source, route: o.route, tags: o.tags, note: o.note, eventId: u.eventId, atMs,
      }, trx);
    }
  };
}

/** Records the verdicts and sets the gate of the decisive one, in one transaction. */
async function gate(env: CheckEnv, u: CheckedUpdate, outcomes: readonly CheckOutcome[], decisive: CheckOutcome, atMs: number): Promise<void> {
  await env.store.transaction(async (trx) => {
    await recordAll(env, u, outcomes, atMs)(trx);
    await env.store.hooks.setGate({ conversationId: u.conversationId, verdict: decisive.verdict === 'block' ? 'block' : 'hold', checkName: decisive.check, note: decisive.note }, trx);
  });
  (env.log ?? silentLogger()).info({ conversationId: u.conversationId, check: decisive.check, verdict: decisive.verdict, source: decisive.source },
    decisive.verdict === 'block' ? 'conversation blocked by a check: nothing of it reaches a line' : 'conversation held by a check until an administrator releases it');
}

const summaryOf = (o: Pick<CheckOutcome, 'check' | 'verdict' | 'source'>): VerdictSummary => ({ name: o.check, verdict: o.verdict, source: o.source });

/** The administrator's release standing for this routing (newer than the conversation's last routing), or null. */
function releaseFor(latest: CheckVerdictRow | null, existing: ConversationRow | null): CheckVerdictRow | null {
  if (!latest || latest.source !== 'admin' || latest.verdict !== 'allow') return null;
  const routedAtMs = existing ? routeRecordOf(existing.routeJson)?.atMs ?? existing.createdAtMs : null;
  return routedAtMs === null || latest.atMs > routedAtMs ? latest : null;
}

const NOTHING: OnComplete = async () => undefined;

/**
 * Before a conversation is routed (new, or its session closed): asks every configured check
 * about the update with the router's `candidate`, unless an administrator has released it.
 * `routeExists` tells whether a route an answer names is in force (one that is not: routed as
 * usual, with a warning and a note for the operator).
 */
export async function checkBeforeRouting(env: CheckEnv, u: CheckedUpdate, candidate: CheckSubject['candidate_route'], routeExists: (name: string) => boolean, ownPhones?: readonly string[]): Promise<RoutingCheck> {
  const base = u.existing?.tags ?? [];
  const checks = env.checks?.list() ?? [];
  if (checks.length === 0) return { kind: 'allowed', tags: [...base], newTags: false, route: null, line: null, verdicts: [], record: NOTHING };
  const log = env.log ?? silentLogger();
  const release = releaseFor(await env.store.hooks.latestVerdict(u.conversationId), u.existing);
  if (release) {
    // Let through by an administrator: what the checks said about this update still counts (tags, a route).
    const said = (await env.store.hooks.verdictsOfEvent(u.conversationId, u.eventId)).filter((v) => v.source !== 'admin');
    const stopped = said.find((v) => v.verdict !== 'allow') ?? null;
    const tags = mergeTags(base, ...said.map((v) => v.tags));
    const route = said.find((v) => v.verdict === 'allow' && v.route !== null && routeExists(v.route))?.route ?? null;
    const line = [releasedText(release.checkName, stopped?.verdict === 'block' ? 'block' : stopped ? 'hold' : null, release.note), checksLineText(said.map((v) => ({ check: v.checkName, tags: v.tags, note: v.note, route: v.route })))]
      .filter(Boolean).join('\n');
    return { kind: 'allowed', tags, newTags: tags.length > base.length, route, line, verdicts: [{ name: release.checkName, verdict: 'allow', source: 'admin' }], record: NOTHING };
  }
  const { outcomes, decisive } = await runChecks(env, checks, 'check.conversation', u, checkSubject(u, candidate, ownPhones));
  // The verdicts' time: when the last came (an answer, or the timeout).
  const atMs = env.checks?.clock.nowMs() ?? Date.now();
  if (decisive) {
    await gate(env, u, outcomes, decisive, atMs);
    return { kind: 'gated' };
  }
  const taken = outcomes.map((o) => {
    if (o.route === null || routeExists(o.route)) return o;
    log.warn({ conversationId: u.conversationId, check: o.check, route: o.route }, `check ${o.check} named route ${o.route}, which is not among the routes; the conversation is routed as usual`);
    return { ...o, route: null, note: unknownRouteNote(o.route, o.note) };
  });
  const tags = mergeTags(base, ...taken.map((o) => o.tags));
  return {
    kind: 'allowed', tags, newTags: tags.length > base.length, route: taken.find((o) => o.route !== null)?.route ?? null,
    line: checksLineText(taken), verdicts: taken.map(summaryOf), record: recordAll(env, u, taken, atMs),
  };
}

/**
 * A client's message in a routed conversation, asked of the checks with `each_message: true`
 * (its current route as the candidate). A route in an answer is ignored (logged): the
 * conversation stays on its line; tags add to the conversation's.
 */
export async function checkMessage(env: CheckEnv, u: CheckedUpdate & { existing: ConversationRow }): Promise<MessageCheck | null> {
  const checks = (env.checks?.list() ?? []).filter((c) => c.each_message);
  if (checks.length === 0 || u.update.update_type !== 'message_created') return null;
  const latest = await env.store.hooks.latestVerdict(u.conversationId);
  // Released by an administrator: the per-message checks wait until a check answers for it again (a new routing).
  if (latest?.source === 'admin' && latest.verdict === 'allow') return null;
  const conversation = u.existing;
  const { outcomes, decisive } = await runChecks(env, checks, 'check.message', u, checkSubject(u, candidateOf(conversation.routeName, conversation.lineRef)));
  const atMs = env.checks?.clock.nowMs() ?? Date.now();
  if (decisive) {
    await gate(env, u, outcomes, decisive, atMs);
    return { kind: 'gated' };
  }
  const log = env.log ?? silentLogger();
  for (const o of outcomes) {
    if (o.route !== null) log.info({ conversationId: u.conversationId, check: o.check, route: o.route }, `check ${o.check} named route ${o.route} for a message of a routed conversation; ignored (a conversation is routed once per session)`);
  }
  const tags = mergeTags(conversation.tags, ...outcomes.map((o) => o.tags));
  const record = recordAll(env, u, outcomes, atMs);
  return {
    kind: 'allowed', line: checksLineText(outcomes.map((o) => ({ ...o, route: null }))), verdicts: outcomes.map(summaryOf),
    record: async (trx) => {
      await record(trx);
      if (tags.length > conversation.tags.length) await env.store.conversations.setTags(conversation.id, tags, trx);
    },
  };
}

/**
 * An update of a held or blocked conversation. Blocked: the client is told `block_reply` once,
 * and the returned step records the update as skipped (in the job's "done"). Held: the client
 * is told `hold_reply` once (when set), and the update is put back (NotYet) — its queue waits.
 */
export async function gatedUpdate(
  env: CheckEnv & { max: Pick<MaxClient, 'sendMessage'> },
  g: ConversationGate,
  u: { conversationId: ConversationId; chatId: string; eventId: number; source: string; kind: string },
): Promise<OnComplete> {
  const check = env.checks?.list().find((c) => c.name === g.checkName);
  const reply = g.verdict === 'block' ? check?.block_reply ?? DEFAULT_BLOCK_REPLY : check?.hold_reply ?? '';
  if (reply !== '' && await env.store.hooks.markReplied(g.conversationId)) {
    try {
      await env.max.sendMessage({ chatId: u.chatId }, { text: reply }, { conversationId: u.conversationId });
    } catch (err) {
      (env.log ?? silentLogger()).warn({ err, code: codeOf(err), conversationId: u.conversationId, verdict: g.verdict },
        'telling the client that their conversation is held or blocked failed; they are not told again');
    }
  }
  if (g.verdict === 'hold') {
    throw new NotYet((env.checks?.clock.nowMs() ?? Date.now()) + HOLD_RECHECK_MS, `held by check ${g.checkName}`);
  }
  return async (trx) => env.store.skipped.record({ eventId: u.eventId, source: u.source, kind: u.kind, reason: 'blocked_by_check' }, trx);
}
