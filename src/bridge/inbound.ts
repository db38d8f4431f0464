/**
 * Inbound pipeline: a stored MAX update → route (sticky conversation) →
 * transform → Open Lines (`imconnector.send/update/delete.messages`), ids mapped
 * in the same transaction as "done". Handled: message_created (text, markup,
 * replies, forwards, contact, location, share, sticker), message_edited,
 * message_removed, message_callback (shown to the operator, answered in MAX),
 * bot_started (source kept), bot_stopped / dialog_removed (conversation
 * blocked, operator told). Other types are stored and journaled only.
 */
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { BITRIX24_ERROR_CODES } from '../bitrix24/errors.ts';
import { parseJsonKeepingBigIntegers } from '../domain/big-json.ts';
import { BridgeError } from '../domain/errors.ts';
import { sanitizeClientName } from '../domain/text/client-name.ts';
import { botStartedText, botStoppedText, buttonPressedText } from '../domain/text/system-texts.ts';
import type { MaxClient } from '../max/client.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';
import type { ConversationRow } from '../store/repos/conversation-repo.ts';
import type { OnComplete } from '../store/repos/job-repo.ts';
import { renderInbound, sharedPhone } from './inbound-render.ts';

export interface Route {
  portalId: string;
  lineId: number;
}

export interface InboundDeps {
  store: Store;
  bitrix: Bitrix24Client;
  max: MaxClient;
  connectorId: string;
  routeFor: (botId: string) => Promise<Route | null>;
  pauseLine: (portalId: string, lineId: number, reason: string) => Promise<void>;
}

type Json = Record<string, unknown>;

interface Ctx {
  deps: InboundDeps;
  route: Route;
  conversation: ConversationRow;
  update: Json;
  jobId: number;
}

function lineUser(ctx: Ctx, user: Json | undefined, phone: string | null = null): Json {
  const u: Json = {
    id: String(user?.user_id ?? ctx.conversation.maxUserId ?? ctx.conversation.maxChatId),
    name: sanitizeClientName(user?.first_name as string | undefined),
    last_name: sanitizeClientName(user?.last_name as string | undefined, ''),
  };
  if (phone) u.phone = phone;
  return u;
}

async function callLine(ctx: Ctx, method: string, items: Json[]) {
  try {
    return await ctx.deps.bitrix.call<{ DATA?: { RESULT?: Array<{ SUCCESS?: boolean; session?: { ID?: string; CHAT_ID?: string } }> } }>(
      ctx.route.portalId, method, { CONNECTOR: ctx.deps.connectorId, LINE: ctx.route.lineId, MESSAGES: items },
      { correlation: { conversationId: ctx.conversation.id, jobId: String(ctx.jobId) } },
    );
  } catch (err) {
    // NOT_ACTIVE_LINE / unknown connector: pause the line and wait for it to be restored
    // (reinstall or the health check) instead of burning retries against it.
    if (err instanceof BridgeError && err.code === BITRIX24_ERROR_CODES.lineInactive) {
      await ctx.deps.pauseLine(ctx.route.portalId, ctx.route.lineId, `Bitrix24 answered ${(err as { bitrixCode?: string }).bitrixCode ?? err.code}`);
      throw new BridgeError('BRG_ERR_LINE_PAUSED', `line ${ctx.route.lineId} of portal ${ctx.route.portalId} is paused`, { retryable: true, retryAfterMs: 60_000 });
    }
    throw err;
  }
}

/** Sends one message into the line as the client; maps ids when "done" commits. */
async function sendToLine(ctx: Ctx, user: Json, messageId: string, text: string, dateMs: number): Promise<OnComplete> {
  const result = await callLine(ctx, 'imconnector.send.messages', [{
    user, message: { id: messageId, date: Math.floor(dateMs / 1000), text: text || ' ' }, chat: { id: ctx.conversation.maxChatId },
  }]);
  const item = result.DATA?.RESULT?.[0];
  return async (trx) => {
    await ctx.deps.store.conversations.setBitrixIds(ctx.conversation.id, item?.session?.CHAT_ID ?? null, item?.session?.ID ?? null, trx);
    await ctx.deps.store.conversations.recordInbound(ctx.conversation.id, messageId, item?.SUCCESS === false ? 'rejected' : 'delivered', trx);
  };
}

