/**
 * One exported record per stored row (docs/exports.md, "Columns"): the columns of each kind,
 * in the order a CSV header and an NDJSON object have them, and the personal fields masked
 * by the configured `privacy` policy with the journal's own masker (src/journal/masking.ts):
 * - a conversation's `client_phone` as a phone, `chat_title` (a group's title) as a name,
 *   `avatar_url` and `profile_url` as files, `start_payload` as the journal masks an
 *   unclassified string (phones and emails inside it);
 * - a client's message text together with the line item's `user` (name, phone), as the
 *   journal masks that item inside `imconnector.send.messages`: a name of the sender is
 *   masked wherever it stands in the text too;
 * - an operator's text as a text (phones and emails inside it by their own modes);
 * - journal rows as written: their bodies were masked when the row was written (masking
 *   them again would mask a mask: `+7 *** ***-**-67` is not a phone any more).
 * A value the policy drops is null.
 */
import { lineRefParts, parseConversationId, conversationIdParts, parseLineRef } from '../domain/ids.ts';
import type { Masker } from '../journal/masking.ts';
import { BI_VIEW_COLUMNS } from '../store/bi-views.ts';
import type { ConversationExportRow, ExportKind, JournalExportRow, MessageExportRow } from '../store/repos/export-repo.ts';
import { operatorTextOf } from './export-event-text.ts';

/** The file-export columns, in order. The first ones of each kind are the SQL view's (src/store/bi-views.ts), by the same names. */
export const EXPORT_COLUMNS = {
  conversations: [...BI_VIEW_COLUMNS.bi_conversations, 'chat_title', 'avatar_url', 'profile_url'],
  messages: BI_VIEW_COLUMNS.bi_messages,
  journal: BI_VIEW_COLUMNS.bi_journal,
} as const satisfies Record<ExportKind, readonly string[]>;

export type ExportValue = string | number | boolean | null | string[];
export type ExportRecord = Record<string, ExportValue>;

type Json = Record<string, unknown>;

const iso = (ms: number) => new Date(ms).toISOString();

/** Portal and line of a stored line ref; nulls for none (or a damaged one: the row is still exported). */
function lineOf(lineRef: string | null): { portal_id: string | null; line_id: number | null } {
  if (lineRef === null) return { portal_id: null, line_id: null };
  try {
    const { portalId, lineId } = lineRefParts(parseLineRef(lineRef));
    return { portal_id: portalId, line_id: lineId };
  } catch {
    return { portal_id: null, line_id: null };
  }
}

function parsedObject(text: string | null): Json | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
  } catch {
    return null;
  }
}

const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function tagsOf(tagsJson: string | null): string[] {
  try {
    const value = tagsJson === null ? [] : (JSON.parse(tagsJson) as unknown);
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

/** Whether the masker changes anything at all (every mode `none`): then nothing is parsed or copied for it. */
const maskingOff = (masker: Masker) => Object.values(masker.policy).every((mode) => mode === 'none');

export function conversationRecord(row: ConversationExportRow, masker: Masker): ExportRecord {
  const profile = parsedObject(row.profileJson);
  const payload = stringOrNull(parsedObject(row.sourceJson)?.payload);
  const field = (cls: 'phone' | 'name' | 'file', value: string | null) => (value === null ? null : masker.field(cls, value) ?? null);
  return {
    id: row.id, bot_id: row.botId, max_chat_id: row.maxChatId, max_user_id: row.maxUserId, ...lineOf(row.lineRef), state: row.state,
    route: row.routeName, route_open: row.routeOpen,
    start_payload: payload === null ? null : stringOrNull((masker.value({ payload }) as Json | undefined)?.payload),
    tags: tagsOf(row.tagsJson), client_phone: field('phone', row.clientPhone), bitrix_chat_id: row.bitrixChatId, bitrix_session_id: row.bitrixSessionId,
    created_at: iso(row.createdAtMs), created_at_ms: row.createdAtMs, updated_at: iso(row.updatedAtMs), updated_at_ms: row.updatedAtMs,
    chat_title: field('name', stringOrNull(profile?.chatTitle)), avatar_url: field('file', stringOrNull(profile?.avatarUrl)),
    profile_url: field('file', stringOrNull(profile?.profileUrl)),
  };
}

/** A client's text as the line got it, masked with the item's `user` beside it (the journal masks the two together). */
function inboundText(itemJson: string | null, masker: Masker): string | null {
  const item = parsedObject(itemJson);
  const text = stringOrNull((item?.message as Json | undefined)?.text);
  if (text === null || maskingOff(masker)) return text;
  const masked = parsedObject(masker.body(JSON.stringify({ user: item?.user ?? null, message: { text } })));
  return stringOrNull((masked?.message as Json | undefined)?.text);
}

/** An operator's text, from the event that carried the message into this conversation; null when no stored event has it. */
function outboundText(row: MessageExportRow, masker: Masker): string | null {
  for (const raw of row.eventRaws) {
    const text = row.bitrixMessageId === null ? null : operatorTextOf(raw, row.bitrixMessageId, row.conversationId);
    if (text !== null) return masker.field('text', text) ?? null;
  }
  return null;
}

export function messageRecord(row: MessageExportRow, masker: Masker): ExportRecord {
  const id = parseConversationId(row.conversationId);
  const parts = id === null ? null : conversationIdParts(id);
  return {
    direction: row.direction, row_id: row.rowId, conversation_id: row.conversationId, bot_id: parts?.botId ?? null, max_chat_id: parts?.maxChatId ?? null,
    max_user_id: row.maxUserId, ...lineOf(row.lineRef), route: row.routeName, max_mid: row.maxMid, bitrix_message_id: row.bitrixMessageId,
    part: row.part, state: row.state, created_at: iso(row.createdAtMs), created_at_ms: row.createdAtMs, updated_at_ms: row.updatedAtMs,
    text: row.direction === 'in' ? inboundText(row.itemJson, masker) : outboundText(row, masker),
  };
}

export function journalRecord(row: JournalExportRow): ExportRecord {
  const refs = row.refs?.trim() ?? '';
  return {
    id: row.id, at: iso(row.atMs), at_ms: row.atMs, side: row.side, direction: row.direction, method: row.method, endpoint: row.endpoint,
    status: row.status, duration_ms: row.durationMs, error_code: row.errorCode, bot_id: row.botId, portal_id: row.portalId,
    line_id: lineOf(row.lineRef).line_id, conversation_id: row.conversationId, message_id: row.messageId, job_id: row.jobId,
    max_user_id: row.maxUserId, max_chat_id: row.maxChatId, refs: refs === '' ? null : refs, request_body: row.requestBody, response_body: row.responseBody,
  };
}
