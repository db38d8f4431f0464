/**
 * Checks in the admin API (docs/hooks.md, "Checks"; Authorization: Bearer <ADMIN_TOKEN>, as every
 * /admin call):
 * - `GET /admin/gates` — the conversations a check (or an administrator) holds or blocks now;
 * - `GET /admin/conversations/:id/verdicts` — one conversation's verdicts, oldest first, with its
 *   gate and tags;
 * - `POST /admin/conversations/:id/release` `{"note"?: text}` — lifts the gate: the held updates
 *   go to the line now, in order, without asking the checks again (409 when nothing holds it);
 * - `POST /admin/conversations/:id/block` `{"note"?: text}` — blocks it: its updates are skipped
 *   from now on and the client is told the block reply once (404 for an unknown conversation).
 */
import type { FastifyPluginAsync } from 'fastify';
import { blockConversation, gateJson, releaseConversation, verdictJson } from '../../bridge/checks/gate-admin.ts';
import { parseConversationId, type ConversationId } from '../../domain/ids.ts';
import type { Store } from '../../store/open-store.ts';
import { adminAuthHook } from '../admin-auth.ts';
import { HttpError } from '../http-errors.ts';

export interface AdminChecksOptions {
  adminToken: string | undefined;
  store: Store;
  nowMs: () => number;
  /** Jobs were woken (a release or a block): the runner may look for them at once. */
  onWoken?: () => void;
}

function conversationIdOf(params: unknown): ConversationId {
  const id = parseConversationId((params as { id: string }).id);
  if (id === null) throw new HttpError('invalidQuery', 'the conversation id is <bot id>:<MAX chat id>, e.g. sales:90000001');
  return id;
}

/** `{"note": "…"}` or no body; the note is kept with the administrator's verdict. */
function noteOf(body: unknown): string | null {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    if (body.trim() === '') return null;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new HttpError('malformedBody');
    }
  }
  if (parsed === undefined || parsed === null) return null;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new HttpError('invalidBody', 'the body must be a JSON object, e.g. {"note": "checked by phone"} or {}');
  const note = (parsed as { note?: unknown }).note;
  if (note === undefined || note === null) return null;
  if (typeof note !== 'string' || note.length > 1_000) throw new HttpError('invalidBody', 'note must be text of at most 1000 characters');
  return note.trim() || null;
}

export function adminChecksPlugin(options: AdminChecksOptions): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', adminAuthHook(options.adminToken));
    app.get('/admin/gates', async () => ({ gates: (await options.store.hooks.gates()).map(gateJson) }));
    app.get('/admin/conversations/:id/verdicts', async (request) => {
      const id = conversationIdOf(request.params);
      const [verdicts, gate, conversation] = [await options.store.hooks.verdictsOf(id), await options.store.hooks.gate(id), await options.store.conversations.get(id)];
      if (verdicts.length === 0 && !gate && !conversation) throw new HttpError('notFound', `no conversation ${id} and no verdicts about it`);
      return { conversation_id: id, gate: gate ? gateJson(gate) : null, tags: conversation?.tags ?? [], verdicts: verdicts.map(verdictJson) };
    });
    app.post('/admin/conversations/:id/release', async (request) => {
      const id = conversationIdOf(request.params);
      const done = await releaseConversation(options.store, id, { nowMs: options.nowMs(), note: noteOf(request.body) });
      if (!done.done) throw new HttpError('notGated', `conversation ${id} is neither held nor blocked (GET /admin/gates lists those that are)`);
      options.onWoken?.();
      return { released: { conversation_id: id, was: done.gate ? gateJson(done.gate) : null, woken_jobs: done.woken } };
    });
    app.post('/admin/conversations/:id/block', async (request) => {
      const id = conversationIdOf(request.params);
      const done = await blockConversation(options.store, id, { nowMs: options.nowMs(), note: noteOf(request.body) });
      if (!done.done) throw new HttpError('notFound', `no conversation ${id} and no verdicts about it; ids are <bot id>:<MAX chat id>`);
      options.onWoken?.();
      return { blocked: { conversation_id: id, gate: done.gate ? gateJson(done.gate) : null, woken_jobs: done.woken } };
    });
  };
}
