/**
 * The webhooks' delivery log in the admin API (Authorization: Bearer <ADMIN_TOKEN>):
 * - `GET /admin/hooks/webhooks` — each configured webhook (name, address without its query,
 *   events) with its deliveries pending, delivered and failed, and the oldest pending one's age;
 * - `GET /admin/hooks/deliveries?webhook=…&state=pending|delivered|failed&conversation=…&type=…&limit=…&before=…`
 *   — deliveries newest first, a page at a time (`next_before` → `before`).
 * A failed delivery is a dead letter: `POST /admin/dead-letters/:id/replay` sends it again.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { HOOK_EVENT_TYPES, webhookName, type WebhookConfig } from '../../config/hooks-schema.ts';
import { webhookAddress } from '../../hooks/webhook-address.ts';
import type { HookRepo } from '../../store/repos/hook-repo.ts';
import { adminAuthHook } from '../admin-auth.ts';
import { HttpError } from '../http-errors.ts';

export interface AdminHooksOptions {
  adminToken: string | undefined;
  hooks: Pick<HookRepo, 'deliveries' | 'summary'>;
  webhooks: () => readonly WebhookConfig[];
  nowMs?: () => number;
}

const deliveriesQuery = z.object({
  webhook: z.string().min(1).max(253).optional(),
  state: z.enum(['pending', 'delivered', 'failed'], { error: 'state must be pending, delivered or failed' }).optional(),
  conversation: z.string().min(1).max(200).optional(),
  type: z.enum(HOOK_EVENT_TYPES, { error: `type must be one of ${HOOK_EVENT_TYPES.join(', ')}` }).optional(),
  limit: z.coerce.number({ error: 'limit must be a number from 1 to 1000' }).int().min(1, 'limit must be from 1 to 1000').max(1_000, 'limit must be from 1 to 1000').default(100),
  before: z.coerce.number({ error: 'before must be a delivery id (next_before of the previous page)' }).int().positive('before must be a delivery id').optional(),
}).strict();

export function adminHooksPlugin(options: AdminHooksOptions): FastifyPluginAsync {
  const nowMs = options.nowMs ?? Date.now;
  return async (app) => {
    app.addHook('onRequest', adminAuthHook(options.adminToken));
    app.get('/admin/hooks/webhooks', async () => {
      const summary = await options.hooks.summary();
      const names = new Set(options.webhooks().map((w) => webhookName(w)));
      const entry = (name: string) => {
        const of = summary.filter((s) => s.webhook === name);
        const count = (state: string) => of.find((s) => s.state === state)?.count ?? 0;
        const oldest = of.find((s) => s.state === 'pending')?.oldestMs;
        return { pending: count('pending'), delivered: count('delivered'), failed: count('failed'), oldest_pending_age_ms: oldest === undefined ? null : Math.max(0, nowMs() - oldest) };
      };
      return {
        webhooks: [
          ...options.webhooks().map((w) => ({ name: webhookName(w), url: webhookAddress(w.url), events: w.events ?? [...HOOK_EVENT_TYPES], masked: w.masked, configured: true, ...entry(webhookName(w)) })),
          // Removed from the configuration, still with deliveries in the log.
          ...[...new Set(summary.map((s) => s.webhook))].filter((n) => !names.has(n)).map((name) => ({ name, url: null, events: [], masked: null, configured: false, ...entry(name) })),
        ],
      };
    });
    app.get('/admin/hooks/deliveries', async (request) => {
      const parsed = deliveriesQuery.safeParse(request.query);
      if (!parsed.success) throw new HttpError('invalidQuery', parsed.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown parameter(s): ${i.keys.join(', ')}` : i.message)).join('; '));
      const q = parsed.data;
      const rows = await options.hooks.deliveries({ webhook: q.webhook, state: q.state, conversationId: q.conversation, eventType: q.type, beforeId: q.before, limit: q.limit });
      return {
        deliveries: rows.map((d) => ({
          id: d.id, webhook: d.webhook, event_id: d.eventId, type: d.eventType, conversation_id: d.conversationId, state: d.state, attempts: d.attempts,
          last_status: d.lastStatus, last_error: d.lastError, last_duration_ms: d.lastDurationMs,
          created_at: new Date(d.createdAtMs).toISOString(), delivered_at: d.deliveredAtMs === null ? null : new Date(d.deliveredAtMs).toISOString(),
        })),
        next_before: rows.length === q.limit ? (rows.at(-1)?.id ?? null) : null,
      };
    });
  };
}
