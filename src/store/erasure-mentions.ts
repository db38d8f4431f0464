/**
 * What identifies one client (a MAX user) in stored text, and how a record shared with
 * other clients is cleaned of them (erasure-repo.ts). Pure: no database.
 *
 * A row that is the client's alone is deleted by the repository; this file serves the rows
 * that are not: a line's batch call carrying several clients' messages, a chat history read,
 * a group member's update quoting the client. Their JSON (or form-encoded) body is parsed and
 *
 * 1. every record about the client is replaced by ERASED — an array element, or an object
 *    property, that names the client itself (`user_id`, the dialog's `chat_id`, the
 *    conversation id, one of the client's message ids) or whose direct child does (a message
 *    whose `sender` is the client, a batch item whose `chat.id` is the client's conversation);
 * 2. any remaining leaf that names the client is replaced by ERASED;
 * 3. if the whole body is about the client, or the text does not parse and names the client
 *    (their user id or a dialog's chat id as a whole number, a conversation id, a mid), the
 *    caller erases the whole body. In parsed bodies ids count only under the keys the APIs
 *    use for them: a number elsewhere (a size, a Bitrix24 message id) may equal one by chance.
 *
 * Names, phones and texts carry no id, so they are found through the record that holds
 * them, never by searching for a name (a name is not unique; another client's row would
 * go). What is not inside such a record — a group member's own words about the client —
 * stays (docs/privacy.md says so).
 */
import { parse as parseForm, stringify as stringifyForm } from 'qs';
import { quoteBigIntegers } from '../domain/big-json.ts';

/** What replaces erased content. */
export const ERASED = '[erased]';

/** A line outbox item whose content was erased (the row stays: its key keeps a redelivered update from being sent again). */
export const ERASED_ITEM_JSON = JSON.stringify({ erased: true });

/** Who is erased, as the stored rows name them. Grows while the rows are read (erasure-repo.ts). */
export interface ErasureSubject {
  maxUserId: string;
  /** MAX chat ids of the client's dialogs with the bots (positive; a dialog is one client's). */
  dialogChatIds: Set<string>;
  /** Those dialogs' conversation ids (`<botId>:<chatId>`), also the Open Lines external chat ids. */
  conversationIds: Set<string>;
  /** MAX message ids (mids) of the client's own messages and of the bot's messages in their dialogs. */
  mids: Set<string>;
  /** The Open Lines chat ids (Bitrix24's `CHAT_ID`) of those dialogs: a chat history read names the chat by them. */
  bitrixChatIds: Set<string>;
}

