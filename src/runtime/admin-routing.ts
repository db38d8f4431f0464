/**
 * Routing as the admin API (`POST /admin/routes/explain`, `GET|POST /admin/conversations/:id…`)
 * and the admin UI's routes and conversation pages use it: the route names in force, where a
 * sample would go and why (the router's own decision, reading what a real one reads — lines
 * paused, conversations per line — and sending nothing), a conversation's route, and a move
 * queued as a job of the conversation. Made once by src/runtime/start-bridge.ts.
 */
import type { Router } from '../bridge/router.ts';
import { routeRecordOf } from '../bridge/router.ts';
import { explainRoute, routingInputOf } from '../bridge/route-explain.ts';
import { parseConversationId, type ConversationId } from '../domain/ids.ts';
import { describeDecision } from '../domain/routing/describe-decision.ts';
import type { RouteRule } from '../domain/routing/route-rule.ts';
import type { AdminRouting } from '../http/plugins/admin-api.ts';
import { CONVERSATION_MOVE_JOB, conversationQueue } from '../queue/job-kinds.ts';
import type { Store } from '../store/open-store.ts';

export interface AdminRoutingDeps {
  store: Store;
  router: Pick<Router, 'decide'>;
  /** The routes in force (a reload swaps them). */
  rules: () => readonly RouteRule[];
  nowMs: () => number;
  /** Wakes the job runner: a move runs at once. */
  poke: () => void;
}

export function adminRoutingOf(deps: AdminRoutingDeps): AdminRouting {
  const { store } = deps;
  return {
    names: () => deps.rules().map((r) => r.name),
    async explain(sample, lang) {
      const nowMs = sample.at ? Date.parse(sample.at) : deps.nowMs();
      const input = sample.update ? { ...routingInputOf(sample.update, sample.bot, nowMs), tags: sample.tags ?? [] } : {
        botId: sample.bot, chatType: sample.chat_type ?? 'dialog', startPayload: sample.payload ?? null, firstText: sample.text ?? null, language: sample.language ?? null, nowMs, tags: sample.tags ?? [],
      };
      // Reads what a real decision reads (lines paused, conversations per line); sends nothing.
      const outcome = await deps.router.decide(input);
      if (outcome.kind === 'routed') {
        const { decision } = outcome;
        return { route: decision.route, target: { portal: decision.target.portalId, line_id: decision.target.lineId }, line: outcome.record.line, via: decision.via, why: describeDecision(decision, lang), considered: decision.considered };
      }
      const explained = explainRoute(deps.rules(), input, { lang });
      return { route: outcome.kind === 'not-set-up' ? explained.decision?.route ?? null : null, target: null, via: null, why: outcome.kind === 'not-set-up' ? [...explained.lines, lang === 'ru' ? `портал ${outcome.portalId}: линия ещё не подключена` : `portal ${outcome.portalId}: the line is not set up yet`] : explained.lines, considered: explained.considered };
    },
    async conversation(id) {
      const conversationId = parseConversationId(id);
      const row = conversationId === null ? null : await store.conversations.get(conversationId);
      if (!row) return null;
      return { id: row.id, bot: row.botId, line: row.lineRef, state: row.state, route: row.routeName, route_open: row.routeOpen, routed: routeRecordOf(row.routeJson) };
    },
    async move(conversationId, route) {
      const id = parseConversationId(conversationId) as ConversationId;
      const jobId = await store.jobs.enqueue({ kind: CONVERSATION_MOVE_JOB, conversationKey: conversationQueue(id), payload: { conversationId: id, route, by: 'admin' } });
      deps.poke();
      return jobId;
    },
  };
}
