/**
 * What the router knows of a new conversation, taken from the MAX update that
 * opens it (spec max-bot-api §updates): the bot, the chat's type, the deep-link
 * payload of a `bot_started`, the text of a `message_created`, and the client's
 * `user_locale`. The first update is all there is: a conversation opened by a
 * deep link is routed on its payload (its text is not known yet).
 */
import type { RoutingInput } from '../domain/routing/routing-input.ts';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOr = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export function routingInputOf(update: unknown, botId: string, nowMs: number): RoutingInput {
  const u = isObject(update) ? update : {};
  const message = isObject(u.message) ? u.message : null;
  const recipient = message && isObject(message.recipient) ? message.recipient : null;
  const body = message && isObject(message.body) ? message.body : null;
  // Group chats and channels have negative ids (spec §1); a dialog's updates may carry no chat type.
  const chatId = Number(recipient?.chat_id ?? u.chat_id ?? 0);
  const chatType = recipient?.chat_type === 'chat' || recipient?.chat_type === 'channel' || chatId < 0 ? 'chat' : 'dialog';
  return {
    botId,
    chatType,
    startPayload: u.update_type === 'bot_started' ? textOr(u.payload) : null,
    firstText: u.update_type === 'message_created' ? textOr(body?.text) : null,
    language: textOr(u.user_locale),
    nowMs,
  };
}