const byType: Record<string, (ctx: Ctx) => Promise<OnComplete | void>> = {
  async message_created(ctx) {
    const message = ctx.update.message as Json;
    const mid = String((message.body as Json).mid);
    if ((await ctx.deps.store.conversations.inboundState(ctx.conversation.id, mid)) === 'delivered') return;
    return sendToLine(ctx, lineUser(ctx, message.sender as Json, sharedPhone(message)), mid, renderInbound(message), Number(message.timestamp));
  },
  async message_edited(ctx) {
    const message = ctx.update.message as Json;
    await callLine(ctx, 'imconnector.update.messages', [{
      user: lineUser(ctx, message.sender as Json), message: { id: String((message.body as Json).mid), text: renderInbound(message) || ' ' }, chat: { id: ctx.conversation.maxChatId },
    }]);
  },
  async message_removed(ctx) {
    await callLine(ctx, 'imconnector.delete.messages', [{
      user: { id: String(ctx.update.user_id ?? ctx.conversation.maxUserId) }, message: { id: String(ctx.update.message_id) }, chat: { id: ctx.conversation.maxChatId },
    }]);
  },
  async message_callback(ctx) {
    const callback = ctx.update.callback as Json;
    const payload = String(callback.payload ?? '');
    const keyboard = (((ctx.update.message as Json | null)?.body as Json | undefined)?.attachments as Json[] | undefined)?.find((a) => a.type === 'inline_keyboard');
    const buttons = (((keyboard?.payload as Json | undefined)?.buttons as Json[][] | undefined) ?? []).flat();
    const pressed = buttons.find((b) => b.payload === payload);
    const done = await sendToLine(ctx, lineUser(ctx, callback.user as Json), `callback:${String(callback.callback_id)}`, buttonPressedText(String(pressed?.text ?? payload)), Number(callback.timestamp));
    await ctx.deps.max.answerCallback(String(callback.callback_id), { notification: 'Принято' });
    return done;
  },
  async bot_started(ctx) {
    await ctx.deps.store.conversations.setState(ctx.conversation.id, 'active');
    const payload = (ctx.update.payload as string | null | undefined) ?? null;
    return sendToLine(ctx, lineUser(ctx, ctx.update.user as Json), `started:${String(ctx.update.timestamp)}`, botStartedText(payload), Number(ctx.update.timestamp));
  },
  async bot_stopped(ctx) {
    await ctx.deps.store.conversations.setState(ctx.conversation.id, 'blocked');
    return sendToLine(ctx, lineUser(ctx, ctx.update.user as Json), `stopped:${String(ctx.update.timestamp)}`, botStoppedText(false), Number(ctx.update.timestamp));
  },
  async dialog_removed(ctx) {
    await ctx.deps.store.conversations.setState(ctx.conversation.id, 'blocked');
    return sendToLine(ctx, lineUser(ctx, ctx.update.user as Json), `removed:${String(ctx.update.timestamp)}`, botStoppedText(true), Number(ctx.update.timestamp));
  },
};

function chatAndUser(update: Json): { chatId: string | null; userId: string | null } {
  const message = update.message as Json | undefined;
  const chatId = (message?.recipient as Json | undefined)?.chat_id ?? update.chat_id;
  const user = (message?.sender ?? update.user ?? (update.callback as Json | undefined)?.user) as Json | undefined;
  return { chatId: chatId === undefined || chatId === null ? null : String(chatId), userId: user?.user_id === undefined ? null : String(user.user_id) };
}

export function inboundHandler(deps: InboundDeps): JobHandler {
  return async (job) => {
    const event = job.eventId === null ? null : await deps.store.events.get(job.eventId);
    if (!event) return;
    const update = parseJsonKeepingBigIntegers(event.raw) as Json;
    const handle = byType[String(update.update_type)];
    const { chatId, userId } = chatAndUser(update);
    if (!handle || !chatId) return;
    const botId = (job.payload as { botId: string }).botId;
    const route = await deps.routeFor(botId);
    // The portal's setup job may not have finished yet: retry later.
    if (!route) throw new BridgeError('BRG_ERR_NO_ROUTE', `no line set up yet for bot ${botId}`, { retryable: true, retryAfterMs: 1_000 });
    const source = update.update_type === 'bot_started' ? JSON.stringify({ payload: update.payload ?? null }) : null;
    const conversation = await deps.store.conversations.getOrCreate({ botId, maxChatId: chatId, maxUserId: userId, lineRef: `${route.portalId}:${route.lineId}`, sourceJson: source });
    return handle({ deps, route, conversation, update, jobId: job.id });
  };
}
