/**
 * The control API (prefix /_control, no bot auth): act as MAX users, read what
 * the bot sent, inspect deliveries, inject faults. Documented with examples in
 * docs/emulators-max.md.
 */
import type { FastifyInstance } from 'fastify';
import { sendMax, type MaxContext } from './context.ts';
import type { UpdateDelivery } from './delivery.ts';
import { maxErrors } from './errors.ts';
import type { FaultRule } from './faults.ts';
import {
  addMember, changeBotPermissions, createGroup, deleteComment, editComment, removeBot, removeMember, renameChat, writeComment,
} from './group-actions.ts';
import type { StoredMessage } from './model.ts';
import { clientPageHtml } from './client-page.ts';
import {
  deleteMessage, dialogEvent, editMessage, ensureUser, pressButton, startBot, stopBot, writeMessage,
  type UserInput, type WriteInput,
} from './user-actions.ts';

type Body = Record<string, unknown>;

function body<T>(raw: unknown): T {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw maxErrors.payload('JSON object body required');
  return raw as T;
}

function chatIdParam(raw: string): number {
  if (!/^-?\d+$/.test(raw)) throw maxErrors.payload('chat id must be an integer');
  return Number(raw);
}

function messageView(m: StoredMessage): Body {
  return { from_bot: m.fromBot, deleted: m.deleted, chat_id: m.chatId, bot_id: m.botId, message: m.message, history: m.history };
}

