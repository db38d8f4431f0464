/**
 * Exports for a DWH in the admin API (Authorization: Bearer <ADMIN_TOKEN>, as every /admin
 * call; docs/exports.md):
 * - `GET /admin/export/:kind?from=…&to=…&format=ndjson|csv&bom=1` — conversations, messages
 *   or journal rows of a time range, streamed as they are read (src/hooks/export-stream.ts):
 *   the response is written chunk by chunk, and a slow reader holds the export where it is
 *   (the socket's backpressure reaches the generator), so the bridge's memory stays flat
 *   however many rows there are. A bad parameter is a 400 `BRG_ERR_INVALID_QUERY` naming it,
 *   before anything is read. A failure half-way ends the connection without the response's
 *   last chunk: the client sees an incomplete response, never a short file that looks whole.
 *
 * The same plugin keeps the SQL views for BI tools in step with the policy in force: when
 * the server is ready it replaces them under the configured `privacy` (src/store/bi-views.ts;
 * a policy change takes a restart, as for the journal). A failure there is logged and the
 * bridge runs on: the views serve reporting, not delivery.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { exportBytes } from '../../hooks/export-stream.ts';
import { exportFileName, parseExportRequest } from '../../hooks/export-query.ts';
import { EXPORT_CONTENT_TYPES } from '../../hooks/export-format.ts';
import type { Masker } from '../../journal/masking.ts';
import type { Store } from '../../store/open-store.ts';
import { adminAuthHook } from '../admin-auth.ts';
import { HttpError } from '../http-errors.ts';

export interface AdminExportOptions {
  adminToken: string | undefined;
  store: Store;
  /** The journal's masker (the configured `privacy` policy and key): exports mask as the journal does. */
  masker: Masker;
  nowMs: () => number;
  /** Replace the BI views when the server is ready (default true; tests of the API alone turn it off). */
  replaceViews?: boolean;
}

export function adminExportPlugin(options: AdminExportOptions): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', adminAuthHook(options.adminToken));
    if (options.replaceViews !== false) {
      app.addHook('onReady', async () => {
        await options.store.exports.replaceViews(options.masker.policy).catch((err: unknown) => {
          app.log.warn({ err }, 'the SQL views for BI tools could not be replaced; they stay as they were (npm run bridge -- export views retries)');
        });
      });
    }
    // No HEAD twin: Fastify would run the export for it and throw the bytes away.
    app.get('/admin/export/:kind', { exposeHeadRoute: false }, async (request, reply) => {
      const { kind } = request.params as { kind: string };
      const query = request.query as Record<string, string | string[] | undefined>;
      const repeated = Object.keys(query).filter((name) => Array.isArray(query[name]));
      if (repeated.length > 0) throw new HttpError('invalidQuery', `${repeated.join(', ')}: given more than once; give each parameter once`);
      const parsed = parseExportRequest({ ...(query as Record<string, string | undefined>), kind }, options.nowMs());
      if (!parsed.ok) throw new HttpError('invalidQuery', parsed.problems.join('; '));
      const body = Readable.from(exportBytes(options.store, options.masker, parsed.request), { objectMode: false, highWaterMark: 1 });
      return reply
        .header('content-type', EXPORT_CONTENT_TYPES[parsed.request.format])
        .header('content-disposition', `attachment; filename="${exportFileName(parsed.request)}"`)
        .header('cache-control', 'no-store')
        .send(body);
    });
  };
}
