/**
 * Which MAX chats become Open Lines conversations, and how a group chat looks
 * in the line. Dialogs always; channels never (a post has no sender to answer,
 * spec max-bot-api §4.1); group chats only with `max.group_chats: conversation`.
 *
 * A group is ONE conversation: with the connector's CHAT_GROUP=N, Bitrix24 keys
 * a dialog by (chat.id, user.id) (spec bitrix24-rest §4), so every item of the
 * group is sent as one external user — "Группа <title>" — and each message is
 * signed with its author's name instead; otherwise each member who writes would
 * open a session (and a lead) of their own.
 */
import { escapeBbcodeText } from '../domain/text/markup-to-bbcode.ts';
import { sanitizeClientName } from '../domain/text/client-name.ts';
import type { SkipReason } from '../store/repos/skipped-update-repo.ts';

type Json = Record<string, unknown>;

export type GroupChatsMode = 'ignore' | 'conversation';

/**
 * What chat an update is about. `group_or_channel`: only a negative chat id is known
 * (group chats and channels have negative ids, dialogs positive: spec §1), as in
 * message_removed and chat_title_changed.
 */
export type ChatKind = 'dialog' | 'chat' | 'channel' | 'group_or_channel';

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

export function chatKindOf(update: Json): ChatKind {
  const message = update.message;
  const recipient = isObject(message) && isObject(message.recipient) ? message.recipient : undefined;
  const type = recipient?.chat_type;
  if (type === 'dialog' || type === 'chat' || type === 'channel') return type;
  if (update.is_channel === true) return 'channel';
  const chatId = Number(recipient?.chat_id ?? update.chat_id);
  if (!Number.isFinite(chatId) || chatId >= 0) return 'dialog';
  return update.is_channel === false ? 'chat' : 'group_or_channel';
}

/**
 * Why an update is not carried to a line, or null when it is. An update that cannot
 * tell a group from a channel goes on only to a group's existing conversation.
 */
export function skipReasonFor(kind: ChatKind, mode: GroupChatsMode, hasConversation: boolean): SkipReason | null {
  if (kind === 'dialog') return null;
  if (kind === 'channel') return 'channel';
  if (mode === 'ignore') return kind === 'chat' ? 'group_chat' : 'group_or_channel';
  return kind === 'group_or_channel' && !hasConversation ? 'group_or_channel' : null;
}

/** The one external user every item of a group conversation is sent as (Bitrix24 names: letters only, ≤25 each). */
export function groupLineUser(maxChatId: string, title: string | null): Json {
  return { id: `group:${maxChatId}`, name: 'Группа', last_name: sanitizeClientName(title, 'MAX') };
}

/** The Open Lines chat's name for a group conversation. */
export function groupChatName(title: string | null): string {
  return `Группа «${(title ?? '').trim() || 'MAX'}»`.slice(0, 255);
}

/** The author's signature above each message of a group conversation (BB-code). */
export function authorLine(user: Json | null | undefined): string {
  const name = [user?.first_name, user?.last_name].filter((v) => typeof v === 'string' && v.trim()).join(' ').trim();
  return `[b]${escapeBbcodeText(name || 'Участник группы')}:[/b]`;
}
