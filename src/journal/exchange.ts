/**
 * The journal layer of the side clients: performs one HTTP exchange through
 * the transport and records it (direction out, endpoint, status, duration,
 * correlation ids, redacted bodies). A journal failure never fails the call.
 */
import type { Clock } from '../domain/clock.ts';
import type { JournalEntry, JournalWriter, Side } from '../domain/ports.ts';
import { redactText, redactUrl } from './redact.ts';

export interface Correlation {
  botId?: string;
  portalId?: string;
  conversationId?: string;
  messageId?: string;
  jobId?: string;
}

export interface ExchangeRequest {
  side: Side;
  method: string;
  url: string;
  /** What to journal as the endpoint (a REST method name); defaults to the redacted path. */
  endpoint?: string;
  headers?: Record<string, string>;
  body?: string | FormData;
  timeoutMs: number;
  signal?: AbortSignal;
  correlation?: Correlation;
}

export interface ExchangeResponse {
  status: number;
  text: string;
  headers: Headers;
}

/**
 * The signal of one exchange: aborted after `timeoutMs` or when the caller's signal aborts.
 *
 * Not `AbortSignal.any([AbortSignal.timeout(ms), signal])`: on Node 20 nothing holds that
 * composite strongly (its sources keep dependants through weak references, the timeout's timer
 * keeps its signal through one, and fetch only follows the signal it is given), so a garbage
 * collection during the request collected it and neither the timeout nor the caller's abort
 * reached fetch — a request the other side never answered then hung for good (the chaos run's
 * line flush waited 254 s on a 3 s Bitrix24 timeout, its job lease renewed all along). Here the
 * timer's closure and the caller's listener hold the controller until `release()`.
 */
function abortOnTimeoutOrSignal(timeoutMs: number, signal: AbortSignal | undefined): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

export async function journaledExchange(
  request: ExchangeRequest,
  deps: { clock: Clock; journal?: JournalWriter; fetchFn?: typeof fetch },
): Promise<ExchangeResponse> {
  const startedMs = deps.clock.nowMs();
  const realStart = performance.now();
  const entry: JournalEntry = {
    atMs: startedMs, side: request.side, direction: 'out', method: request.method,
    endpoint: request.endpoint ?? redactUrl(request.url), status: null, durationMs: 0,
    requestBody: typeof request.body === 'string' ? (redactText(request.body) ?? undefined) : request.body ? '[multipart]' : undefined,
    ...request.correlation,
  };
  const abort = abortOnTimeoutOrSignal(request.timeoutMs, request.signal);
  try {
    const res = await (deps.fetchFn ?? fetch)(request.url, {
      method: request.method, headers: request.headers, body: request.body, signal: abort.signal,
    });
    const text = await res.text();
    entry.status = res.status;
    entry.responseBody = redactText(text) ?? undefined;
    return { status: res.status, text, headers: res.headers };
  } catch (err) {
    entry.errorCode = err instanceof Error ? (err.name === 'TimeoutError' ? 'TIMEOUT' : err.name) : 'ERROR';
    throw err;
  } finally {
    abort.release();
    entry.durationMs = performance.now() - realStart;
    // The runtime's writer logs its own failures (logged-writer.ts); this catch only keeps a
    // journal failure from failing the exchange, which went through.
    await deps.journal?.write(entry).catch(() => undefined);
  }
}
