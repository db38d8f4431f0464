/**
 * The one place every outgoing call is already seen: the journal layer of both
 * side clients (src/journal/exchange.ts) writes one entry per HTTP exchange,
 * after its answer (or its failure). This writer counts each outgoing entry
 * (bridge_max_requests_total by bot, bridge_bitrix24_requests_total and
 * bridge_bitrix24_limit_errors_total by portal), then hands it to the journal.
 * The clients themselves stay unaware of metrics.
 */
import { classifyBitrix24Error } from '../bitrix24/errors.ts';
import type { JournalEntry, JournalWriter } from '../domain/ports.ts';
import type { BridgeMetrics, CallOutcome } from '../metrics/bridge-metrics.ts';

/** The portal's limit refusals (spec/bitrix24-rest.md, "Limits"): the only values of the `code` label. */
const BITRIX24_LIMIT_CODES: ReadonlySet<string> = new Set(['QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'OVERLOAD_LIMIT']);
const HTTP_OK = 200;
const HTTP_TOO_MANY_REQUESTS = 429;

function observe(metrics: BridgeMetrics, e: JournalEntry): void {
  if (e.direction !== 'out') return;
  if (e.side === 'max') {
    const outcome: CallOutcome = e.status === null ? 'network' : e.status === HTTP_OK ? 'ok' : e.status === HTTP_TOO_MANY_REQUESTS ? 'limited' : 'error';
    metrics.call('max', e.botId ?? 'unknown', outcome);
    return;
  }
  if (e.side !== 'bitrix24') return;
  const portalId = e.portalId ?? 'unknown';
  if (e.status === null || e.status === HTTP_OK) {
    metrics.call('bitrix24', portalId, e.status === null ? 'network' : 'ok');
    return;
  }
  // Refusals only (rare): the body says which; the client's own classifier reads it.
  const code = classifyBitrix24Error(e.status, e.responseBody ?? '', 0).bitrixCode;
  const limited = BITRIX24_LIMIT_CODES.has(code);
  metrics.call('bitrix24', portalId, limited ? 'limited' : 'error');
  if (limited) metrics.limitError(portalId, code);
}

export function observedJournal(journal: JournalWriter, metrics: BridgeMetrics): JournalWriter {
  return {
    write(entry) {
      observe(metrics, entry);
      return journal.write(entry);
    },
  };
}
