/**
 * GET /metrics: the Prometheus text exposition (src/metrics/). Behind a bearer
 * token, because the bridge's port is public (MAX and Bitrix24 must reach its
 * webhooks) and a local reverse proxy makes every caller look like loopback:
 * `Authorization: Bearer <security.metrics_token>` (or the admin token, so one
 * secret can do both). With neither configured, /metrics is off (401).
 * The text carries ids from the configuration and counts — never a secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Exposition } from '../../metrics/exposition.ts';
import { HttpError } from '../http-errors.ts';

export interface MetricsOptions {
  /** The tokens that may read metrics (metrics_token, admin_token); unset ones are skipped. */
  tokens: ReadonlyArray<string | undefined>;
  exposition: Exposition;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function metricsPlugin(options: MetricsOptions): FastifyPluginAsync {
  const accepted = options.tokens.filter((t): t is string => typeof t === 'string' && t.length > 0).map(digest);
  return async (app) => {
    app.get('/metrics', async (request, reply) => {
      const header = request.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? digest(header.slice(7)) : null;
      // Hashed to 32 bytes on both sides: constant time whatever the lengths.
      if (!given || !accepted.some((t) => timingSafeEqual(t, given))) {
        throw new HttpError('unauthorized', 'metrics: send Authorization: Bearer <METRICS_TOKEN> (security.metrics_token or security.admin_token; with neither set, metrics are off)');
      }
      return reply.type(options.exposition.contentType).send(await options.exposition.render());
    });
  };
}