export function newSubject(maxUserId: string): ErasureSubject {
  return { maxUserId, dialogChatIds: new Set(), conversationIds: new Set(), mids: new Set(), bitrixChatIds: new Set() };
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keys whose value is a MAX user id (the Bot API's names for a person). */
const USER_KEYS = new Set(['user_id', 'inviter_id', 'admin_id', 'owner_id', 'dialog_with_user_id']);
const CHAT_KEYS = new Set(['chat_id']);

/** A leaf that names the client: their user id under a user key, a dialog chat id, a conversation id, a mid of theirs. */
function leafNames(key: string, value: unknown, s: ErasureSubject): boolean {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return false;
  const text = String(value);
  const name = key.toLowerCase();
  if (USER_KEYS.has(name) && text === s.maxUserId) return true;
  if (CHAT_KEYS.has(name) && (s.dialogChatIds.has(text) || s.bitrixChatIds.has(text))) return true;
  if (typeof value !== 'string') return false;
  return s.conversationIds.has(text) || mentionsText(text, s, false);
}

/** Names the client by one of its own leaves, or a list of them (`CONNECTOR_MID: [mid]`). */
function identifies(obj: Json, s: ErasureSubject): boolean {
  return Object.entries(obj).some(([key, value]) => (Array.isArray(value) ? value.some((item) => leafNames(key, item, s)) : leafNames(key, value, s)));
}

/**
 * A list sent as an object — PHP's arrays (`{"86405": …, "86406": …}`), a batch's commands
 * (`{"c0": …, "c1": …}`): each entry is a record of its own, the object is not one record.
 */
function isCollection(obj: Json): boolean {
  const keys = Object.keys(obj);
  return keys.length > 0 && keys.every((k) => /^[a-z]{0,3}\d+$/i.test(k));
}

/** About the client: names them itself, or through a direct child object (message → sender, item → chat). */
function about(obj: Json, s: ErasureSubject): boolean {
  return identifies(obj, s) || (!isCollection(obj) && Object.values(obj).some((child) => isObject(child) && identifies(child, s)));
}

function pruneValue(value: unknown, key: string, s: ErasureSubject): unknown {
  if (Array.isArray(value)) return value.map((item) => (isObject(item) && about(item, s) ? ERASED : pruneValue(item, key, s)));
  if (isObject(value)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[k] = isObject(v) && about(v, s) ? ERASED : pruneValue(v, k, s);
    return out;
  }
  return leafNames(key, value, s) ? ERASED : value;
}

/** A digit run equal to `id`, not part of a longer number. */
function namesNumber(text: string, id: string): boolean {
  let at = text.indexOf(id);
  while (at >= 0) {
    const before = text.charCodeAt(at - 1);
    const after = text.charCodeAt(at + id.length);
    const digit = (c: number) => c >= 48 && c <= 57;
    if (!digit(before) && !digit(after)) return true;
    at = text.indexOf(id, at + 1);
  }
  return false;
}

/**
 * Whether free text names the client: a conversation id (also URL-encoded), a mid; with
 * `numbers`, also the user id or a dialog chat id as a whole number anywhere — the check of
 * a body after pruning, and of text that does not parse.
 */
export function mentionsText(text: string, s: ErasureSubject, numbers = true): boolean {
  for (const id of s.conversationIds) {
    if (text.includes(id) || text.toLowerCase().includes(encodeURIComponent(id).toLowerCase())) return true;
  }
  for (const mid of s.mids) if (text.includes(mid)) return true;
  if (!numbers) return false;
  if (namesNumber(text, s.maxUserId)) return true;
  for (const chat of s.dialogChatIds) if (namesNumber(text, chat)) return true;
  return false;
}

/** Free text with the client's ids replaced by ERASED (an endpoint: `GET /chats/[erased]`). */
export function withoutIds(text: string, s: ErasureSubject): string {
  let out = text;
  for (const id of [...s.conversationIds, ...[...s.conversationIds].map(encodeURIComponent), ...s.mids]) out = out.split(id).join(ERASED);
  for (const id of [s.maxUserId, ...s.dialogChatIds]) out = out.replace(new RegExp(`(?<![0-9])${id.replace(/[^0-9-]/g, '')}(?![0-9])`, 'g'), ERASED);
  return out;
}

type Parsed = { kind: 'json' | 'form'; value: unknown } | null;

function parseBody(text: string): Parsed {
  const head = text.trimStart()[0];
  if (head === '{' || head === '[') {
    try {
      return { kind: 'json', value: JSON.parse(quoteBigIntegers(text)) as unknown };
    } catch {
      return null;
    }
  }
  if (/^[^=&\s]+=/.test(text)) return { kind: 'form', value: parseForm(text, { depth: 10, arrayLimit: 1_000, parameterLimit: 10_000 }) };
  return null;
}

/**
 * The outcome for one stored text: `unchanged` (it does not name the client), `pruned` (the
 * records about the client replaced, `text` is the rest), or `whole` (about the client as a
 * whole, or not readable: the caller deletes the row or erases the whole field).
 */
export type PruneOutcome = { kind: 'unchanged' } | { kind: 'pruned'; text: string } | { kind: 'whole' };

export function pruneText(text: string | null, s: ErasureSubject): PruneOutcome {
  if (text === null) return { kind: 'unchanged' };
  const parsed = parseBody(text);
  // Not JSON nor a form: the ids are looked for as whole numbers anywhere (an error message, a path).
  if (!parsed) return mentionsText(text, s) ? { kind: 'whole' } : { kind: 'unchanged' };
  // Parsed: only where the shapes put an id — a number elsewhere (a size, a Bitrix24 message id) may equal it by chance.
  if (!namesSubject(parsed.value, s)) return { kind: 'unchanged' };
  if (isObject(parsed.value) && about(parsed.value, s)) return { kind: 'whole' };
  const pruned = pruneValue(parsed.value, '', s);
  return { kind: 'pruned', text: parsed.kind === 'json' ? JSON.stringify(pruned) : stringifyForm(pruned) };
}

/** Whether a parsed JSON document names the client anywhere (a leaf under a known key or a string). */
export function namesSubject(value: unknown, s: ErasureSubject, key = ''): boolean {
  if (Array.isArray(value)) return value.some((item) => namesSubject(item, s, key));
  if (isObject(value)) return Object.entries(value).some(([k, v]) => namesSubject(v, s, k));
  return leafNames(key, value, s);
}

/** Parses stored JSON or a form body; null when it is neither. */
export function parseStored(text: string): unknown {
  return parseBody(text)?.value ?? null;
}
