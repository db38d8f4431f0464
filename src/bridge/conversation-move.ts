/**
 * A conversation moved to another route now, by hand: from the admin API
 * (`POST /admin/conversations/:id/route`), the CLI (`npm run bridge -- route
 * move`) or an operator typing `/route <name>` in the Open Line (the command is
 * never sent to the client). The `conversation.move` job runs in the
 * conversation's own queue, so it goes between the client's messages, never
 * across one; the route picks its line as for a new conversation (its
 * conditions not asked), the conversation is bound there with what still waits
 * in its outbox, and both lines get a visible note: the old one in its Open
 * Lines chat, the new one as the first item of the conversation there.
 * A route that does not exist is told to the operator on the old line (with
 * the names that do) — the admin API and the CLI refuse it before queueing.
 */
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { targetLabel, type RouteRule } from '../domain/routing/route-rule.ts';
import { BridgeError } from '../domain/errors.ts';
import { makeMessageKey, portalOfLine } from '../domain/ids.ts';
import { codeOf, silentLogger, type Logger } from '../log/logger.ts';
import { CONVERSATION_MOVE_JOB, parseJobPayload } from '../queue/job-kinds.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';
import type { ConversationRow } from '../store/repos/conversation-repo.ts';
import { sortKeyOf } from '../store/repos/outbox-repo.ts';
import type { Router } from './router.ts';
import type { HookEmitter } from './hook-events.ts';
import { conversationRoutedEvent } from './routing-events.ts';

export interface ConversationMoveDeps {
  store: Store;
  router: Router;
  rules: () => readonly RouteRule[];
  bitrixFor: (portalId: string) => Bitrix24Client | undefined;
  nowMs: () => number;
  log?: Logger;
  /** Hook events (hook-events.ts): `conversation.routed` (via `moved`) with the move; absent = none. */
  hookEvents?: HookEmitter;
}

/** `/route <name>` at the start of an operator's message (after the signature); the name, or null. */
export function routeCommandOf(text: string): string | null {
  const match = /^\s*\/route\s+([a-z0-9][a-z0-9_-]{0,62})\s*$/i.exec(text.replace(/\[br\]/gi, ' ').trim());
  return match ? (match[1] as string).toLowerCase() : null;
}

function whoText(by: 'admin' | 'cli' | 'operator', operator: string | undefined): string {
  if (by === 'operator') return operator ? `оператор ${operator}` : 'оператор';
  return by === 'cli' ? 'администратор (командная строка)' : 'администратор';
}

export function conversationMoveHandler(deps: ConversationMoveDeps): JobHandler {
  const log = deps.log ?? silentLogger();
  return async (job) => {
    const { conversationId, route, by, operator } = parseJobPayload(CONVERSATION_MOVE_JOB, job.payload);
    const conversation = await deps.store.conversations.get(conversationId);
    if (!conversation) {
      log.warn({ conversationId, route }, 'a conversation to move does not exist; nothing moved');
      return;
    }
    const rules = deps.rules();
    const rule = rules.find((r) => r.name === route);
    if (!rule) {
      await tellOldLine(deps, conversation, `move:${job.id}`,
        `[b]Маршрут «${route}» не найден[/b] — диалог остался на этой линии. Маршруты: ${rules.map((r) => r.name).join(', ')}.`);
      log.warn({ conversationId, route, by }, 'a conversation was to move to a route that does not exist; it stays');
      return;
    }
    const outcome = await deps.router.pickIn(rule, {
      botId: conversation.botId, chatType: conversation.maxChatId.startsWith('-') ? 'chat' : 'dialog',
      startPayload: conversation.startPayload, firstText: null, language: null, nowMs: deps.nowMs(), tags: conversation.tags,
    });
    if (outcome.kind !== 'routed') {
      throw new BridgeError('BRG_ERR_NO_ROUTE', `route ${route} has no line set up yet; the move waits`, { retryable: true, retryAfterMs: 5_000 });
    }
    const from = conversation.lineRef;
    const to = outcome.choice.lineRef;
    const who = whoText(by, operator);
    const toLabel = targetLabel(outcome.decision.target);
    const record = { ...outcome.record, via: 'moved' as const, why: {
      ru: [`перевёл ${who} с линии ${from}`, ...outcome.record.why.ru],
      en: [`moved by ${by === 'operator' ? `operator ${operator ?? ''}`.trim() : by} from line ${from}`, ...outcome.record.why.en],
    } };
    await tellOldLine(deps, conversation, `move:${job.id}`, from === to
      ? `[b]Маршрут «${route}»:[/b] диалог уже на этой линии (${toLabel}).`
      : `[b]Диалог переведён на маршрут «${route}»[/b] (линия ${toLabel}); перевёл ${who}. Дальше его ведут там.`);
    log.info({ conversationId, route, from, to, by }, 'conversation moved to a route by hand');
    return async (trx) => {
      await deps.store.conversations.reroute(conversation.id, { ...outcome.choice, routeJson: JSON.stringify(record) }, trx);
      await deps.hookEvents?.emit(conversationRoutedEvent({ ...conversation, lineRef: to }, record, [], by), trx);
      if (from === to) return;
      const nowMs = deps.nowMs();
      const messageKey = `moved:${job.id}`;
      await deps.store.outbox.enqueue([{
        lineRef: to, conversationId: conversation.id, method: 'send', messageKey: makeMessageKey(messageKey), sortKey: sortKeyOf(String(nowMs)), tsMs: nowMs, arrivedMs: nowMs,
        item: {
          user: { id: conversation.maxUserId ?? conversation.maxChatId },
          message: { id: messageKey, date: Math.floor(nowMs / 1000), text: `[b]Диалог переведён сюда[/b] с линии ${from} по маршруту «${route}»; перевёл ${who}.` },
          chat: { id: conversation.id },
        },
      }], portalOfLine(to), trx);
    };
  };
}

/** A note in the conversation's Open Lines chat on its current line (once per move, also when the job runs again). */
async function tellOldLine(deps: ConversationMoveDeps, conversation: ConversationRow, reason: string, text: string): Promise<void> {
  const portalId = portalOfLine(conversation.lineRef);
  const bitrix = deps.bitrixFor(portalId);
  if (!bitrix || !conversation.bitrixChatId || await deps.store.operatorNotices.told(conversation.id, reason)) return;
  try {
    const id = await bitrix.call<number | string>(portalId, 'im.message.add', { DIALOG_ID: `chat${conversation.bitrixChatId}`, MESSAGE: text, SYSTEM: 'Y' }, { correlation: { conversationId: conversation.id } });
    await deps.store.operatorNotices.record(String(id), conversation.id, reason);
  } catch (err) {
    // The move goes on: the note on the new line says where it came from.
    (deps.log ?? silentLogger()).warn({ err, code: codeOf(err), conversationId: conversation.id }, 'the note on the line a conversation left could not be posted');
  }
}
