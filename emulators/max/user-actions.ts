/**
 * What MAX users do, as the control API drives it: each action changes the
 * world and emits the update(s) the real service would send to the bot.
 */
import type { MaxContext } from './context.ts';
import { maxErrors } from './errors.ts';
import { makeToken } from './ids.ts';
import { userFromInput, type ChatState, type MaxAttachment, type MaxMarkup, type MaxUser, type StoredMessage } from './model.ts';

export interface UserInput {
  user_id: number;
  first_name?: string;
  last_name?: string | null;
  username?: string | null;
  /** A profile photo URL (only GET /chats/{id} shows it, as MAX does). */
  avatar_url?: string | null;
}

/** Attachment as the control API accepts it; converted to what MAX delivers. */
export type ControlAttachment =
  | { type: 'image' | 'video' | 'audio' | 'file'; filename?: string; content_base64?: string; content_type?: string }
  | { type: 'sticker'; code?: string }
  | { type: 'contact'; name: string; phone?: string; user_id?: number }
  | { type: 'location'; latitude: number; longitude: number }
  | { type: 'share'; url: string; title?: string; description?: string }
  /**
   * An attachment delivered exactly as given: a type this emulator does not model, as MAX
   * may send one the schema adds later or a legacy one (spec max-bot-api §4.2: `data`,
   * `reply_keyboard` exist only in schema 0.0.32). `attachment.type` is required.
   */
  | { type: 'raw'; attachment: { type: string } & Record<string, unknown> };

export function ensureUser(ctx: MaxContext, input: UserInput): MaxUser {
  const existing = ctx.world.users.get(input.user_id);
  if (typeof input.avatar_url === 'string') ctx.world.avatars.set(input.user_id, input.avatar_url);
  if (existing && !input.first_name) return existing;
  const { avatar_url: _avatar, ...fields } = input;
  const user = userFromInput({ first_name: `User ${input.user_id}`, ...existing, ...fields } as Parameters<typeof userFromInput>[0]);
  ctx.world.users.set(user.user_id, user);
  return user;
}

function botId(ctx: MaxContext, raw: number | undefined): number {
  const id = raw ?? ctx.world.bots.keys().next().value;
  if (id === undefined || !ctx.world.bots.has(id)) throw maxErrors.notFound(`Bot ${String(raw)} not found`);
  return id;
}

const now = (): number => Date.now();

export function startBot(ctx: MaxContext, input: { bot_id?: number; user: UserInput; payload?: string | null; user_locale?: string }) {
  const bot = botId(ctx, input.bot_id);
  const user = ensureUser(ctx, input.user);
  const chat = ctx.world.dialogOf(bot, user.user_id, true) as ChatState;
  chat.status = 'active';
  return ctx.world.emit(bot, {
    update_type: 'bot_started', timestamp: now(), chat_id: chat.chatId, user, payload: input.payload ?? null, user_locale: input.user_locale ?? 'ru',
  });
}

export function stopBot(ctx: MaxContext, input: { bot_id?: number; user_id: number; remove_dialog?: boolean }) {
  const bot = botId(ctx, input.bot_id);
  const user = ensureUser(ctx, { user_id: input.user_id });
  const chat = ctx.world.dialogOf(bot, user.user_id, false);
  if (!chat) throw maxErrors.notFound('Dialog not found');
  chat.status = 'suspended';
  const stopped = ctx.world.emit(bot, { update_type: 'bot_stopped', timestamp: now(), chat_id: chat.chatId, user, user_locale: 'ru' });
  // Deleting the dialog sends bot_stopped together with dialog_removed (spec §5).
  if (input.remove_dialog) ctx.world.emit(bot, { update_type: 'dialog_removed', timestamp: now(), chat_id: chat.chatId, user, user_locale: 'ru' });
  return stopped;
}

