/**
 * The journal in the admin API (Authorization: Bearer <ADMIN_TOKEN>, as every /admin call):
 * - `GET /admin/journal?client=…&chat=…&conversation=…&message=…&portal=…&line=…&bot=…&side=…
 *   &direction=…&from=…&to=…&status=…&code=…&limit=…&before=…` — matching rows, newest
 *   first, a page at a time (`next_before` → `before` for the next page);
 * - `GET /admin/conversations/:id/trail?format=json|html&lang=ru|en` — one conversation's
 *   whole trail (src/journal/trail.ts), as JSON or as a page to attach to a dispute
 *   (`download=1` asks the browser to save it).
 * Bodies are as the journal holds them: secrets redacted and personal data masked when written.
 */
import type { FastifyPluginAsync } from 'fastify';
import { loadTrailInput } from '../../bridge/trail-source.ts';
import { parseConversationId } from '../../domain/ids.ts';
import { parseJournalQuery } from '../../journal/journal-query.ts';
import type { MaskingPolicy } from '../../journal/masking.ts';
import { buildTrail } from '../../journal/trail.ts';
import { renderTrailHtml } from '../../journal/trail-html.ts';
import type { Store } from '../../store/open-store.ts';
import { adminAuthHook } from '../admin-auth.ts';
import { HttpError } from '../http-errors.ts';

export interface AdminJournalOptions {
  adminToken: string | undefined;
  store: Store;
  policy: () => MaskingPolicy;
  nowMs: () => number;
}

export function adminJournalPlugin(options: AdminJournalOptions): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', adminAuthHook(options.adminToken));
    app.get('/admin/journal', async (request) => {
      const parsed = parseJournalQuery(request.query as Record<string, string | undefined>);
      if (!parsed.ok) throw new HttpError('invalidQuery', parsed.problems.join('; '));
      const page = await options.store.journal.search(parsed.query);
      return {
        rows: page.rows.map((r) => ({
          id: r.id, at: new Date(r.atMs).toISOString(), at_ms: r.atMs, side: r.side, direction: r.direction, method: r.method, endpoint: r.endpoint,
          status: r.status, duration_ms: r.durationMs, error_code: r.errorCode, bot_id: r.botId, portal_id: r.portalId, line: r.lineRef,
          conversation_id: r.conversationId, message_id: r.messageId, job_id: r.jobId, max_user_id: r.maxUserId, max_chat_id: r.maxChatId,
          refs: r.refs.map((x) => ({ conversation_id: x.conversationId, message_id: x.messageId })), request_body: r.requestBody, response_body: r.responseBody,
        })),
        next_before: page.nextBefore,
      };
    });
    app.get('/admin/conversations/:id/trail', async (request, reply) => {
      const id = parseConversationId((request.params as { id: string }).id);
      if (id === null) throw new HttpError('invalidQuery', 'the conversation id is <bot id>:<MAX chat id>, e.g. sales:90000001');
      const query = request.query as { format?: string; lang?: string; download?: string };
      const format = query.format ?? 'json';
      if (format !== 'json' && format !== 'html') throw new HttpError('invalidQuery', 'format must be json or html');
      if (query.lang !== undefined && query.lang !== 'ru' && query.lang !== 'en') throw new HttpError('invalidQuery', 'lang must be ru or en');
      const input = await loadTrailInput(options.store, id, { exportedAtMs: options.nowMs(), exportedBy: 'admin API', policy: options.policy() });
      if (!input) throw new HttpError('notFound', `no conversation ${id} and no journal rows of it`);
      const trail = buildTrail(input);
      const fileName = `trail-${id.replace(/[^\w-]/g, '_')}.${format}`;
      if (query.download === '1') void reply.header('content-disposition', `attachment; filename="${fileName}"`);
      if (format === 'json') return trail;
      return reply.header('content-type', 'text/html; charset=utf-8').send(renderTrailHtml(trail, query.lang === 'en' ? 'en' : 'ru'));
    });
  };
}
