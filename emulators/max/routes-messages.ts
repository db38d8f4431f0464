/**
 * Bot API: /messages, /messages/{mid}, /answers (spec §3).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBot, sendMax, type MaxContext } from './context.ts';
import { maxErrors } from './errors.ts';
import type { ChatState, StoredMessage } from './model.ts';
import { parseNewMessageBody, resolveLink } from './new-message.ts';

type Query = Record<string, string | undefined>;

function parseInt64(value: string | undefined, name: string): number | null {
  if (value === undefined) return null;
  if (!/^-?\d+$/.test(value)) throw maxErrors.payload(`Field '${name}' must be an integer`);
  return Number(value);
}

function checkChatRate(ctx: MaxContext, chatId: number): void {
  if (!ctx.chatLimit.tryHit(String(chatId), Date.now())) throw maxErrors.tooManyRequests();
}

/** The chat a send goes to: a dialog by user_id or any chat by chat_id, checked for access. */
function targetChat(ctx: MaxContext, botId: number, query: Query): ChatState {
  const userId = parseInt64(query.user_id, 'user_id');
  const chatId = parseInt64(query.chat_id, 'chat_id');
  if ((userId === null) === (chatId === null)) {
    throw maxErrors.payload('Exactly one of user_id or chat_id required');
  }
  const chat = userId !== null ? ctx.world.dialogOf(botId, userId, false) : ctx.world.chats.get(chatId as number);
  if (!chat || chat.botId !== botId) {
    // The user never started the bot, or the chat is not the bot's.
    if (userId !== null) throw maxErrors.denied('User has not started a dialog with the bot');
    throw maxErrors.chatNotFound(chatId as number);
  }
  if (chat.status === 'suspended') throw maxErrors.suspended();
  if (chat.status !== 'active') throw maxErrors.denied('Bot is not a member of the chat');
  return chat;
}

function ownMessage(ctx: MaxContext, botId: number, mid: string | undefined): StoredMessage {
  if (!mid) throw maxErrors.payload('Missing required parameter: message_id');
  const stored = ctx.world.messages.get(mid);
  if (!stored || stored.deleted || stored.botId !== botId) throw maxErrors.notFound(`Message ${mid} not found`);
  return stored;
}

/** The `format_refused` fault: only a text that sets `format` is refused (see faults.ts). */
function refuseFormatOnFault(ctx: MaxContext, request: FastifyRequest, format: string | null): void {
  if (format !== null && ctx.faults.fires('format_refused', request.url)) throw maxErrors.formatNotSupported();
}

function hasKeyboard(stored: StoredMessage): boolean {
  return (stored.message.body.attachments ?? []).some((a) => a.type === 'inline_keyboard');
}

import { parseHtmlText } from './formatted-text.ts';

