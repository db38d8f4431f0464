import type { FastifyPluginAsync } from 'fastify';
import type { ReadinessReport } from '../../bridge/readiness.ts';

export interface ReadyOptions {
  /** The readiness check (src/bridge/readiness.ts); bounded in time by itself. */
  report: () => Promise<ReadinessReport>;
}

/**
 * GET /ready: readiness. 200 {status:'ready', database, bots, lines, problems: []}
 * or 503 {status:'not_ready', problems: [...], ...the same details}: each
 * problem names what is wrong and what to do. No auth: ids and states only,
 * never a secret.
 */
export function readyPlugin(options: ReadyOptions): FastifyPluginAsync {
  return async (app) => {
    app.get('/ready', async (_request, reply) => {
      const { ready, problems, database, bots, lines } = await options.report();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', problems, database, bots, lines });
    });
  };
}