export function dialogEvent(ctx: MaxContext, input: { bot_id?: number; user_id: number; kind: 'cleared' | 'muted' | 'unmuted'; muted_until?: number }) {
  const bot = botId(ctx, input.bot_id);
  const user = ensureUser(ctx, { user_id: input.user_id });
  const chat = ctx.world.dialogOf(bot, user.user_id, false);
  if (!chat) throw maxErrors.notFound('Dialog not found');
  const base = { timestamp: now(), chat_id: chat.chatId, user, user_locale: 'ru' };
  if (input.kind === 'muted') {
    return ctx.world.emit(bot, { update_type: 'dialog_muted', ...base, muted_until: input.muted_until ?? now() + 3_600_000 });
  }
  return ctx.world.emit(bot, { update_type: `dialog_${input.kind}`, ...base });
}

function toAttachment(ctx: MaxContext, botIdValue: number, a: ControlAttachment): MaxAttachment {
  switch (a.type) {
    case 'image': case 'video': case 'audio': case 'file': {
      const token = makeToken('in_');
      const data = Buffer.from(a.content_base64 ?? '', 'base64');
      ctx.world.uploads.set(token, {
        token, type: a.type, botId: botIdValue, uploadedAtMs: 0, filename: a.filename ?? `${a.type}.bin`,
        contentType: a.content_type ?? 'application/octet-stream', data, photoId: 7_000_000 + ctx.world.uploads.size,
      });
      const url = `${ctx.baseUrl()}/_files/${token}`;
      if (a.type === 'image') return { type: 'image', payload: { photo_id: 7_000_000 + ctx.world.uploads.size, token, url } };
      if (a.type === 'file') return { type: 'file', payload: { url, token }, filename: a.filename ?? 'file.bin', size: data.length };
      if (a.type === 'audio') return { type: 'audio', payload: { url, token }, transcription: null };
      return { type: 'video', payload: { url, token }, thumbnail: null, width: 1280, height: 720, duration: 10 };
    }
    case 'sticker':
      return { type: 'sticker', payload: { url: `${ctx.baseUrl()}/_files/sticker-${a.code ?? 'smile'}`, code: a.code ?? 'smile' }, width: 512, height: 512 };
    case 'contact': {
      const vcf = `BEGIN:VCARD\nVERSION:3.0\nFN:${a.name}\n${a.phone ? `TEL;TYPE=cell:${a.phone}\n` : ''}END:VCARD`;
      const maxInfo = a.user_id ? ensureUser(ctx, { user_id: a.user_id, first_name: a.name }) : null;
      return { type: 'contact', payload: { vcf_info: vcf, hash: null, max_info: maxInfo } };
    }
    case 'location':
      return { type: 'location', latitude: a.latitude, longitude: a.longitude };
    case 'share':
      return { type: 'share', payload: { url: a.url, token: null }, title: a.title ?? null, description: a.description ?? null, image_url: null };
    case 'raw':
      if (typeof a.attachment !== 'object' || a.attachment === null || typeof a.attachment.type !== 'string') throw maxErrors.payload('raw attachment: {attachment: {type, ...}} required');
      return { ...a.attachment };
    default:
      throw maxErrors.payload(`Unknown attachment type: ${(a as { type: string }).type}`);
  }
}

export interface WriteInput {
  bot_id?: number;
  /** The author; absent only for a post made on behalf of a channel (its `sender` is null, spec §4.1). */
  user?: UserInput;
  /** A group chat or channel id (negative, spec §1); without it the message goes to the user's dialog with the bot. */
  chat_id?: number;
  text?: string | null;
  markup?: MaxMarkup[] | null;
  attachments?: ControlAttachment[];
  reply_to?: string;
  forward?: string;
  /** The client's app language MAX reports as `user_locale` in dialogs (IETF BCP 47; default `ru`). */
  user_locale?: string;
  /**
   * When the user wrote it, ms (default now; at most 24 h back — the spec leaves how long MAX
   * keeps updates for polling unspecified, §2.2; about a day is what users observe): a message
   * that waited while no bridge polled.
   */
  timestamp_ms?: number;
}

