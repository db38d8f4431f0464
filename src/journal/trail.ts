/**
 * One conversation's trail, read from the journal: every hop (each HTTP exchange with MAX or
 * Bitrix24 about this conversation) with who acted, what it carried and what the other side
 * answered, and the messages of the dialogue with whether and when each was delivered. Pure:
 * the rows come from src/bridge/trail-source.ts; trail-html.ts renders the page a dispute is
 * settled with ("the client says they wrote at 10:02 and nobody answered"); docs/journal.md is
 * the reader's guide.
 *
 * The bodies are opaque text written by the journal (JSON, form-encoded Bitrix24 events,
 * `[multipart]`, or nothing), already redacted of secrets and masked by the privacy policy in
 * force when each row was written; this module reads them, never unmasks anything. A batch
 * call (`refs`) carries several conversations: only this conversation's items are kept, of its
 * request and of its answer, so another client's words never reach this trail.
 *
 * Delivery, as the journal shows it:
 * - a client's message (MAX `mid`) is delivered when an `imconnector.send.messages` call
 *   carrying it was answered with its item's `SUCCESS`; at the end of that exchange;
 * - an operator's message (Bitrix24 `im.message_id`) is delivered when the last `POST /messages`
 *   made for it (a long reply goes in parts) was answered 2xx; the delivery status sent back to
 *   Bitrix24 afterwards is one of its hops.
 * "failed": tried and never confirmed; "pending": never tried (yet); "unknown": the journal
 * cannot tell (an answer that cannot be read, a system message the bridge may skip by design).
 */
import { parse as parseForm } from 'qs';
import { parseJsonKeepingBigIntegers } from '../domain/big-json.ts';
import { conversationIdParts, parseConversationId } from '../domain/ids.ts';
import { systemMessageKind } from '../domain/text/system-message-kind.ts';
import type { JournalRow } from '../store/repos/journal-repo.ts';
import type { MaskingPolicy } from './masking.ts';

