/**
 * The hook events of routing (docs/hooks.md, "Events"): `conversation.started` when a
 * conversation's row is made, `conversation.routed` each time it is bound to a line (new, routed
 * afresh after its session closed, or moved by hand). Written by the caller in the transaction
 * that makes or reroutes the conversation (hook-events.ts), keyed so a retried job writes each once.
 */
import { portalOfLine, type LineRef } from '../domain/ids.ts';
import type { ConversationRow } from '../store/repos/conversation-repo.ts';
import type { NewHookEvent } from './hook-events.ts';
import type { RouteRecord } from './router.ts';

/** A check's verdict as `conversation.routed` tells it. */
export interface RoutedCheck {
  name: string;
  verdict: 'allow' | 'hold' | 'block';
  source: 'answer' | 'timeout' | 'error' | 'admin';
}

type Routed = Pick<ConversationRow, 'id' | 'botId' | 'maxChatId' | 'maxUserId' | 'startPayload' | 'tags'> & { lineRef: LineRef };

export function conversationStartedEvent(conversation: Routed, record: Pick<RouteRecord, 'route'>): NewHookEvent {
  return {
    type: 'conversation.started', conversationId: conversation.id, key: `started:${conversation.id}`,
    data: {
      conversation_id: conversation.id, bot: conversation.botId, max_chat_id: conversation.maxChatId, max_user_id: conversation.maxUserId,
      start_payload: conversation.startPayload, route: record.route, line: conversation.lineRef, portal: portalOfLine(conversation.lineRef), tags: conversation.tags,
    },
  };
}

export function conversationRoutedEvent(conversation: Routed, record: Pick<RouteRecord, 'route' | 'via' | 'atMs'>, checks: readonly RoutedCheck[], movedBy?: string): NewHookEvent {
  return {
    type: 'conversation.routed', conversationId: conversation.id, key: `routed:${conversation.id}:${record.atMs}`,
    data: {
      conversation_id: conversation.id, bot: conversation.botId, route: record.route, line: conversation.lineRef, portal: portalOfLine(conversation.lineRef),
      via: record.via, tags: conversation.tags, checks: checks.map((c) => ({ name: c.name, verdict: c.verdict, source: c.source })),
      ...(movedBy === undefined ? {} : { moved_by: movedBy }),
    },
  };
}
