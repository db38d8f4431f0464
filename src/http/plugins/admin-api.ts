/**
 * The admin API (prefix /admin): dead letters, and MAX updates kept but skipped
 * on purpose (group chats, channels, a first start's polling backlog). Authentication lives
 * inside the plugin: `Authorization: Bearer <ADMIN_TOKEN>`, compared in
 * constant time; without a configured token the admin API is off (every call 401).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { DeadLetterRepo } from '../../store/repos/dead-letter-repo.ts';
import type { SkipReason, SkippedUpdateRepo } from '../../store/repos/skipped-update-repo.ts';
import { HttpError } from '../http-errors.ts';

export interface AdminApiOptions {
  adminToken: string | undefined;
  deadLetters: DeadLetterRepo;
  skipped?: SkippedUpdateRepo;
}

const SKIP_REASONS: readonly SkipReason[] = ['group_chat', 'channel', 'group_or_channel', 'polling_backlog'];

function sameSecret(given: string, expected: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function adminApiPlugin(options: AdminApiOptions): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/admin/')) return;
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!options.adminToken || !token || !sameSecret(token, options.adminToken)) {
        throw new HttpError('unauthorized', 'admin API: send Authorization: Bearer <ADMIN_TOKEN>');
      }
    });
    app.get('/admin/dead-letters', async () => ({ dead_letters: await options.deadLetters.list(1_000) }));
    // Newest first, each with the update as MAX sent it: ?reason=polling_backlog&limit=100.
    app.get('/admin/skipped-updates', async (request) => {
      const query = request.query as { reason?: string; limit?: string };
      if (query.reason !== undefined && !SKIP_REASONS.includes(query.reason as SkipReason)) {
        throw new HttpError('invalidBody', `reason must be one of ${SKIP_REASONS.join(', ')}`);
      }
      if (query.limit !== undefined && !/^[1-9]\d{0,3}$/.test(query.limit)) throw new HttpError('invalidBody', 'limit must be a whole number from 1 to 9999');
      const reason = query.reason as SkipReason | undefined;
      if (!options.skipped) return { total: 0, skipped_updates: [] };
      return { total: await options.skipped.count(reason), skipped_updates: await options.skipped.list({ reason, limit: Number(query.limit ?? 1_000) }) };
    });
    app.post('/admin/dead-letters/:id/replay', async (request) => {
      const id = (request.params as { id: string }).id;
      if (!/^\d+$/.test(id)) throw new HttpError('invalidBody', 'job id must be a positive integer');
      if (!(await options.deadLetters.replay(Number(id)))) throw new HttpError('notFound', `no dead letter with id ${id}`);
      return { replayed: [Number(id)] };
    });
    app.post('/admin/dead-letters/replay', async (request) => {
      let parsed: unknown = {};
      try {
        if (typeof request.body === 'string' && request.body) parsed = JSON.parse(request.body);
      } catch {
        throw new HttpError('malformedBody');
      }
      // Only an object (or no body) is a request: `null` would throw below (a 500), and an
      // array or a number must not quietly mean "replay every dead letter".
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new HttpError('invalidBody', 'the body must be a JSON object, e.g. {"error_code": "BRG_ERR_..."} or {}');
      }
      const body = parsed as { error_code?: unknown };
      if (body.error_code !== undefined && typeof body.error_code !== 'string') throw new HttpError('invalidBody', 'error_code must be a string');
      return { replayed_count: await options.deadLetters.replayAll(body.error_code as string | undefined) };
    });
  };
}
