/**
 * Process metrics (CPU, memory, heap, event loop lag, GC, handles), under the
 * library's standard names (process_*, nodejs_*) so the usual dashboards work.
 * They describe the process, not a bridge: one registry per process, made on
 * first use and shared by every bridge the process runs (tests run several;
 * each would otherwise start its own event-loop monitor and GC observer). The
 * library's global default registry is never used.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | null = null;

export function processMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
