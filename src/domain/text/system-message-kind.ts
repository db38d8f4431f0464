/**
 * Which Open Lines system messages are meant for the client, and what
 * `messages.system_messages` does with each kind. One place decides.
 *
 * What Bitrix24 itself does (imopenlines Connector::onMessageSend): a system
 * message goes out to a connector only when it is flagged IMPORTANT_CONNECTOR,
 * and every such message carries `params.CLASS` containing
 * `bx-messenger-content-item-ol-output` ("output to the external channel"):
 * the welcome text, automatic answers (no operator available, out of hours),
 * the session-close text, the rating request (`IMOL_VOTE…`, CLASS also
 * `…-item-vote`) and the thanks for a rating. The close text and the rating
 * request carry the operator's `user_id`, the others 0; none carries the
 * operator-name prefix. Everything else the chat shows as system — a transfer
 * ("… перевёл(а) диалог на оператора …"), an operator joining or leaving,
 * "the dialog was closed by …" (CLASS `…-ol-end`), notes, the bridge's own
 * notices — is for the operators; when a portal delivers one anyway it has
 * `user_id` 0 (no author) and no output class.
 *
 * Rule: "for-client" = params.CLASS has the output class, or params name a
 * rating (`IMOL_VOTE`) or an Open Lines form (`IMOL_FORM`); "internal" = no
 * author (`user_id` 0) and no such marker, or an explicit internal class
 * (`…-ol-end`, `…-item-system`); otherwise it is an operator's own message
 * (`null`). An event without `params` (empty ones vanish in the form encoding;
 * an older portal, an unknown shape)
 * falls back to the wording: the known operator-side phrasings are internal,
 * any other author-less text is for the client (a welcome must not be lost).
 */
export type SystemMessageKind = 'for-client' | 'internal';

/** `messages.system_messages`: the first three keep their names; the `_all` ones also send internal messages. */
export const SYSTEM_MESSAGES_SETTINGS = ['forward', 'rewrite', 'drop', 'forward_all', 'rewrite_all'] as const;
export type SystemMessagesSetting = (typeof SYSTEM_MESSAGES_SETTINGS)[number];

/** What the client gets: the text as it is, the text in italics, or nothing. */
export type SystemMessageStyle = 'as-is' | 'italic' | 'none';

export interface OpenLinesMessage {
  userId: string;
  text: string;
  /** `message.params` of the event; null (or empty) when the event has none. */
  params: Record<string, unknown> | null;
}

const OUTPUT_CLASS = 'bx-messenger-content-item-ol-output';
const INTERNAL_CLASSES = ['bx-messenger-content-item-ol-end', 'bx-messenger-content-item-system'];
// Operator-side notices of Open Lines (ru, en), for events that carry no params.
const INTERNAL_WORDING = /перев[её]л\(?а?\)? диалог|переадресовал|присоединил(?:ся|ась|\(а\)сь|ся\(ась\))? к диалогу|покинул\(?а?\)? диалог|взял\(?а?\)? диалог|закрыл\(?а?\)? диалог|transferred the (?:dialog|conversation|chat)|joined the (?:dialog|conversation|chat)|left the (?:dialog|conversation|chat)/i;

export function systemMessageKind(message: OpenLinesMessage): SystemMessageKind | null {
  const authorless = message.userId === '0' || message.userId === '';
  const params = message.params && Object.keys(message.params).length > 0 ? message.params : null;
  if (!params) {
    if (!authorless) return null;
    return INTERNAL_WORDING.test(message.text) ? 'internal' : 'for-client';
  }
  const cls = typeof params.CLASS === 'string' ? params.CLASS : '';
  if (cls.includes(OUTPUT_CLASS) || params.IMOL_VOTE !== undefined || params.IMOL_FORM !== undefined) return 'for-client';
  if (authorless || INTERNAL_CLASSES.some((c) => cls.includes(c))) return 'internal';
  return null;
}

export function systemMessageStyle(kind: SystemMessageKind, setting: SystemMessagesSetting): SystemMessageStyle {
  if (setting === 'drop') return 'none';
  if (kind === 'internal' && !setting.endsWith('_all')) return 'none';
  return setting.startsWith('rewrite') ? 'italic' : 'as-is';
}