export function writeMessage(ctx: MaxContext, input: WriteInput): StoredMessage {
  const bot = botId(ctx, input.bot_id);
  const user = input.user ? ensureUser(ctx, input.user) : null;
  const chat = input.chat_id !== undefined ? ctx.world.chats.get(input.chat_id) : user ? ctx.world.dialogOf(bot, user.user_id, true) : undefined;
  if (!chat || chat.botId !== bot) throw maxErrors.chatNotFound(input.chat_id ?? '?');
  // Only a channel posts on its own behalf (Message.sender null, spec §4.1); everyone else writes as a user.
  if (!user && chat.type !== 'channel') throw maxErrors.payload('user is required (only a channel post has no sender)');
  if (chat.type === 'dialog' && chat.status === 'suspended') chat.status = 'active';
  const linkMid = input.reply_to ?? input.forward;
  let link: StoredMessage['message']['link'] = null;
  if (linkMid) {
    const target = ctx.world.messages.get(linkMid);
    if (!target) throw maxErrors.notFound(`Message ${linkMid} not found`);
    link = input.reply_to
      ? { type: 'reply', sender: target.message.sender, message: target.message.body }
      : { type: 'forward', sender: target.message.sender, chat_id: target.chatId, message: target.message.body };
  }
  const attachments = input.attachments?.length ? input.attachments.map((a) => toAttachment(ctx, bot, a)) : null;
  const atMs = input.timestamp_ms;
  if (atMs !== undefined && (!Number.isInteger(atMs) || atMs > Date.now() || atMs < Date.now() - 86_400_000)) {
    throw maxErrors.payload('timestamp_ms: a time in ms within the last 24 hours');
  }
  const stored = ctx.world.addMessage({
    chat, sender: user, fromBot: false, text: input.text ?? null, attachments, markup: input.markup ?? null, link, atMs,
  });
  const extra = chat.type === 'dialog' ? { user_locale: input.user_locale ?? 'ru' } : {};
  ctx.world.emit(bot, { update_type: 'message_created', timestamp: stored.message.timestamp, message: stored.message, ...extra });
  return stored;
}

function userMessage(ctx: MaxContext, mid: string): StoredMessage {
  const stored = ctx.world.messages.get(mid);
  if (!stored || stored.deleted) throw maxErrors.notFound(`Message ${mid} not found`);
  if (stored.fromBot) throw maxErrors.payload('Users can edit and delete only their own messages');
  return stored;
}

export function editMessage(ctx: MaxContext, mid: string, input: { text?: string | null; markup?: MaxMarkup[] | null }) {
  const stored = userMessage(ctx, mid);
  stored.history.push(stored.message.body);
  stored.message.body = { ...stored.message.body, text: input.text ?? null, markup: input.markup ?? null };
  // The edit time is the update's timestamp; it is part of the bridge's dedupe key.
  return ctx.world.emit(stored.botId, { update_type: 'message_edited', timestamp: now(), message: stored.message });
}

export function deleteMessage(ctx: MaxContext, mid: string) {
  const stored = userMessage(ctx, mid);
  stored.deleted = true;
  const userId = stored.message.sender?.user_id ?? 0;
  return ctx.world.emit(stored.botId, { update_type: 'message_removed', timestamp: now(), message_id: mid, chat_id: stored.chatId, user_id: userId });
}

export function pressButton(ctx: MaxContext, input: { user_id: number; mid: string; payload: string }) {
  const stored = ctx.world.messages.get(input.mid);
  if (!stored || stored.deleted || !stored.fromBot) throw maxErrors.notFound(`Bot message ${input.mid} not found`);
  const keyboard = (stored.message.body.attachments ?? []).find((a) => a.type === 'inline_keyboard');
  const rows = ((keyboard?.payload as { buttons?: unknown[][] } | undefined)?.buttons ?? []) as Array<Array<{ type?: string; payload?: string }>>;
  if (!rows.flat().some((b) => b.type === 'callback' && b.payload === input.payload)) {
    throw maxErrors.payload(`No callback button with payload ${input.payload} on message ${input.mid}`);
  }
  const user = ensureUser(ctx, { user_id: input.user_id });
  const callbackId = makeToken('cb_');
  ctx.world.callbacks.set(callbackId, { botId: stored.botId, mid: input.mid, userId: user.user_id, answers: [] });
  return ctx.world.emit(stored.botId, {
    update_type: 'message_callback', timestamp: now(),
    callback: { timestamp: now(), callback_id: callbackId, payload: input.payload, user },
    message: stored.message, user_locale: 'ru',
  });
}