export function registerControlRoutes(app: FastifyInstance, ctx: MaxContext, delivery: UpdateDelivery): void {
  const { world } = ctx;
  app.get('/_control/ui', async (_req, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(clientPageHtml()));
  app.get('/_control/state', async (_req, reply) =>
    sendMax(reply, 200, {
      bots: [...world.bots.values()].map((b) => ({ user_id: b.userId, name: b.name, username: b.username })),
      users: [...world.users.values()],
      chats: [...world.chats.values()].map((c) => ({ chat_id: c.chatId, type: c.type, bot_id: c.botId, user_id: c.userId, title: c.title, status: c.status })),
    }),
  );
  app.post('/_control/users', async (req, reply) => sendMax(reply, 200, ensureUser(ctx, body<UserInput>(req.body))));
  app.post('/_control/bot-started', async (req, reply) => sendMax(reply, 200, startBot(ctx, body(req.body)).update));
  app.post('/_control/bot-stopped', async (req, reply) => sendMax(reply, 200, stopBot(ctx, body(req.body)).update));
  app.post('/_control/dialog-events', async (req, reply) => sendMax(reply, 200, dialogEvent(ctx, body(req.body)).update));
  app.post('/_control/messages', async (req, reply) => sendMax(reply, 200, { message: writeMessage(ctx, body<WriteInput>(req.body)).message }));
  app.put('/_control/messages/:mid', async (req, reply) =>
    sendMax(reply, 200, editMessage(ctx, (req.params as { mid: string }).mid, body(req.body)).update),
  );
  app.delete('/_control/messages/:mid', async (req, reply) =>
    sendMax(reply, 200, deleteMessage(ctx, (req.params as { mid: string }).mid).update),
  );
  app.post('/_control/callbacks', async (req, reply) => sendMax(reply, 200, pressButton(ctx, body(req.body)).update));
  app.get('/_control/callbacks/:id', async (req, reply) => {
    const cb = world.callbacks.get((req.params as { id: string }).id);
    if (!cb) throw maxErrors.notFound('Callback not found');
    return sendMax(reply, 200, cb);
  });
  registerChatControl(app, ctx);
  // The bot's token reissued on MAX's partner platform: the old one is refused from now on
  // (401 verify.token, as the real API answers a revoked token), the new one works.
  app.put('/_control/bots/:botId/token', async (req, reply) => {
    const bot = world.bots.get(Number((req.params as { botId: string }).botId));
    if (!bot) throw maxErrors.notFound('Bot not found');
    const { token } = body<{ token?: unknown }>(req.body);
    if (typeof token !== 'string' || token.length < 8) throw maxErrors.payload('token: a string of at least 8 characters');
    bot.token = token;
    return sendMax(reply, 200, { success: true });
  });
  app.get('/_control/bots/:botId/sent', async (req, reply) => {
    const botId = Number((req.params as { botId: string }).botId);
    const sent = [...world.messages.values()].filter((m) => m.botId === botId && m.fromBot);
    return sendMax(reply, 200, { messages: sent.map(messageView) });
  });
  app.get('/_control/updates', async (req, reply) => {
    const botId = (req.query as { bot_id?: string }).bot_id;
    const logs = botId ? [world.updateLog.get(Number(botId)) ?? []] : [...world.updateLog.values()];
    return sendMax(reply, 200, { updates: logs.flat().sort((a, b) => a.position - b.position) });
  });
  app.get('/_control/deliveries', async (_req, reply) => sendMax(reply, 200, { attempts: delivery.attempts, ...delivery.pendingDeliveries() }));
  app.get('/_control/subscriptions', async (_req, reply) =>
    sendMax(reply, 200, { subscriptions: [...world.subscriptions.entries()].flatMap(([botId, subs]) => subs.map((s) => ({ bot_id: botId, ...s }))) }),
  );
  app.put('/_control/faults', async (req, reply) => {
    const rules = body<{ rules?: FaultRule[] }>(req.body).rules;
    if (!Array.isArray(rules)) throw maxErrors.payload('rules: array required');
    ctx.faults.set(rules);
    return sendMax(reply, 200, { rules: ctx.faults.list() });
  });
  app.get('/_control/faults', async (_req, reply) => sendMax(reply, 200, { rules: ctx.faults.list() }));
  // MAX's clock off from this machine's by skewMs: every answer's Date header says so (0 puts it right).
  app.put('/_control/clock', async (req, reply) => {
    const { skewMs } = body<{ skewMs?: unknown }>(req.body);
    if (typeof skewMs !== 'number' || !Number.isFinite(skewMs)) throw maxErrors.payload('skewMs: a number of milliseconds (negative: behind)');
    ctx.settings.clockSkewMs = skewMs;
    return sendMax(reply, 200, { skewMs });
  });
  app.delete('/_control/faults', async (_req, reply) => {
    ctx.faults.clear();
    return sendMax(reply, 200, { rules: [] });
  });
  app.post('/_control/reset', async (_req, reply) => {
    world.reset();
    delivery.pollQueue.clear();
    delivery.attempts.length = 0;
    ctx.faults.clear();
    ctx.settings.clockSkewMs = 0;
    ctx.botLimit.reset();
    ctx.chatLimit.reset();
    return sendMax(reply, 200, { success: true });
  });
}

function registerChatControl(app: FastifyInstance, ctx: MaxContext): void {
  app.get('/_control/chats/:chatId/messages', async (req, reply) => {
    const chat = ctx.world.chats.get(chatIdParam((req.params as { chatId: string }).chatId));
    if (!chat) throw maxErrors.chatNotFound((req.params as { chatId: string }).chatId);
    const list = chat.mids.map((mid) => ctx.world.messages.get(mid)).filter((m): m is StoredMessage => !!m);
    return sendMax(reply, 200, { messages: list.map(messageView) });
  });
  app.post('/_control/chats', async (req, reply) => {
    const chat = createGroup(ctx, body(req.body));
    return sendMax(reply, 200, { chat_id: chat.chatId });
  });
  app.post('/_control/chats/:chatId/members', async (req, reply) =>
    sendMax(reply, 200, addMember(ctx, chatIdParam((req.params as { chatId: string }).chatId), body(req.body)).update),
  );
  app.delete('/_control/chats/:chatId/members/:userId', async (req, reply) => {
    const p = req.params as { chatId: string; userId: string };
    return sendMax(reply, 200, removeMember(ctx, chatIdParam(p.chatId), { user_id: Number(p.userId) }).update);
  });
  app.patch('/_control/chats/:chatId', async (req, reply) =>
    sendMax(reply, 200, renameChat(ctx, chatIdParam((req.params as { chatId: string }).chatId), body(req.body)).update),
  );
  app.post('/_control/chats/:chatId/bot-permissions', async (req, reply) =>
    sendMax(reply, 200, changeBotPermissions(ctx, chatIdParam((req.params as { chatId: string }).chatId), body(req.body)).update),
  );
  app.post('/_control/comments', async (req, reply) => sendMax(reply, 200, writeComment(ctx, body(req.body)).update));
  app.put('/_control/comments/:mid', async (req, reply) =>
    sendMax(reply, 200, editComment(ctx, (req.params as { mid: string }).mid, body(req.body)).update),
  );
  app.delete('/_control/comments/:mid', async (req, reply) =>
    sendMax(reply, 200, deleteComment(ctx, (req.params as { mid: string }).mid).update),
  );
  app.post('/_control/chats/:chatId/remove-bot', async (req, reply) =>
    sendMax(reply, 200, removeBot(ctx, chatIdParam((req.params as { chatId: string }).chatId), body<{ by: UserInput }>(req.body).by).update),
  );
}
