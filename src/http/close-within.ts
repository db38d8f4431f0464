/**
 * Closes the bridge's HTTP server, waiting up to `waitMs` for the requests in flight; then the
 * connections still open are cut. Fastify's close waits for every request, and a sender that
 * trickles its body (or a handler stuck on a peer) would hold a shutdown for minutes (Node's
 * requestTimeout is 300 s). A request cut off is one its sender saw unanswered: MAX and Bitrix24
 * deliver it again, and the intake takes it once, so nothing is lost.
 */
import type { FastifyInstance } from 'fastify';

export interface ClosedWithin {
  /** Whether connections were still open after `waitMs` and were cut. */
  cut: boolean;
}

/** While waiting, connections whose request was answered are closed this often (keep-alive would hold them 5 s). */
const IDLE_SWEEP_MS = 50;

export async function closeWithin(app: FastifyInstance, waitMs: number): Promise<ClosedWithin> {
  const closing = app.close();
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'waited'>((resolve) => {
    timer = setTimeout(() => resolve('waited'), waitMs);
  });
  try {
    if ((await Promise.race([closing.then(() => 'closed' as const), waited])) === 'closed') return { cut: false };
    app.server.closeAllConnections();
    await closing;
    return { cut: true };
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
