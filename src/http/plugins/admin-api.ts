/**
 * The admin API (prefix /admin): dead letters, MAX updates kept but skipped
 * on purpose (group chats, channels, a first start's polling backlog), and
 * routing: where a sample update would go and why (`POST /admin/routes/explain`,
 * nothing sent), a conversation's route (`GET /admin/conversations/:id`) and
 * moving it to another route now (`POST /admin/conversations/:id/route`). Authentication:
 * `Authorization: Bearer <ADMIN_TOKEN>` (src/http/admin-auth.ts, shared by every admin plugin);
 * without a configured token the admin API is off (every call 401).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { DeadLetterRepo } from '../../store/repos/dead-letter-repo.ts';
import { z } from 'zod';
import { tagProblem } from '../../domain/routing/conversation-tags.ts';
import { SKIP_REASONS, type SkipReason, type SkippedUpdateRepo } from '../../store/repos/skipped-update-repo.ts';
import { adminAuthHook } from '../admin-auth.ts';
import { HttpError } from '../http-errors.ts';

/** What the routing endpoints need from the running bridge (src/runtime/start-bridge.ts). */
export interface AdminRouting {
  /** The names of the routes in force. */
  names(): string[];
  /** The decision for a sample (`POST /admin/routes/explain`'s body, checked), in `lang`. */
  explain(sample: RouteSample, lang: 'ru' | 'en'): Promise<unknown>;
  /** A conversation with its route and why; null when there is none. */
  conversation(id: string): Promise<Record<string, unknown> | null>;
  /** Queues the move; the job's id. */
  move(conversationId: string, route: string): Promise<number>;
}

/** A sample update for `route explain`: a MAX update as MAX sends it, or its parts. */
export interface RouteSample {
  bot: string;
  update?: Record<string, unknown>;
  text?: string;
  payload?: string;
  chat_type?: 'dialog' | 'chat';
  language?: string;
  /** ISO 8601 with an offset; default now. */
  at?: string;
  /** Tags checks would give the conversation (routes' `when.tags`); default none. */
  tags?: string[];
}

export interface AdminApiOptions {
  adminToken: string | undefined;
  deadLetters: DeadLetterRepo;
  skipped?: SkippedUpdateRepo;
  routing?: AdminRouting;
}

/** A sample for explain, checked (the admin UI's routes page checks its form with it too). */
export const routeSampleSchema = z.object({
  bot: z.string().min(1).max(63),
  update: z.record(z.string(), z.unknown()).optional(),
  text: z.string().max(10_000).optional(),
  payload: z.string().max(512).optional(),
  chat_type: z.enum(['dialog', 'chat']).optional(),
  language: z.string().min(1).max(35).optional(),
  at: z.string().refine((v) => /(Z|[+-]\d\d:?\d\d)$/.test(v) && Number.isFinite(Date.parse(v)), 'must be an ISO 8601 time with its offset, e.g. 2026-12-03T20:00:00+03:00').optional(),
  tags: z.array(z.string().refine((v) => tagProblem(v) === null, 'must be a tag: 1–50 letters, digits, "_", ".", ":" or "-"')).max(100).optional(),
}).strict();

function jsonObjectOf(body: unknown): Record<string, unknown> {
  let parsed: unknown = {};
  try {
    if (typeof body === 'string' && body) parsed = JSON.parse(body);
    else if (typeof body === 'object' && body !== null) parsed = body;
  } catch {
    throw new HttpError('malformedBody');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError('invalidBody', 'the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function adminApiPlugin(options: AdminApiOptions): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', adminAuthHook(options.adminToken));
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
    app.post('/admin/routes/explain', async (request) => {
      if (!options.routing) throw new HttpError('notFound', 'routing is not available on this bridge');
      const parsed = routeSampleSchema.safeParse(jsonObjectOf(request.body));
      if (!parsed.success) throw new HttpError('invalidBody', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
      const lang = (request.query as { lang?: string }).lang === 'en' ? 'en' : 'ru';
      return options.routing.explain(parsed.data, lang);
    });
    app.get('/admin/conversations/:id', async (request) => {
      const id = (request.params as { id: string }).id;
      const found = await options.routing?.conversation(id);
      if (!found) throw new HttpError('notFound', `no conversation ${id}; ids are <bot id>:<MAX chat id>`);
      return found;
    });
    app.post('/admin/conversations/:id/route', async (request, reply) => {
      if (!options.routing) throw new HttpError('notFound', 'routing is not available on this bridge');
      const id = (request.params as { id: string }).id;
      const body = jsonObjectOf(request.body);
      const route = body.route;
      const names = options.routing.names();
      if (typeof route !== 'string' || !names.includes(route)) {
        throw new HttpError('invalidBody', `route must be one of ${names.join(', ')}, e.g. {"route": "${names[0] ?? 'default'}"}`);
      }
      if (!(await options.routing.conversation(id))) throw new HttpError('notFound', `no conversation ${id}; ids are <bot id>:<MAX chat id>`);
      const jobId = await options.routing.move(id, route);
      return reply.code(202).send({ moving: { conversation: id, route, job_id: jobId } });
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
