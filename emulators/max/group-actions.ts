/**
 * Group chat actions by MAX users (control API): adding the bot, members
 * joining and leaving, renaming. Each emits the update the bot would get.
 */
import type { MaxContext } from './context.ts';
import { maxErrors } from './errors.ts';
import type { ChatState } from './model.ts';
import { ensureUser, type UserInput } from './user-actions.ts';

const now = (): number => Date.now();

function groupChat(ctx: MaxContext, chatId: number): ChatState {
  const chat = ctx.world.chats.get(chatId);
  if (!chat || chat.type === 'dialog') throw maxErrors.chatNotFound(chatId);
  return chat;
}

export function createGroup(
  ctx: MaxContext,
  input: { bot_id?: number; title: string; owner: UserInput; members?: UserInput[]; is_channel?: boolean },
) {
  const botId = input.bot_id ?? ctx.world.bots.keys().next().value;
  if (botId === undefined || !ctx.world.bots.has(botId)) throw maxErrors.notFound('Bot not found');
  if (typeof input.title !== 'string' || input.title.length < 1 || input.title.length > 200) {
    throw maxErrors.payload("Field 'title' size must be between 1 and 200");
  }
  const owner = ensureUser(ctx, input.owner);
  const members = (input.members ?? []).map((m) => ensureUser(ctx, m).user_id);
  const isChannel = input.is_channel === true;
  const chat = ctx.world.createGroupChat(botId, input.title, owner.user_id, members, isChannel);
  ctx.world.emit(botId, { update_type: 'bot_added', timestamp: now(), chat_id: chat.chatId, user: owner, is_channel: isChannel });
  return chat;
}

export function removeBot(ctx: MaxContext, chatId: number, by: UserInput) {
  const chat = groupChat(ctx, chatId);
  const user = ensureUser(ctx, by);
  chat.status = 'removed';
  chat.participants.delete(chat.botId);
  return ctx.world.emit(chat.botId, { update_type: 'bot_removed', timestamp: now(), chat_id: chatId, user, is_channel: chat.type === 'channel' });
}

export function addMember(ctx: MaxContext, chatId: number, input: { user: UserInput; inviter_id?: number | null }) {
  const chat = groupChat(ctx, chatId);
  const user = ensureUser(ctx, input.user);
  chat.participants.set(user.user_id, now());
  return ctx.world.emit(chat.botId, {
    update_type: 'user_added', timestamp: now(), chat_id: chatId, user, inviter_id: input.inviter_id ?? null, is_channel: chat.type === 'channel',
  });
}

export function removeMember(ctx: MaxContext, chatId: number, input: { user_id: number; admin_id?: number | null }) {
  const chat = groupChat(ctx, chatId);
  const user = ensureUser(ctx, { user_id: input.user_id });
  chat.participants.delete(user.user_id);
  // The schema has admin_id as optional but not nullable: absent when the user left by themselves.
  return ctx.world.emit(chat.botId, {
    update_type: 'user_removed', timestamp: now(), chat_id: chatId, user, is_channel: chat.type === 'channel',
    ...(input.admin_id ? { admin_id: input.admin_id } : {}),
  });
}

export function renameChat(ctx: MaxContext, chatId: number, input: { title: string; by: UserInput }) {
  const chat = groupChat(ctx, chatId);
  if (typeof input.title !== 'string' || input.title.length < 1 || input.title.length > 200) {
    throw maxErrors.payload("Field 'title' size must be between 1 and 200");
  }
  chat.title = input.title;
  const user = ensureUser(ctx, input.by);
  return ctx.world.emit(chat.botId, { update_type: 'chat_title_changed', timestamp: now(), chat_id: chatId, user, title: input.title });
}

export function changeBotPermissions(
  ctx: MaxContext,
  chatId: number,
  input: { by_user_id: number; is_admin: boolean; permissions?: string[] | null },
) {
  const chat = groupChat(ctx, chatId);
  return ctx.world.emit(chat.botId, {
    update_type: 'bot_admin_permissions_changed', timestamp: now(), chat_id: chatId, user_id: input.by_user_id,
    bot_id: chat.botId, is_channel: chat.type === 'channel', is_admin: input.is_admin === true,
    permissions: input.permissions ?? null,
  });
}

/** A user comments on a channel post (comments API, schema 0.0.33). */
export function writeComment(ctx: MaxContext, input: { chat_id: number; post_mid: string; user: UserInput; text: string }) {
  const chat = groupChat(ctx, input.chat_id);
  if (chat.type !== 'channel') throw maxErrors.payload('Comments exist only on channel posts');
  const post = ctx.world.messages.get(input.post_mid);
  if (!post || post.chatId !== chat.chatId) throw maxErrors.notFound(`Post ${input.post_mid} not found`);
  const user = ensureUser(ctx, input.user);
  const message = {
    sender: user,
    recipient: { chat_id: chat.chatId, chat_type: chat.type, user_id: null, post_id: input.post_mid },
    timestamp: now(),
    link: null,
    body: ctx.world.newBody(input.text, null, null),
  };
  ctx.world.comments.set(message.body.mid, { botId: chat.botId, chatId: chat.chatId, postMid: input.post_mid, message, deleted: false });
  return ctx.world.emit(chat.botId, { update_type: 'comment_created', timestamp: message.timestamp, message });
}

export function editComment(ctx: MaxContext, mid: string, input: { text: string }) {
  const comment = ctx.world.comments.get(mid);
  if (!comment || comment.deleted) throw maxErrors.notFound(`Comment ${mid} not found`);
  comment.message.body = { ...comment.message.body, text: input.text };
  return ctx.world.emit(comment.botId, { update_type: 'comment_edited', timestamp: now(), message: comment.message });
}

export function deleteComment(ctx: MaxContext, mid: string) {
  const comment = ctx.world.comments.get(mid);
  if (!comment || comment.deleted) throw maxErrors.notFound(`Comment ${mid} not found`);
  comment.deleted = true;
  return ctx.world.emit(comment.botId, {
    update_type: 'comment_removed', timestamp: now(), message_id: mid, chat_id: comment.chatId,
    user_id: comment.message.sender?.user_id ?? 0, post_id: comment.postMid,
  });
}