export interface TrailConversation {
  id: string;
  botId: string;
  maxChatId: string;
  maxUserId: string | null;
  lineRef: string;
  routeName: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface TrailInput {
  conversationId: string;
  conversation: TrailConversation | null;
  /** Oldest first (the trail sorts them by time again, then by id). */
  rows: JournalRow[];
  exportedAtMs: number;
  exportedBy: string;
  policy: MaskingPolicy;
}

export interface TrailOptions {
  /** IANA zone the times are written in; default `Europe/Moscow` (the users are Russian companies). */
  timeZone?: string;
}

export const DEFAULT_TRAIL_TIME_ZONE = 'Europe/Moscow';

export type TrailRoute = 'max→bridge' | 'bridge→bitrix24' | 'bitrix24→bridge' | 'bridge→max' | 'bridge→hook';
export type TrailActor = 'client' | 'operator' | 'bridge' | 'system';
export type TrailOutcome = 'delivered' | 'failed' | 'pending' | 'unknown';

/** What a hop was, as a stable key; trail-html.ts has the Russian and English words. */
export const TRAIL_WHATS = [
  // MAX → bridge
  'client-message', 'client-edit', 'client-delete', 'client-button', 'client-start', 'client-stop', 'bot-echo', 'max-update',
  // bridge → Bitrix24
  'to-line', 'to-line-edit', 'to-line-delete', 'delivery-status', 'reading-status', 'chat-name', 'operator-notice', 'bitrix24-call',
  // Bitrix24 → bridge
  'operator-message', 'system-message', 'operator-edit', 'operator-delete', 'dialog-start', 'dialog-finish', 'connector-off',
  'line-deleted', 'app-install', 'bitrix24-event',
  // bridge → MAX
  'to-client', 'client-notice', 'to-client-edit', 'to-client-delete', 'chat-info', 'file-upload', 'button-answer', 'max-call',
  // bridge → hook
  'hook-call',
] as const;
export type TrailWhat = (typeof TRAIL_WHATS)[number];

export interface TrailHop {
  journalId: number;
  atMs: number;
  atIso: string;
  route: TrailRoute;
  actor: TrailActor;
  what: TrailWhat;
  endpoint: string;
  status: number | null;
  /** Answered 2xx, no error code, and the answer itself says yes (MAX `success`, Bitrix24 `SUCCESS` of this conversation's items). */
  ok: boolean;
  durationMs: number;
  /** The row's message, or this conversation's messages of a batch call (comma-separated). */
  messageId: string | null;
  jobId: string | null;
  errorCode: string | null;
  /** The message text the hop carried (as written in the journal: BB-code, masked per policy); null when none can be read. */
  text: string | null;
  /** What the other side answered, in its own words: MAX's mid, Bitrix24's SUCCESS or error with its description. */
  answer: string | null;
  /** A redelivery the bridge recognised and acknowledged without effect (error code DUPLICATE). */
  duplicate: boolean;
  /** The parsed body (JSON or form), or its text; only this conversation's part of a batch. */
  request: unknown;
  response: unknown;
}

export interface TrailMessage {
  direction: 'in' | 'out';
  messageId: string;
  /** Who wrote it: the client, an operator, or Open Lines itself (welcome, rating request, transfer). */
  actor: TrailActor;
  text: string | null;
  /**
   * When the side says it was written, by its own clock: MAX's `message.timestamp` for a
   * client's message, the Bitrix24 event's `ts` (whole seconds) for an operator's; null when
   * the journal does not show it. MAX redelivers late (60 s and more), so this can be well
   * before `firstSeenMs`.
   */
  writtenMs: number | null;
  writtenIso: string | null;
  /** When the bridge first heard of it (its first hop). */
  firstSeenMs: number;
  firstSeenIso: string;
  deliveredMs: number | null;
  deliveredIso: string | null;
  /** Journal ids of the hops about this message, in trail order. */
  hops: number[];
  outcome: TrailOutcome;
  /** The message was edited afterwards (a hop of it is an edit). */
  edited: boolean;
  /** The message was deleted afterwards. */
  deleted: boolean;
}

export interface TrailSummary {
  clientMessages: number;
  operatorMessages: number;
  failedHops: number;
  firstClientMessageMs: number | null;
  /** When the first operator message at or after the first client message reached the bridge. */
  firstOperatorReplyMs: number | null;
}

export interface Trail {
  conversationId: string;
  conversation: TrailConversation | null;
  exportedAtMs: number;
  exportedAtIso: string;
  exportedBy: string;
  policy: MaskingPolicy;
  /** The zone of every `…Iso` field. */
  timeZone: string;
  hops: TrailHop[];
  messages: TrailMessage[];
  summary: TrailSummary;
}

// ---------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
        hourCycle: 'h23', timeZoneName: 'longOffset',
      });
    } catch {
      throw new RangeError(`"${timeZone}" is not a time zone; write an IANA zone name such as Europe/Moscow, Asia/Yekaterinburg or UTC`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** `2026-03-02T10:02:15.120+03:00`: ISO 8601 with the zone's offset at that moment. */
export function isoInZone(ms: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const part of formatterOf(timeZone).formatToParts(ms)) parts[part.type] = part.value;
  const zone = parts.timeZoneName ?? 'GMT';
  const offset = zone === 'GMT' || zone === 'UTC' ? '+00:00' : zone.replace(/^(GMT|UTC)/, '');
  const millis = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${millis}${offset}`;
}

// ---------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Json => (isObject(v) ? v : {});
/** A scalar as text (ids come as numbers or strings); null for anything else or empty. */
function str(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return null;
}

const FORM_START = /^[^&=\s{[]+=/;
const WHITESPACE = /\s/;
/** As the events plugin parses them (src/http/plugins/bitrix24-events.ts). */
const FORM_OPTIONS = { depth: 10, arrayLimit: 1_000, parameterLimit: 10_000 };
/** The longest answer text kept in a summary; the full answer stays in `response`. */
const ANSWER_MAX_CHARS = 300;
/** What stands for a body shared with other conversations that could not be cut to this one's part. */
export const SHARED_BODY_OMITTED = '[omitted: shared with other conversations]';

/** A body as JSON (big integers kept as strings), a form (Bitrix24 events), or its text. */
export function parseJournalBody(text: string | null): unknown {
  if (text === null) return null;
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return parseJsonKeepingBigIntegers(trimmed);
    } catch {
      return text; // not JSON after all
    }
  }
  if (!WHITESPACE.test(trimmed) && FORM_START.test(trimmed)) return parseForm(trimmed, FORM_OPTIONS) as Json;
  return text;
}

/** A table's own entry only: a name from a body (`constructor`, `__proto__`) is no key of the prototype. */
function lookUp<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** `MESSAGES` as a list: an array, or an index-keyed object as qs gives for a long form list. */
function listOf(v: unknown): Json[] {
  if (Array.isArray(v)) return v.map(obj);
  if (isObject(v)) return Object.values(v).map(obj);
  return [];
}

function shorten(text: string): string {
  return text.length > ANSWER_MAX_CHARS ? `${text.slice(0, ANSWER_MAX_CHARS)}…` : text;
}

/** One item's message key: the Bitrix24 message of a status or event item, else the external (MAX) id. */
function itemKey(item: Json): string | null {
  return str(obj(item.im).message_id) ?? str(obj(item.message).id);
}

/** A side's time (a number or digits) in ms; null when absent or not a time. */
function timeOf(v: unknown, msPerUnit: number): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n * msPerUnit : null;
}

function itemText(items: Json[]): string | null {
  const texts = items.map((i) => str(obj(i.message).text)).filter((t): t is string => t !== null);
  return texts.length > 0 ? texts.join('\n') : null;
}

/** `[{code, message}]` or strings, as Bitrix24 lists an item's ERRORS. */
function errorsText(errors: unknown): string {
  const list = Array.isArray(errors) ? errors : isObject(errors) ? Object.values(errors) : [errors];
  return list.map((e) => (isObject(e) ? [str(e.code), str(e.message)].filter(Boolean).join(': ') : String(e ?? ''))).filter(Boolean).join(', ');
}

// ---------------------------------------------------------------------------
// Reading one row
// ---------------------------------------------------------------------------

interface Introduced {
  direction: 'in' | 'out';
  messageId: string;
  actor: TrailActor;
  text: string | null;
  writtenMs: number | null;
  /** From the message's own intake (its update or event); a fallback from a later hop gives way to it. */
  intake: boolean;
}

/** What one row says, beyond its columns. */
interface Reading {
  what: TrailWhat;
  actor: TrailActor;
  text: string | null;
  answer: string | null;
  /** The answer's own verdict: false when it says no; null when it says nothing either way. */
  answerOk: boolean | null;
  request: unknown;
  response: unknown;
  /** Message keys this hop is about (this conversation's part only). */
  ids: string[];
  /** A batch call's verdict per item, by message key. */
  itemOk: Map<string, boolean>;
  introduces: Introduced[];
}

interface RowContext {
  conversationId: string;
  /** The row names this conversation itself (not only in `refs`). */
  direct: boolean;
  /** The row carries other conversations too. */
  shared: boolean;
  /** This conversation's message keys of the row's `refs`. */
  refIds: string[];
}

function blankReading(what: TrailWhat, actor: TrailActor, row: JournalRow, ctx: RowContext): Reading {
  return {
    what, actor, text: null, answer: null, answerOk: null, request: parseJournalBody(row.requestBody), response: parseJournalBody(row.responseBody),
    ids: [...(ctx.direct && row.messageId !== null ? [row.messageId] : []), ...ctx.refIds], itemOk: new Map(), introduces: [],
  };
}

const MAX_UPDATE_WHAT: Record<string, TrailWhat> = {
  message_created: 'client-message', message_edited: 'client-edit', message_removed: 'client-delete',
  message_callback: 'client-button', bot_started: 'client-start', bot_stopped: 'client-stop',
};

/** MAX → bridge: one Update (webhook or long poll). */
function readMaxIn(row: JournalRow, ctx: RowContext): Reading {
  const r = blankReading('max-update', 'system', row, ctx);
  const update = obj(r.request);
  const type = String(update.update_type ?? '');
  const message = obj(update.message);
  const body = obj(message.body);
  const fromBot = obj(message.sender).is_bot === true;
  r.what = fromBot && (type === 'message_created' || type === 'message_edited') ? 'bot-echo' : (lookUp(MAX_UPDATE_WHAT, type) ?? 'max-update');
  r.actor = r.what === 'bot-echo' ? 'bridge' : r.what === 'max-update' ? 'system' : 'client';
  if (type === 'message_created' || type === 'message_edited') r.text = str(body.text);
  const mid = type === 'message_callback' ? null : (str(body.mid) ?? str(update.message_id));
  if (mid !== null && !r.ids.includes(mid)) r.ids.push(mid);
  if (r.what === 'client-message' && mid !== null) {
    r.introduces.push({ direction: 'in', messageId: mid, actor: 'client', text: r.text, writtenMs: timeOf(message.timestamp, 1), intake: true });
  }
  return r;
}

const MAX_OUT_WHAT: Array<[RegExp, TrailWhat]> = [
  [/^POST \/messages$/, 'to-client'], [/^PUT \/messages$/, 'to-client-edit'], [/^DELETE \/messages$/, 'to-client-delete'],
  [/^GET \/chats\//, 'chat-info'], [/^(upload |POST \/uploads)/, 'file-upload'], [/^POST \/answers$/, 'button-answer'],
];

/** MAX's answer: `{message: {body: {mid}}}`, `{success, message?}` or `{code, message}`. */
function maxAnswer(response: unknown): { answer: string | null; ok: boolean | null } {
  if (typeof response === 'string') return { answer: response === '' ? null : shorten(response), ok: null };
  const res = obj(response);
  const mid = str(obj(obj(res.message).body).mid);
  if (mid !== null) return { answer: `mid ${mid}`, ok: true };
  if (typeof res.success === 'boolean') {
    const why = str(res.message);
    return { answer: res.success ? 'success' : `success: false${why ? ` — ${why}` : ''}`, ok: res.success };
  }
  const code = str(res.code);
  if (code !== null) return { answer: shorten([code, str(res.message)].filter(Boolean).join(': ')), ok: false };
  return { answer: null, ok: null };
}

/** Bridge → MAX: a send, an edit, a read of the chat, an upload. */
function readMaxOut(row: JournalRow, ctx: RowContext): Reading {
  const what = MAX_OUT_WHAT.find(([pattern]) => pattern.test(row.endpoint))?.[1] ?? 'max-call';
  const r = blankReading(what === 'to-client' && row.messageId === null ? 'client-notice' : what, 'bridge', row, ctx);
  if (r.what === 'to-client' || r.what === 'client-notice' || r.what === 'to-client-edit') r.text = str(obj(r.request).text);
  const answer = maxAnswer(r.response);
  r.answer = answer.answer;
  r.answerOk = answer.ok;
  if (r.what === 'to-client' && ctx.direct && row.messageId !== null) {
    r.introduces.push({ direction: 'out', messageId: row.messageId, actor: 'operator', text: r.text, writtenMs: null, intake: false });
  }
  return r;
}

const BITRIX_EVENT_WHAT: Record<string, TrailWhat> = {
  ONIMCONNECTORMESSAGEADD: 'operator-message', ONIMCONNECTORMESSAGEUPDATE: 'operator-edit', ONIMCONNECTORMESSAGEDELETE: 'operator-delete',
  ONIMCONNECTORDIALOGSTART: 'dialog-start', ONIMCONNECTORDIALOGFINISH: 'dialog-finish', ONIMCONNECTORSTATUSDELETE: 'connector-off',
  ONIMCONNECTORLINEDELETE: 'line-deleted', ONAPPINSTALL: 'app-install',
};

/** Items of a list that are this conversation's: by `chat.id`; a single-conversation row's are all its own. */
function ourItems(items: Json[], ctx: RowContext): number[] {
  const mine = items.flatMap((item, i) => {
    const chat = str(obj(item.chat).id);
    const key = itemKey(item);
    return chat === ctx.conversationId || (chat === null && key !== null && ctx.refIds.includes(key)) ? [i] : [];
  });
  if (mine.length > 0 || ctx.shared) return mine;
  return items.map((_, i) => i);
}

/** An operator's own message, or an Open Lines system message (welcome, rating, transfer…). */
function eventActor(item: Json): TrailActor {
  const message = obj(item.message);
  const params = isObject(message.params) ? message.params : null;
  const kind = systemMessageKind({ userId: str(message.user_id) ?? '', text: str(message.text) ?? '', params });
  return kind === null ? 'operator' : 'system';
}

/** Bitrix24 → bridge: an event (form-encoded or JSON) or the app's install. */
function readBitrixIn(row: JournalRow, ctx: RowContext): Reading {
  const r = blankReading(lookUp(BITRIX_EVENT_WHAT, row.endpoint.toUpperCase()) ?? 'bitrix24-event', 'system', row, ctx);
  const body = obj(r.request);
  const data = obj(body.data);
  const items = listOf(data.MESSAGES);
  const ours = ourItems(items, ctx).map((i) => items[i] as Json);
  if (items.length > 0 && ours.length < items.length) r.request = { ...body, data: { ...data, MESSAGES: ours } };
  if (r.what === 'operator-message' || r.what === 'operator-edit') r.text = itemText(ours);
  const first = ours[0];
  if (r.what === 'operator-message' && first) r.what = eventActor(first) === 'operator' ? 'operator-message' : 'system-message';
  r.actor = r.what === 'operator-message' || r.what === 'operator-edit' || r.what === 'operator-delete' ? 'operator' : 'system';
  for (const item of ours) {
    const key = str(obj(item.im).message_id);
    if (key !== null && !r.ids.includes(key)) r.ids.push(key);
    if (key !== null && (r.what === 'operator-message' || r.what === 'system-message')) {
      r.introduces.push({ direction: 'out', messageId: key, actor: eventActor(item), text: str(obj(item.message).text), writtenMs: timeOf(body.ts, 1000), intake: true });
    }
  }
  return r;
}

const BITRIX_OUT_WHAT: Record<string, TrailWhat> = {
  'imconnector.send.messages': 'to-line', 'imconnector.update.messages': 'to-line-edit', 'imconnector.delete.messages': 'to-line-delete',
  'imconnector.send.status.delivery': 'delivery-status', 'imconnector.send.status.reading': 'reading-status',
  'imconnector.chat.name.set': 'chat-name', 'im.message.add': 'operator-notice',
};

/** One item's answer: `SUCCESS (session 323, chat 1767)` or `ERROR: CODE: message`. */
function itemAnswer(item: Json | undefined): { text: string; ok: boolean | null } {
  if (!item) return { text: '?', ok: null };
  if (item.SUCCESS === false) return { text: `ERROR${item.ERRORS === undefined ? '' : `: ${errorsText(item.ERRORS)}`}`, ok: false };
  const session = obj(item.session);
  const where = [str(session.ID) && `session ${str(session.ID)}`, str(session.CHAT_ID) && `chat ${str(session.CHAT_ID)}`].filter(Boolean).join(', ');
  return { text: where ? `SUCCESS (${where})` : 'SUCCESS', ok: item.SUCCESS === true ? true : null };
}

/**
 * Bitrix24's answer to a call with items: `{result: {SUCCESS, DATA: {RESULT: [...]}}}`, the
 * results in the items' order; only this conversation's are kept and read.
 */
function bitrixItemsAnswer(r: Reading, result: Json, items: Json[], ours: number[], conversationId: string): void {
  const data = obj(result.DATA);
  const results = listOf(data.RESULT);
  if (results.length === 0) {
    r.answer = result.SUCCESS === false ? 'SUCCESS: false' : result.SUCCESS === true ? 'SUCCESS' : null;
    r.answerOk = typeof result.SUCCESS === 'boolean' ? result.SUCCESS : null;
    return;
  }
  // In the items' order when there is one result per item; otherwise by the result's own chat id.
  const aligned = results.length === items.length;
  const picked = aligned ? ours.map((i) => results[i]) : results.filter((x) => str(obj(x.chat).id) === conversationId);
  const answers = picked.map(itemAnswer);
  picked.forEach((result, n) => {
    const key = aligned ? itemKey(items[ours[n] as number] as Json) : itemKey(obj(result));
    const verdict = answers[n]?.ok;
    if (key !== null && verdict !== null && verdict !== undefined) r.itemOk.set(key, verdict);
  });
  r.answer = answers.map((a) => a.text).join('; ') || null;
  r.answerOk = answers.some((a) => a.ok === false) ? false : answers.every((a) => a.ok === true) && answers.length > 0 ? true : null;
  const response = obj(r.response);
  if (aligned || picked.length < results.length) r.response = { ...response, result: { ...result, DATA: { ...data, RESULT: picked } } };
}

/** Bitrix24's answer: an error envelope, a nested `{result: false, error}`, items, or a plain result. */
function bitrixAnswer(r: Reading, items: Json[], ours: number[], conversationId: string): void {
  const res = obj(r.response);
  const error = str(res.error);
  if (error !== null) {
    r.answer = shorten([error, str(res.error_description)].filter(Boolean).join(': '));
    r.answerOk = false;
    return;
  }
  const result = res.result;
  if (isObject(result) && result.result === false) {
    r.answer = shorten([str(result.error) ?? 'result: false', str(result.error_description)].filter(Boolean).join(': '));
    r.answerOk = false;
  } else if (isObject(result) && ('SUCCESS' in result || 'DATA' in result)) {
    bitrixItemsAnswer(r, result, items, ours, conversationId);
  } else if (result !== undefined) {
    r.answer = shorten(`result: ${typeof result === 'string' ? result : JSON.stringify(result)}`);
  } else if (typeof r.response === 'string' && r.response !== '') {
    r.answer = shorten(r.response);
  }
}

/** Bridge → Bitrix24: a REST call, its request and answer cut to this conversation's items. */
function readBitrixOut(row: JournalRow, ctx: RowContext): Reading {
  const r = blankReading(lookUp(BITRIX_OUT_WHAT, row.endpoint) ?? 'bitrix24-call', 'bridge', row, ctx);
  const body = obj(r.request);
  const items = listOf(body.MESSAGES);
  const ours = ourItems(items, ctx);
  if (items.length > 0 && ours.length < items.length) r.request = { ...body, MESSAGES: ours.map((i) => items[i]) };
  else if (ctx.shared && items.length === 0) r.request = r.request === null ? null : SHARED_BODY_OMITTED;
  for (const i of ours) {
    const key = itemKey(items[i] as Json);
    if (key !== null && !r.ids.includes(key)) r.ids.push(key);
  }
  if (r.what === 'to-line' || r.what === 'to-line-edit') r.text = itemText(ours.map((i) => items[i] as Json));
  if (r.what === 'operator-notice') r.text = str(body.MESSAGE);
  bitrixAnswer(r, items, ours, ctx.conversationId);
  if (ctx.shared && items.length === 0 && r.response !== null) {
    r.response = SHARED_BODY_OMITTED;
    r.answer = null;
  }
  if (r.what === 'to-line') {
    for (const i of ours) {
      const item = items[i] as Json;
      const key = str(obj(item.message).id);
      if (key !== null) {
        r.introduces.push({ direction: 'in', messageId: key, actor: 'client', text: str(obj(item.message).text), writtenMs: timeOf(obj(item.message).date, 1000), intake: false });
      }
    }
  }
  return r;
}

function readHook(row: JournalRow, ctx: RowContext): Reading {
  const r = blankReading('hook-call', 'bridge', row, ctx);
  if (typeof r.response === 'string' && r.response !== '') r.answer = shorten(r.response);
  return r;
}

function routeOf(row: JournalRow): TrailRoute {
  if (row.side === 'max') return row.direction === 'in' ? 'max→bridge' : 'bridge→max';
  if (row.side === 'bitrix24') return row.direction === 'in' ? 'bitrix24→bridge' : 'bridge→bitrix24';
  return 'bridge→hook';
}

function readRow(row: JournalRow, ctx: RowContext): Reading {
  switch (routeOf(row)) {
    case 'max→bridge': return readMaxIn(row, ctx);
    case 'bridge→max': return readMaxOut(row, ctx);
    case 'bitrix24→bridge': return readBitrixIn(row, ctx);
    case 'bridge→bitrix24': return readBitrixOut(row, ctx);
    case 'bridge→hook': return readHook(row, ctx);
  }
}

/** The journal's side of an access record (who looked at a client's data): never a hop. */
export const ACCESS_SIDE = 'admin';

/** The row's ties to this conversation; null when it is about other conversations only (or not an exchange at all). */
function contextOf(row: JournalRow, conversationId: string): RowContext | null {
  // A person's look at the conversation (side `admin`, src/admin/access-journal.ts) is no hop of it.
  if (row.side === ACCESS_SIDE) return null;
  const refIds = row.refs.filter((x) => x.conversationId === conversationId).map((x) => x.messageId);
  const direct = row.conversationId === conversationId;
  const shared = row.refs.some((x) => x.conversationId !== conversationId)
    || (row.conversationId !== null && row.conversationId !== conversationId);
  if (!direct && refIds.length === 0 && (row.conversationId !== null || row.refs.length > 0)) return null;
  return { conversationId, direct: direct || (row.conversationId === null && row.refs.length === 0), shared, refIds };
}

const isSuccessStatus = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

function hopOf(row: JournalRow, ctx: RowContext, r: Reading, timeZone: string): TrailHop {
  const duplicate = row.errorCode === 'DUPLICATE';
  const ok = isSuccessStatus(row.status) && (row.errorCode === null || duplicate) && r.answerOk !== false;
  const ownIds = ctx.direct ? [] : ctx.refIds;
  return {
    journalId: row.id, atMs: row.atMs, atIso: isoInZone(row.atMs, timeZone), route: routeOf(row), actor: r.actor, what: r.what,
    endpoint: row.endpoint, status: row.status, ok, durationMs: row.durationMs,
    messageId: ctx.direct ? row.messageId : (ownIds.length > 0 ? ownIds.join(', ') : null),
    jobId: row.jobId, errorCode: row.errorCode, text: r.text, answer: r.answer, duplicate, request: r.request, response: r.response,
  };
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

interface Read {
  hop: TrailHop;
  reading: Reading;
}

interface Draft extends Introduced {
  firstSeenMs: number;
  hops: Read[];
}

const EDITS: ReadonlySet<TrailWhat> = new Set(['client-edit', 'operator-edit', 'to-line-edit', 'to-client-edit']);
const DELETES: ReadonlySet<TrailWhat> = new Set(['client-delete', 'operator-delete', 'to-line-delete', 'to-client-delete']);

/** The messages the hops introduce, keyed by direction and id; a message's own intake wins over a fallback. */
function draftMessages(reads: Read[]): Map<string, Draft> {
  const drafts = new Map<string, Draft>();
  for (const read of reads) {
    for (const intro of read.reading.introduces) {
      const key = `${intro.direction} ${intro.messageId}`;
      const known = drafts.get(key);
      if (!known) drafts.set(key, { ...intro, firstSeenMs: read.hop.atMs, hops: [] });
      else if (intro.intake && !known.intake) drafts.set(key, { ...intro, firstSeenMs: Math.min(known.firstSeenMs, read.hop.atMs), hops: [] });
    }
  }
  for (const draft of drafts.values()) {
    draft.hops = reads.filter((read) => read.reading.ids.includes(draft.messageId) && directionFits(draft, read.hop));
    if (draft.hops.length > 0) draft.firstSeenMs = Math.min(draft.firstSeenMs, draft.hops[0]?.hop.atMs ?? draft.firstSeenMs);
  }
  return drafts;
}

/** A MAX mid and a Bitrix24 id cannot collide in practice; the hop's side keeps them apart anyway where it can. */
function directionFits(draft: Draft, hop: TrailHop): boolean {
  if (draft.direction === 'in') return hop.route === 'max→bridge' || hop.what === 'to-line' || hop.what === 'to-line-edit' || hop.what === 'to-line-delete' || hop.route === 'bridge→hook';
  return hop.route !== 'max→bridge' && hop.what !== 'to-line' && hop.what !== 'to-line-edit' && hop.what !== 'to-line-delete';
}

const endOf = (hop: TrailHop): number => hop.atMs + hop.durationMs;

/** A client's message: delivered by the first `send.messages` whose item for it said SUCCESS. */
function clientOutcome(draft: Draft): { outcome: TrailOutcome; deliveredMs: number | null } {
  const sends = draft.hops.filter((h) => h.hop.what === 'to-line');
  const verdict = (h: Read): boolean | null => (!h.hop.ok ? false : (h.reading.itemOk.get(draft.messageId) ?? h.reading.answerOk));
  const confirmed = sends.find((h) => verdict(h) === true);
  if (confirmed) return { outcome: 'delivered', deliveredMs: endOf(confirmed.hop) };
  if (sends.length === 0) return { outcome: 'pending', deliveredMs: null };
  return { outcome: sends.some((h) => verdict(h) === false) ? 'failed' : 'unknown', deliveredMs: null };
}

/** An operator's message: delivered when the last `POST /messages` made for it (its last part) was answered 2xx. */
function operatorOutcome(draft: Draft): { outcome: TrailOutcome; deliveredMs: number | null } {
  const sends = draft.hops.filter((h) => h.hop.what === 'to-client');
  const last = sends[sends.length - 1];
  if (!last) return { outcome: draft.actor === 'system' ? 'unknown' : 'pending', deliveredMs: null };
  return last.hop.ok ? { outcome: 'delivered', deliveredMs: endOf(last.hop) } : { outcome: 'failed', deliveredMs: null };
}

function messagesOf(reads: Read[], timeZone: string): TrailMessage[] {
  const drafts = [...draftMessages(reads).values()];
  const order = (d: Draft) => d.hops[0]?.hop.journalId ?? Number.MAX_SAFE_INTEGER;
  drafts.sort((a, b) => a.firstSeenMs - b.firstSeenMs || order(a) - order(b));
  return drafts.map((d) => {
    const { outcome, deliveredMs } = d.direction === 'in' ? clientOutcome(d) : operatorOutcome(d);
    return {
      direction: d.direction, messageId: d.messageId, actor: d.actor, text: d.text,
      writtenMs: d.writtenMs, writtenIso: d.writtenMs === null ? null : isoInZone(d.writtenMs, timeZone), firstSeenMs: d.firstSeenMs,
      firstSeenIso: isoInZone(d.firstSeenMs, timeZone), deliveredMs, deliveredIso: deliveredMs === null ? null : isoInZone(deliveredMs, timeZone),
      hops: d.hops.map((h) => h.hop.journalId), outcome,
      edited: d.hops.some((h) => EDITS.has(h.hop.what)), deleted: d.hops.some((h) => DELETES.has(h.hop.what)),
    };
  });
}

function summaryOf(hops: TrailHop[], messages: TrailMessage[]): TrailSummary {
  const clients = messages.filter((m) => m.direction === 'in' && m.actor === 'client');
  const operators = messages.filter((m) => m.direction === 'out' && m.actor === 'operator');
  const firstClientMessageMs = clients[0]?.firstSeenMs ?? null;
  const reply = operators.find((m) => firstClientMessageMs !== null && m.firstSeenMs >= firstClientMessageMs);
  return {
    clientMessages: clients.length, operatorMessages: operators.length, failedHops: hops.filter((h) => !h.ok).length,
    firstClientMessageMs, firstOperatorReplyMs: reply?.firstSeenMs ?? null,
  };
}

export function buildTrail(input: TrailInput, options: TrailOptions = {}): Trail {
  const timeZone = options.timeZone ?? DEFAULT_TRAIL_TIME_ZONE;
  const rows = [...input.rows].sort((a, b) => a.atMs - b.atMs || a.id - b.id);
  const reads: Read[] = [];
  for (const row of rows) {
    const ctx = contextOf(row, input.conversationId);
    if (!ctx) continue; // another conversation's row: nothing of it belongs here
    const reading = readRow(row, ctx);
    reads.push({ hop: hopOf(row, ctx, reading, timeZone), reading });
  }
  const hops = reads.map((r) => r.hop);
  const messages = messagesOf(reads, timeZone);
  return {
    conversationId: input.conversationId, conversation: input.conversation, exportedAtMs: input.exportedAtMs,
    exportedAtIso: isoInZone(input.exportedAtMs, timeZone), exportedBy: input.exportedBy, policy: { ...input.policy }, timeZone,
    hops, messages, summary: summaryOf(hops, messages),
  };
}

/** The bot and MAX chat a conversation id names (for a trail without its conversation row); null when it is not one. */
export function conversationIdSides(conversationId: string): { botId: string; maxChatId: string } | null {
  const id = parseConversationId(conversationId);
  return id === null ? null : conversationIdParts(id);
}
