/**
 * Inbound pipeline (first slice): a stored MAX `message_created` update →
 * route (sticky conversation) → transform (markup → BB-code, client name) →
 * `imconnector.send.messages` → ids mapped in the same transaction as "done".
 * Other update types are acknowledged here and handled by later slices.
 */
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { parseJsonKeepingBigIntegers } from '../domain/big-json.ts';
import { BridgeError } from '../domain/errors.ts';
import { sanitizeClientName } from '../domain/text/client-name.ts';
import { maxMarkupToBbcode, type MarkupElement } from '../domain/text/markup-to-bbcode.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';

export interface Route {
  portalId: string;
  lineId: number;
}

export interface InboundDeps {
  store: Store;
  bitrix: Bitrix24Client;
  connectorId: string;
  /** The line a bot's new conversations go to (routes), or null when none is set up. */
  routeFor: (botId: string) => Promise<Route | null>;
}

type Json = Record<string, unknown>;

export function inboundHandler(deps: InboundDeps): JobHandler {
  return async (job) => {
    if (job.eventId === null) return;
    const event = await deps.store.events.get(job.eventId);
    if (!event) return;
    const update = parseJsonKeepingBigIntegers(event.raw) as Json;
    if (update.update_type !== 'message_created') return;
    const botId = (job.payload as { botId: string }).botId;
    const message = update.message as Json;
    const body = message.body as Json;
    const sender = (message.sender ?? {}) as Json;
    const chatId = String((message.recipient as Json).chat_id);
    const route = await deps.routeFor(botId);
    // The portal's setup job may not have finished yet: retry later.
    if (!route) throw new BridgeError('BRG_ERR_NO_ROUTE', `no line set up yet for bot ${botId}`, { retryable: true, retryAfterMs: 1_000 });
    const conversation = await deps.store.conversations.getOrCreate({
      botId, maxChatId: chatId, maxUserId: sender.user_id === undefined ? null : String(sender.user_id), lineRef: `${route.portalId}:${route.lineId}`,
    });
    const mid = String(body.mid);
    if ((await deps.store.conversations.inboundState(conversation.id, mid)) === 'delivered') return;
    const text = maxMarkupToBbcode(typeof body.text === 'string' ? body.text : '', (body.markup as MarkupElement[] | null) ?? null);
    const result = await deps.bitrix.call<{ DATA?: { RESULT?: Array<{ SUCCESS?: boolean; session?: { ID?: string; CHAT_ID?: string } }> } }>(
      route.portalId, 'imconnector.send.messages', {
        CONNECTOR: deps.connectorId, LINE: route.lineId,
        MESSAGES: [{
          user: { id: String(sender.user_id ?? chatId), name: sanitizeClientName(sender.first_name as string), last_name: sanitizeClientName(sender.last_name as string | undefined, '') },
          message: { id: mid, date: Math.floor(Number(message.timestamp) / 1000), text: text || ' ' },
          chat: { id: chatId },
        }],
      }, { correlation: { conversationId: conversation.id, messageId: mid, jobId: String(job.id) } },
    );
    const item = result.DATA?.RESULT?.[0];
    return async (trx) => {
      await deps.store.conversations.setBitrixIds(conversation.id, item?.session?.CHAT_ID ?? null, item?.session?.ID ?? null, trx);
      await deps.store.conversations.recordInbound(conversation.id, mid, item?.SUCCESS === false ? 'rejected' : 'delivered', trx);
    };
  };
}
