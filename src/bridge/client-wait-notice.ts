/**
 * Telling a client that the company has not seen their message yet. When the Open
 * Line has not taken a conversation's messages for `waitMs` (the portal is down or
 * failing, the line is paused), the client gets one message from the bot — by
 * default "the company will answer as soon as it can" — instead of silence. Once
 * per episode: an episode begins with the oldest message still waiting, so a client
 * who writes five times during one outage hears it once, and again only after their
 * messages went through and a new one is stuck. Nothing is told while the bot
 * itself cannot send (it is tried again at the next look); messages still wait and
 * go to the line in order when it takes them again.
 */
import type { ConversationId } from '../domain/ids.ts';
import { codeOf, silentLogger, type Logger } from '../log/logger.ts';
import type { MaxClient } from '../max/client.ts';
import type { Store } from '../store/open-store.ts';
import { midOf } from './outbound.ts';

/** The default notice (messages.client_wait_notice_text). */
export const DEFAULT_CLIENT_WAIT_NOTICE_TEXT =
  'Ваше сообщение получено, но сейчас не может дойти до операторов из-за технических неполадок. '
  + 'Оно не потеряется: компания ответит, как только связь восстановится.';

/** At most this many conversations are told per look (the rest at the next). */
const NOTICES_PER_LOOK = 200;

export interface ClientWaitNoticeDeps {
  store: Pick<Store, 'outbox' | 'conversations' | 'clientNotices'>;
  maxFor(botId: string): MaxClient | undefined;
  /** How long a message waits for the line before its client is told; 0 = never. */
  waitMs: number;
  text: string;
  nowMs(): number;
  log?: Logger;
}

export interface ClientWaitNoticeReport {
  /** Clients told now. */
  told: ConversationId[];
  /** Clients who should have been told but the bot could not send (tried again at the next look). */
  failed: ConversationId[];
}

/** Looks for conversations waiting longer than `waitMs` and tells each client once per episode. */
export async function noticeWaitingClients(deps: ClientWaitNoticeDeps): Promise<ClientWaitNoticeReport> {
  const report: ClientWaitNoticeReport = { told: [], failed: [] };
  if (deps.waitMs <= 0) return report;
  const log = deps.log ?? silentLogger();
  const waiting = await deps.store.outbox.sendsWaitingSince(deps.nowMs() - deps.waitMs, NOTICES_PER_LOOK);
  for (const { conversationId, oldestArrivedMs } of waiting) {
    const last = await deps.store.clientNotices.lastSentAtMs(conversationId, 'line_wait');
    if (last !== null && last >= oldestArrivedMs) continue; // told in this episode already
    const conversation = await deps.store.conversations.get(conversationId);
    const max = conversation ? deps.maxFor(conversation.botId) : undefined;
    // A client who blocked the bot is not written to; a conversation of a bot no longer configured cannot be.
    if (!conversation || conversation.state !== 'active' || !max) continue;
    try {
      const { message } = await max.sendMessage({ chatId: conversation.maxChatId }, { text: deps.text }, { conversationId });
      await deps.store.clientNotices.record(conversationId, 'line_wait', midOf(message));
      report.told.push(conversationId);
    } catch (err) {
      report.failed.push(conversationId);
      log.warn({ err, code: codeOf(err), conversationId }, 'telling the client that the line has not taken their messages failed; tried again at the next look');
    }
  }
  if (report.told.length > 0) {
    log.warn({ clients: report.told.length, waitMinutes: Math.round(deps.waitMs / 60_000) },
      `told ${report.told.length} client(s) in MAX that the company has not seen their messages yet (waiting over ${Math.round(deps.waitMs / 60_000)} min)`);
  }
  return report;
}
