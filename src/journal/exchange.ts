/**
 * The journal layer of the side clients: performs one HTTP exchange through
 * the transport and records it (direction out, endpoint, status, duration,
 * correlation ids, redacted bodies). A journal failure never fails the call.
 */
import { abortOnTimeoutOrSignal } from '../domain/abort-after.ts';
import type { Clock } from '../domain/clock.ts';
import type { JournalEntry, JournalWriter, Side } from '../domain/ports.ts';
import { redactText, redactUrl } from './redact.ts';

/** The ids that find an exchange again (the journal's columns; docs/operations.md, "Journal"). */
export type Correlation = Pick<JournalEntry, 'botId' | 'portalId' | 'conversationId' | 'messageId' | 'jobId' | 'maxUserId' | 'maxChatId' | 'lineRef' | 'refs'>;

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
