/**
 * One signed POST to a hook (a webhook receiver or a check): JSON body, `X-Bridge-Signature`
 * and `X-Bridge-Event-Id` (signature.ts), journaled on the `hook` side like every hop (bodies
 * masked by the journal's writer; the secret is only in the signature, never journaled).
 *
 * A failure is classified for the one retry policy (src/queue/retry-policy.ts):
 * - no answer (refused, reset, timeout) → BRG_ERR_HOOK_UNREACHABLE, retryable;
 * - 5xx, 429 (and 408) → BRG_ERR_HOOK_FAILED, retryable, `Retry-After` honoured as a floor;
 * - any other non-2xx → BRG_ERR_HOOK_REFUSED, not retryable (a dead letter, replayable).
 */
import type { Clock } from '../domain/clock.ts';
import { BridgeError } from '../domain/errors.ts';
import { describeNetworkFailure } from '../domain/network-failure.ts';
import type { JournalWriter } from '../domain/ports.ts';
import { journaledExchange, type Correlation } from '../journal/exchange.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.ts';

export const HOOK_UNREACHABLE = 'BRG_ERR_HOOK_UNREACHABLE';
export const HOOK_FAILED = 'BRG_ERR_HOOK_FAILED';
export const HOOK_REFUSED = 'BRG_ERR_HOOK_REFUSED';

export interface HookRequest {
  /** The webhook's or check's name: the journal's endpoint. */
  name: string;
  url: string;
  secret: string;
  eventId: string;
  /** The JSON text sent (and signed) as it is. */
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
  correlation?: Correlation;
}

export interface HookAnswer {
  status: number;
  text: string;
  durationMs: number;
}

export interface HookCallDeps {
  clock: Clock;
  journal?: JournalWriter;
  fetchFn?: typeof fetch;
}

function retryAfterMsOf(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed), 3_600) * 1_000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - nowMs), 3_600_000);
}

/** POSTs the signed body; returns the 2xx answer or throws a classified BridgeError. */
export async function callHook(request: HookRequest, deps: HookCallDeps): Promise<HookAnswer> {
  const nowMs = deps.clock.nowMs();
  const started = performance.now();
  let answer;
  try {
    answer = await journaledExchange({
      side: 'hook', method: 'POST', url: request.url, endpoint: request.name, timeoutMs: request.timeoutMs, signal: request.signal,
      headers: {
        'content-type': 'application/json; charset=utf-8', 'user-agent': 'max-bitrix24-bridge',
        [SIGNATURE_HEADER]: signatureHeader(request.secret, request.body, Math.floor(nowMs / 1_000)), [EVENT_ID_HEADER]: request.eventId,
      },
      body: request.body, correlation: request.correlation,
    }, deps);
  } catch (err) {
    const failure = describeNetworkFailure(err);
    throw new BridgeError(HOOK_UNREACHABLE, `${request.name}: no answer (${failure.timedOut ? `timed out after ${request.timeoutMs} ms` : failure.code})`, { retryable: true, certain: !failure.mayHaveReached, cause: err });
  }
  const durationMs = Math.round(performance.now() - started);
  if (answer.status >= 200 && answer.status < 300) return { status: answer.status, text: answer.text, durationMs };
  const snippet = answer.text.slice(0, 200).replace(/\s+/g, ' ');
  if (answer.status >= 500 || answer.status === 429 || answer.status === 408) {
    throw new BridgeError(HOOK_FAILED, `${request.name} answered HTTP ${answer.status}${snippet ? `: ${snippet}` : ''}`, {
      retryable: true, retryAfterMs: retryAfterMsOf(answer.headers.get('retry-after'), nowMs),
    });
  }
  throw new BridgeError(HOOK_REFUSED, `${request.name} refused the request with HTTP ${answer.status}${snippet ? `: ${snippet}` : ''} (fix the receiver, then replay the dead letter)`, { retryable: false });
}

/** The HTTP status a classified failure carries, for the delivery log (null: no answer). */
export function statusOfHookError(err: unknown): number | null {
  const match = err instanceof BridgeError ? /HTTP (\d{3})/.exec(err.message) : null;
  return match ? Number(match[1]) : null;
}
