/**
 * The bridge's ids, as opaque branded strings (mautrix `networkid`, `waid/id.go`).
 * Each id's comment states its scope and what makes it unique. Only the codecs
 * here build or take apart an id: the rest of the code never slices one at
 * ':' — a changed format is then one place to change, and a wrong id is a
 * type error rather than a string that happens to look right.
 *
 * The formats are stored (conversation ids, line refs, job keys): changing one
 * needs a migration of the rows that hold it.
 */
import { BridgeError } from './errors.ts';

declare const brand: unique symbol;
/** A string that is a `B` only because a codec said so. */
type Brand<B extends string> = string & { readonly [brand]: B };

/**
 * A bot as configured (`bots[].id`): 1–63 of a–z 0–9 `_` `-`, starting with a letter or a
 * digit (src/config/schema.ts). Unique within one bridge's configuration and stable across
 * restarts: conversation ids and job keys carry it. Never contains ':'.
 */
export type BotId = Brand<'BotId'>;

/**
 * A Bitrix24 portal as configured (`portals[].id`), same alphabet as a bot id. Unique within
 * one bridge's configuration; line refs, event sources and resource keys carry it. Never contains ':'.
 */
export type PortalId = Brand<'PortalId'>;

/**
 * An Open Line of a portal: `<portalId>:<lineId>` (the line's numeric id in that portal).
 * Unique across the bridge; `lines.id`, `conversations.line_ref`, `line_outbox.line_ref`.
 */
export type LineRef = Brand<'LineRef'>;

/**
 * One MAX chat of one bot: `<botId>:<maxChatId>` (MAX's chat id, an integer, negative for a
 * group chat). Unique across the bridge; it is also the external chat id of the conversation's
 * Open Lines chat (`chat.id` in connector events), which is how a reply finds its bot and chat.
 */
export type ConversationId = Brand<'ConversationId'>;

/**
 * A message as the line outbox keys it: unique within one conversation and one outbox method
 * (a MAX `mid` for a client's message, `<mid>@<ts>` for one of its edits, a Bitrix24 message id
 * for a delivery status, `<kind>:<ts>` for a system line). Opaque: never parsed.
 */
export type MessageKey = Brand<'MessageKey'>;

/** The alphabet of configured ids (src/config/schema.ts ID_PATTERN). */
const CONFIGURED_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const LINE_ID = /^\d{1,18}$/;
const MAX_CHAT_ID = /^-?\d{1,20}$/;

/** Raised for an id that does not have its format (stored data damaged, or a caller's bug). */
export const BAD_ID = 'BRG_ERR_BAD_ID';

function bad(kind: string, text: string): BridgeError {
  return new BridgeError(BAD_ID, `not a ${kind}: ${JSON.stringify(text.slice(0, 80))}`, { retryable: false });
}

export function parseBotId(text: string): BotId {
  if (!CONFIGURED_ID.test(text)) throw bad('bot id', text);
  return text as BotId;
}

export function parsePortalId(text: string): PortalId {
  if (!CONFIGURED_ID.test(text)) throw bad('portal id', text);
  return text as PortalId;
}

export function makeLineRef(portalId: PortalId, lineId: number): LineRef {
  if (!Number.isSafeInteger(lineId) || lineId < 0) throw bad('line id', String(lineId));
  return `${portalId}:${lineId}` as LineRef;
}

export function parseLineRef(text: string): LineRef {
  lineParts(text);
  return text as LineRef;
}

function lineParts(text: string): { portalId: PortalId; lineId: number } {
  const at = text.lastIndexOf(':');
  const portal = text.slice(0, at);
  const line = text.slice(at + 1);
  if (at < 0 || !CONFIGURED_ID.test(portal) || !LINE_ID.test(line)) throw bad('line ref', text);
  return { portalId: portal as PortalId, lineId: Number(line) };
}

/** The portal and the portal's numeric line id of a line. */
export function lineRefParts(ref: LineRef): { portalId: PortalId; lineId: number } {
  return lineParts(ref);
}

export function portalOfLine(ref: LineRef): PortalId {
  return lineParts(ref).portalId;
}

export function lineIdOfLine(ref: LineRef): number {
  return lineParts(ref).lineId;
}

export function makeConversationId(botId: BotId, maxChatId: string): ConversationId {
  if (!MAX_CHAT_ID.test(maxChatId)) throw bad('MAX chat id', maxChatId);
  return `${botId}:${maxChatId}` as ConversationId;
}

/**
 * A conversation id from outside (a connector event's `chat.id`, a stored row): null when it
 * does not have the format, which for an event means "no conversation of ours".
 */
export function parseConversationId(text: string): ConversationId | null {
  const at = text.indexOf(':');
  if (at < 0 || !CONFIGURED_ID.test(text.slice(0, at)) || !MAX_CHAT_ID.test(text.slice(at + 1))) return null;
  return text as ConversationId;
}

export function conversationIdParts(id: ConversationId): { botId: BotId; maxChatId: string } {
  const at = id.indexOf(':');
  return { botId: id.slice(0, at) as BotId, maxChatId: id.slice(at + 1) };
}

export function makeMessageKey(text: string): MessageKey {
  if (text.length === 0) throw bad('message key', text);
  return text as MessageKey;
}
