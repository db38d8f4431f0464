/**
 * Bot API: /me, /chats/{chatId}, /chats/{chatId}/actions, /videos/{token} (spec §3).
 */
import type { FastifyInstance } from 'fastify';
import { requestBot, sendMax, type MaxContext } from './context.ts';
import { maxErrors } from './errors.ts';
import type { ChatState } from './model.ts';

const SENDER_ACTIONS = new Set(['typing_on', 'sending_photo', 'sending_video', 'sending_audio', 'sending_file', 'mark_seen']);

export function chatView(ctx: MaxContext, chat: ChatState): Record<string, unknown> {
  const participants: Record<string, number> = {};
  for (const [id, at] of chat.participants) participants[String(id)] = at;
  const view: Record<string, unknown> = {
    chat_id: chat.chatId,
    type: chat.type,
    status: chat.status,
    title: chat.title,
    icon: null,
    last_event_time: chat.lastEventTimeMs,
    participants_count: chat.type === 'dialog' ? 2 : chat.participants.size,
    owner_id: chat.ownerId,
    participants: chat.type === 'dialog' ? null : participants,
    is_public: false,
    link: null,
    messages_count: chat.mids.length,
  };
  if (chat.type === 'dialog' && chat.userId !== null) {
    const user = ctx.world.users.get(chat.userId);
    const avatar = ctx.world.avatars.get(chat.userId) ?? null;
    if (user) view.dialog_with_user = { ...user, avatar_url: avatar, full_avatar_url: avatar };
  }
  return view;
}

function ownChat(ctx: MaxContext, botId: number, raw: string): ChatState {
  if (!/^-?\d+$/.test(raw)) throw maxErrors.payload("Field 'chatId' must be an integer");
  const chat = ctx.world.chats.get(Number(raw));
  if (!chat || chat.botId !== botId) throw maxErrors.chatNotFound(raw);
  return chat;
}

export function registerChatRoutes(app: FastifyInstance, ctx: MaxContext): void {
  app.get('/me', async (request, reply) => {
    const bot = requestBot(request);
    return sendMax(reply, 200, {
      ...ctx.world.botSender(bot.userId),
      avatar_url: null,
      full_avatar_url: null,
      description: null,
      commands: null,
    });
  });

  app.get('/chats/:chatId', async (request, reply) => {
    const bot = requestBot(request);
    const chat = ownChat(ctx, bot.userId, (request.params as { chatId: string }).chatId);
    return sendMax(reply, 200, chatView(ctx, chat));
  });

  app.post('/chats/:chatId/actions', async (request, reply) => {
    const bot = requestBot(request);
    const chat = ownChat(ctx, bot.userId, (request.params as { chatId: string }).chatId);
    const action = (request.body as Record<string, unknown> | null)?.action;
    if (typeof action !== 'string' || !SENDER_ACTIONS.has(action)) {
      throw maxErrors.payload(`Field 'action' must be one of [${[...SENDER_ACTIONS].join(', ')}]`);
    }
    if (chat.status === 'suspended') throw maxErrors.suspended();
    return sendMax(reply, 200, { success: true });
  });

  app.get('/videos/:token', async (request, reply) => {
    requestBot(request);
    const token = (request.params as { token: string }).token;
    const upload = ctx.world.uploads.get(token);
    if (!upload || upload.type !== 'video') throw maxErrors.notFound(`Video ${token} not found`);
    const url = `${ctx.baseUrl()}/_files/${token}`;
    return sendMax(reply, 200, {
      token,
      urls: { mp4_720: url, mp4_480: url, hls: null },
      thumbnail: null,
      width: 1280,
      height: 720,
      duration: 10,
    });
  });
}