export function registerMessageRoutes(app: FastifyInstance, ctx: MaxContext): void {
  app.post('/messages', async (request, reply) => {
    const bot = requestBot(request);
    const query = request.query as Query;
    const chat = targetChat(ctx, bot.userId, query);
    const parsed = parseNewMessageBody(ctx, request.body, true);
    if (chat.type === 'channel' && !parsed.notify) throw maxErrors.payload('notify=false is not allowed in channels');
    refuseFormatOnFault(ctx, request, parsed.format);
    checkChatRate(ctx, chat.chatId);
    const link = resolveLink(ctx, parsed.link);
    // format html: stored as plain text + markup, as MAX delivers messages.
    const formatted = parsed.format === 'html' && parsed.text !== null ? parseHtmlText(parsed.text) : null;
    const stored = ctx.world.addMessage({
      chat,
      sender: ctx.world.botSender(bot.userId),
      fromBot: true,
      text: formatted ? formatted.text : parsed.text,
      attachments: parsed.attachments,
      markup: formatted && formatted.markup.length > 0 ? formatted.markup : null,
      link,
    });
    return sendMax(reply, 200, { message: stored.message });
  });

  app.put('/messages', async (request, reply) => {
    const bot = requestBot(request);
    const stored = ownMessage(ctx, bot.userId, (request.query as Query).message_id);
    if (!stored.fromBot) throw maxErrors.denied('Only messages sent by the bot can be edited');
    const chat = ctx.world.chats.get(stored.chatId);
    const ageMs = Date.now() - stored.message.timestamp;
    if (chat?.type === 'dialog' && !hasKeyboard(stored) && ageMs > ctx.scaled(ctx.settings.editWindowMs)) {
      throw maxErrors.denied('Message is too old to edit');
    }
    const parsed = parseNewMessageBody(ctx, request.body, false);
    refuseFormatOnFault(ctx, request, parsed.format);
    checkChatRate(ctx, stored.chatId);
    stored.history.push(stored.message.body);
    const prev = stored.message.body;
    const formatted = parsed.format === 'html' && parsed.text !== null ? parseHtmlText(parsed.text) : null;
    stored.message.body = {
      ...prev,
      text: formatted ? formatted.text : parsed.text ?? prev.text,
      markup: formatted ? (formatted.markup.length > 0 ? formatted.markup : null) : parsed.text !== null ? null : prev.markup,
      // null keeps the current attachments, [] removes them (spec §3).
      attachments: (request.body as Record<string, unknown>).attachments === undefined ? prev.attachments : parsed.attachments,
    };
    return sendMax(reply, 200, { success: true });
  });

  app.delete('/messages', async (request, reply) => {
    const bot = requestBot(request);
    const stored = ownMessage(ctx, bot.userId, (request.query as Query).message_id);
    const chat = ctx.world.chats.get(stored.chatId);
    if (chat?.type === 'dialog' && !stored.fromBot) throw maxErrors.denied('Only messages sent by the bot can be deleted in dialogs');
    checkChatRate(ctx, stored.chatId);
    stored.deleted = true;
    return sendMax(reply, 200, { success: true });
  });

  app.get('/messages', async (request, reply) => listMessages(ctx, request, reply));

  app.get('/messages/:mid', async (request, reply) => {
    const bot = requestBot(request);
    const mid = (request.params as { mid: string }).mid;
    const stored = ctx.world.messages.get(mid);
    if (!stored || stored.deleted || stored.botId !== bot.userId) throw maxErrors.notFound(`Message ${mid} not found`);
    return sendMax(reply, 200, stored.message);
  });

  app.post('/answers', async (request, reply) => {
    const bot = requestBot(request);
    const callbackId = (request.query as Query).callback_id;
    if (!callbackId) throw maxErrors.payload('Missing required parameter: callback_id');
    const body = request.body as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw maxErrors.payload('Invalid request body');
    const hasMessage = body.message !== undefined && body.message !== null;
    const hasNotification = typeof body.notification === 'string';
    if (!hasMessage && !hasNotification) {
      throw maxErrors.payload('Invalid request. `message` or `notification` required');
    }
    const callback = ctx.world.callbacks.get(callbackId);
    if (!callback || callback.botId !== bot.userId) throw maxErrors.notFound(`Callback ${callbackId} not found`);
    if (hasMessage && callback.mid) {
      const parsed = parseNewMessageBody(ctx, body.message, false);
      const stored = ctx.world.messages.get(callback.mid);
      if (stored) {
        stored.history.push(stored.message.body);
        stored.message.body = { ...stored.message.body, text: parsed.text, attachments: parsed.attachments };
      }
    }
    callback.answers.push(body);
    return sendMax(reply, 200, { success: true });
  });
}

function listMessages(ctx: MaxContext, request: FastifyRequest, reply: Parameters<typeof sendMax>[0]) {
  const bot = requestBot(request);
  const query = request.query as Query;
  const count = parseInt64(query.count, 'count') ?? 50;
  if (count < 1 || count > 100) throw maxErrors.payload(`Field 'count' value (${count}) must be between 1 and 100`);
  let list: StoredMessage[];
  if (query.message_ids) {
    list = query.message_ids.split(',').map((mid) => ctx.world.messages.get(mid)).filter((m): m is StoredMessage => !!m);
  } else {
    const chatId = parseInt64(query.chat_id, 'chat_id');
    if (chatId === null) throw maxErrors.payload('Either chat_id or message_ids required');
    const chat = ctx.world.chats.get(chatId);
    if (!chat || chat.botId !== bot.userId) throw maxErrors.chatNotFound(chatId);
    list = chat.mids.map((mid) => ctx.world.messages.get(mid)).filter((m): m is StoredMessage => !!m);
  }
  const before = parseInt64(query.before, 'before');
  const after = parseInt64(query.after, 'after');
  const messages = list
    .filter((m) => !m.deleted && m.botId === bot.userId)
    .filter((m) => (before === null || m.message.timestamp < before) && (after === null || m.message.timestamp > after))
    .sort((a, b) => b.message.timestamp - a.message.timestamp || (b.message.body.seq > a.message.body.seq ? 1 : -1))
    .slice(0, count)
    .map((m) => m.message);
  return sendMax(reply, 200, { messages });
}
