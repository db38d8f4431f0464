/**
 * Erasure of one client in the admin API (Authorization: Bearer <ADMIN_TOKEN>, as every /admin
 * call), the same erasure as `npm run bridge -- erase` (src/store/repos/erasure-repo.ts):
 * - `POST /admin/erasures` `{"max_user_id": "123456789", "dry_run": true}` — what would be
 *   deleted or anonymised, per table, and the work that would never be done; nothing changed.
 *   `{"max_user_id": "…", "dry_run": false, "requested_by": "…", "vacuum": "full"|"plain"}` —
 *   erases, answers with the counts and the record. `dry_run` defaults to true: erasing is
 *   never the result of a forgotten field.
 * - `GET /admin/erasures[?max_user_id=…]` — the records, newest first; with an id, only that
 *   client's (their id is hashed with the bridge's key and compared: the records hold no id).
 * The erasure runs inside the request: on a large store it takes a while (the scans read the
 * events, the journal and the jobs; VACUUM FULL on PostgreSQL); use the CLI for a progress bar.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { MAX_USER_ID, NotAClientError, type EraseOptions, type ErasurePlan, type ErasureRecord, type ErasureRepo } from '../../store/repos/erasure-repo.ts';
import { adminAuthHook } from '../admin-auth.ts';
import { HttpError } from '../http-errors.ts';

export interface AdminErasuresOptions {
  adminToken: string | undefined;
  erasure: ErasureRepo;
  /** Told in the transaction that records an erasure (the `client.erased` hook event: src/bridge/client-erased.ts). */
  onErased?: EraseOptions['onErased'];
}

const bodySchema = z.object({
  max_user_id: z.union([z.string(), z.number()]),
  dry_run: z.boolean().default(true),
  requested_by: z.string().optional(),
  vacuum: z.enum(['full', 'plain']).optional(),
}).strict();

function userIdOf(value: unknown): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !MAX_USER_ID.test(text)) throw new HttpError('erasureUserId', `max_user_id: ${JSON.stringify(value)?.slice(0, 40) ?? 'missing'}`);
  return text;
}

function jsonBodyOf(body: unknown): Record<string, unknown> {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = body ? JSON.parse(body) : {};
    } catch {
      throw new HttpError('malformedBody');
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError('invalidBody', 'the body must be a JSON object: {"max_user_id": "…", "dry_run": true}');
  return parsed as Record<string, unknown>;
}

function planJson(plan: ErasurePlan) {
  return {
    dialogs: plan.dialogs, groups: plan.groups, rows: plan.rows, rows_total: plan.rowsTotal,
    unfinished: { jobs: plan.unfinished.jobs, dead_letters: plan.unfinished.deadLetters, outbox_items: plan.unfinished.outboxItems },
    rewrites: plan.rewrites,
  };
}

function recordJson(r: ErasureRecord) {
  return { id: r.id, at: new Date(r.atMs).toISOString(), at_ms: r.atMs, requested_by: r.requestedBy, subject_hash: r.subjectHash, rows: r.rows, rows_total: r.rowsTotal };
}

export function adminErasuresPlugin(options: AdminErasuresOptions): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', adminAuthHook(options.adminToken));
    app.post('/admin/erasures', async (request) => {
      const body = jsonBodyOf(request.body);
      const maxUserId = userIdOf(body.max_user_id);
      const parsed = bodySchema.safeParse(body);
      if (!parsed.success) throw new HttpError('invalidBody', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
      const { dry_run: dryRun, requested_by: requestedBy, vacuum } = parsed.data;
      if (!dryRun && (requestedBy === undefined || requestedBy.trim() === '' || requestedBy.length > 200)) throw new HttpError('erasureRequester');
      const notAClient = (err: unknown): never => {
        throw err instanceof NotAClientError ? new HttpError('erasureUserId', err.message) : err;
      };
      if (dryRun) return { dry_run: true, max_user_id: maxUserId, plan: planJson(await options.erasure.plan(maxUserId).catch(notAClient)) };
      const result = await options.erasure.erase(maxUserId, { requestedBy: `admin API: ${(requestedBy as string).trim()}`, vacuum, onErased: options.onErased }).catch(notAClient);
      return {
        dry_run: false, erasure: recordJson(result.record), dialogs: result.dialogs, groups: result.groups,
        unfinished: planJson(result).unfinished, freed_space: { vacuum: result.freedSpace.vacuum, vacuumed: result.freedSpace.vacuumed, wal_truncated: result.freedSpace.walTruncated ?? null, older_snapshots: result.freedSpace.olderSnapshots ?? null },
      };
    });
    app.get('/admin/erasures', async (request) => {
      const given = (request.query as { max_user_id?: string }).max_user_id;
      const maxUserId = given === undefined ? undefined : userIdOf(given);
      return { erasures: (await options.erasure.records(maxUserId === undefined ? {} : { maxUserId })).map(recordJson) };
    });
  };
}
