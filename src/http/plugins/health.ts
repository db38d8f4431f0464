import type { FastifyPluginAsync } from 'fastify';

/**
 * GET /health: liveness. 200 {status:'ok'} whenever the process can answer at
 * all — no I/O, no auth, no secrets, cheap enough to probe every second. What
 * makes the bridge unable to serve (database, paused lines, pollers) is
 * readiness: GET /ready (ready.ts).
 */
export function healthPlugin(): FastifyPluginAsync {
  return async (app) => {
    app.get('/health', async () => ({ status: 'ok' }));
  };
}
