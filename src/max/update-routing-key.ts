/**
 * Where a MAX update belongs: the MAX chat it happened in (ordering key of its
 * conversation), and whether it is the bot's own message (ignored). Updates do
 * not name the bot (spec §2.1): the webhook path does.
 */
type Json = Record<string, unknown>;

export function maxChatIdOf(update: Json): string | null {
  const message = update.message as Json | undefined;
  const recipient = message?.recipient as Json | undefined;
  const chatId = recipient?.chat_id ?? update.chat_id;
  if (chatId !== undefined && chatId !== null) return String(chatId);
  const callbackMessage = (update.message as Json | undefined) ?? undefined;
  const cbChat = (callbackMessage?.recipient as Json | undefined)?.chat_id;
  return cbChat !== undefined && cbChat !== null ? String(cbChat) : null;
}

/** True for the bot's own messages coming back (undocumented whether they do: spec §7.12). */
export function isOwnMessage(update: Json, botUserId: string | null): boolean {
  if (update.update_type !== 'message_created' && update.update_type !== 'message_edited') return false;
  const sender = (update.message as Json | undefined)?.sender as Json | undefined;
  if (!sender) return false;
  if (botUserId !== null && String(sender.user_id) === botUserId) return true;
  return sender.is_bot === true;
}

/** The MAX user an update is about (the message's sender, the callback's or lifecycle's user), for the journal; null when none. */
export function maxUserIdOf(update: Json): string | null {
  const message = update.message as Json | undefined;
  const callback = update.callback as Json | undefined;
  const user = (message?.sender ?? callback?.user ?? update.user) as Json | undefined;
  const id = user?.user_id ?? update.user_id;
  return id !== undefined && id !== null ? String(id) : null;
}

/** The MAX message an update is about (`mid`, or the removed message's id), for the journal; null when none. */
export function maxMessageIdOf(update: Json): string | null {
  const body = (update.message as Json | undefined)?.body as Json | undefined;
  const mid = body?.mid ?? update.message_id;
  return mid !== undefined && mid !== null && mid !== '' ? String(mid) : null;
}
