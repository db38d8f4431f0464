/**
 * Asking one check (docs/hooks.md, "Checks"): the signed POST (src/hooks/hook-call.ts, journaled
 * on the `hook` side), bounded by the check's own `timeout_ms`, and its answer read as a verdict.
 *
 * The answer is `{"verdict": "allow" | "block" | "hold", "route"?: name, "tags"?: [..], "note"?: text}`
 * (other fields are ignored). No answer within `timeout_ms` is `on_error` with source `timeout`;
 * a refused connection, a non-2xx status, an answer that is not JSON or not a verdict is
 * `on_error` with source `error`. Never thrown: a check's trouble is the check's policy, not a
 * retry of the client's message — and the same update asks again with the same event id.
 */
import { z } from 'zod';
import { CHECK_VERDICTS, type CheckConfig, type CheckVerdict } from '../../config/hooks-schema.ts';
import type { Clock } from '../../domain/clock.ts';
import { BridgeError } from '../../domain/errors.ts';
import { describeNetworkFailure } from '../../domain/network-failure.ts';
import type { JournalWriter } from '../../domain/ports.ts';
import { MAX_TAGS_PER_VERDICT, tagProblem } from '../../domain/routing/conversation-tags.ts';
import { callHook, HOOK_UNREACHABLE } from '../../hooks/hook-call.ts';
import type { Correlation } from '../../journal/exchange.ts';
import { hookEventId } from '../hook-events.ts';

/** A 2xx answer of a check that is not a verdict (logged and recorded; the check's `on_error` applies). */
export const CHECK_BAD_ANSWER = 'BRG_ERR_CHECK_BAD_ANSWER';

/** The longest note kept from an answer (characters). */
export const NOTE_MAX_CHARS = 1_000;

export type CheckType = 'check.conversation' | 'check.message';

/** What a check is told (docs/hooks.md, "Checks": the request body but `id`, `type`, `at`, `check`). */
export interface CheckSubject {
  client: { max_user_id: string | null; name: string | null; username?: string; language: string | null; phone?: string };
  conversation: { id: string; bot: string; max_chat_id: string; start_payload: string | null };
  message: { mid: string; text: string | null; attachments: string[] } | null;
  candidate_route: { route: string; line: string; portal: string } | null;
}

/** One check's verdict as the bridge takes it (and records it: check_verdicts). */
export interface CheckOutcome {
  check: string;
  verdict: CheckVerdict;
  /** `answer`: the check said so; `timeout` / `error`: its `on_error` applied. */
  source: 'answer' | 'timeout' | 'error';
  /** The route the answer named (allow only), as written. */
  route: string | null;
  tags: string[];
  note: string | null;
  /** Why `on_error` applied, for the log (never recorded as the note). */
  problem?: string;
}

export interface CheckCallDeps {
  clock: Clock;
  journal?: JournalWriter;
  fetchFn?: typeof fetch;
}

const tag = z.string().superRefine((value, ctx) => {
  const problem = tagProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `tag ${JSON.stringify(value.slice(0, 60))} ${problem}` });
});

/** The answer's shape; unknown fields are ignored, `null` reads as absent. */
const answerSchema = z.looseObject({
  verdict: z.enum(CHECK_VERDICTS, { error: `verdict must be one of ${CHECK_VERDICTS.join(', ')}` }),
  route: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'route must be a route name').nullish(),
  tags: z.array(tag).max(MAX_TAGS_PER_VERDICT, `at most ${MAX_TAGS_PER_VERDICT} tags`).nullish(),
  note: z.string().max(NOTE_MAX_CHARS, `note must be at most ${NOTE_MAX_CHARS} characters`).nullish(),
});

/** The event id of one check's request about one update: a retried job sends the same one. */
export function checkEventId(check: string, conversationId: string, updateEventId: number): string {
  return hookEventId('check', `${check}:${conversationId}:${updateEventId}`);
}

/** The JSON body sent to a check. */
export function checkBody(check: string, type: CheckType, eventId: string, atMs: number, subject: CheckSubject): string {
  return JSON.stringify({ id: eventId, type, at: new Date(atMs).toISOString(), check, ...subject });
}

/** Reads a 2xx answer's text as a verdict; a string says what is wrong with it. */
export function parseCheckAnswer(text: string): z.output<typeof answerSchema> | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `the answer is not JSON: ${JSON.stringify(text.slice(0, 120))}`;
  }
  const parsed = answerSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  return `the answer is not a verdict: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`).join('; ')}`;
}

function onError(check: CheckConfig, source: 'timeout' | 'error', problem: string): CheckOutcome {
  return { check: check.name, verdict: check.on_error, source, route: null, tags: [], note: null, problem };
}

/** Asks `check` about `subject`; always a verdict (the answer's, or the check's `on_error`). */
export async function askCheck(
  check: CheckConfig,
  request: { type: CheckType; subject: CheckSubject; conversationId: string; updateEventId: number; signal?: AbortSignal; correlation?: Correlation },
  deps: CheckCallDeps,
): Promise<CheckOutcome> {
  const eventId = checkEventId(check.name, request.conversationId, request.updateEventId);
  let text: string;
  try {
    const answer = await callHook({
      name: check.name, url: check.url, secret: check.secret, eventId, body: checkBody(check.name, request.type, eventId, deps.clock.nowMs(), request.subject),
      timeoutMs: check.timeout_ms, signal: request.signal, correlation: request.correlation,
    }, deps);
    text = answer.text;
  } catch (err) {
    // The job itself is being stopped (lease lost, shutdown): not the check's failure.
    if (request.signal?.aborted) throw err;
    const timedOut = err instanceof BridgeError && err.code === HOOK_UNREACHABLE && describeNetworkFailure(err.cause).timedOut;
    return onError(check, timedOut ? 'timeout' : 'error', err instanceof Error ? err.message : String(err));
  }
  const parsed = parseCheckAnswer(text);
  if (typeof parsed === 'string') return onError(check, 'error', `${CHECK_BAD_ANSWER}: ${parsed}`);
  return {
    check: check.name, verdict: parsed.verdict, source: 'answer',
    route: parsed.verdict === 'allow' ? parsed.route ?? null : null,
    tags: parsed.tags ?? [], note: parsed.note ?? null,
  };
}
