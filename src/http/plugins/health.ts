import type { FastifyPluginAsync } from 'fastify';

export interface HealthOptions {
  /** Returns problems that make the bridge unhealthy (line paused, portal blocked the app, poller failing...). Empty = healthy. */
  check: () => Promise<string[]>;
}

/** GET /health: 200 {status:'ok'} or 503 {status:'degraded', problems}. No auth, no secrets. */
export function healthPlugin(options: HealthOptions): FastifyPluginAsync {
  return async (app) => {
    app.get('/health', async (_request, reply) => {
      const problems = await options.check();
      if (problems.length === 0) return { status: 'ok' };
      return reply.code(503).send({ status: 'degraded', problems });
    });
  };
}
