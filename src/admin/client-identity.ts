/**
 * Who a conversation's client is and what was said last, as the admin UI shows them: the name
 * and phone the line got with the client's latest message (the line item's `user`), the phone
 * they shared as their own, and the last message either way as a short excerpt — each masked
 * by the page's `mask` (identity for an administrator, the privacy policy's shapes for a
 * viewer). Group chats: the "client" is the group (its title), as the line sees it.
 */
import { bbcodeToMaxHtml } from '../domain/text/bbcode-to-max.ts';
import { maxHtmlToPlain } from '../domain/text/max-html-to-plain.ts';
import { operatorTextOf } from '../hooks/export-event-text.ts';
import type { ConversationListItem } from '../store/repos/conversation-list-repo.ts';
import type { PageContext } from './page.ts';

/** The longest excerpt of a last message, in characters. */
export const EXCERPT_MAX_CHARS = 90;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

export interface LineItem {
  user: Json;
  text: string | null;
}

/** A stored line item (`{user, message: {text, files}, chat}`); null when it does not read as one. */
export function lineItemOf(itemJson: string | null): LineItem | null {
  if (itemJson === null) return null;
  try {
    const item = JSON.parse(itemJson) as unknown;
    if (!isObject(item)) return null;
    return { user: isObject(item.user) ? item.user : {}, text: str(isObject(item.message) ? item.message.text : null) };
  } catch {
    return null;
  }
}

/** The client's name as the line got it (`name last_name`), unmasked; null when none. */
export function clientNameOf(item: LineItem | null): string | null {
  if (!item) return null;
  const name = [str(item.user.name), str(item.user.last_name)].filter((v): v is string => v !== null).join(' ').trim();
  return name === '' ? null : name;
}

/** A line text (Bitrix24 BB-code, as both directions hold it) as an excerpt: plain, one line, at most EXCERPT_MAX_CHARS. */
export function excerptOf(bbcode: string): string {
  const line = maxHtmlToPlain(bbcodeToMaxHtml(bbcode)).replace(/\s+/g, ' ').trim();
  return line.length > EXCERPT_MAX_CHARS ? `${line.slice(0, EXCERPT_MAX_CHARS - 1)}…` : line;
}

/** A client's text masked for the reader, together with the item's `user` (a name inside the text is masked like the name). */
export function maskedClientText(ctx: Pick<PageContext, 'mask'>, item: LineItem): string | null {
  if (item.text === null) return null;
  const masked = ctx.mask.value('body', { user: item.user, message: { text: item.text } });
  const text = isObject(masked) && isObject(masked.message) ? masked.message.text : null;
  return typeof text === 'string' ? text : null;
}

export interface LastMessage {
  direction: 'in' | 'out';
  atMs: number;
  /** Masked for the reader; null when no text is kept (an attachment, a purged item). */
  excerpt: string | null;
}

/** The latest message either way, its text masked for the reader. */
export function lastMessageOf(ctx: Pick<PageContext, 'mask'>, row: ConversationListItem): LastMessage | null {
  const inAt = row.lastIn?.atMs ?? -1;
  const outAt = row.lastOut?.atMs ?? -1;
  if (row.lastIn && inAt >= outAt) {
    const item = lineItemOf(row.lastIn.itemJson);
    const text = item ? maskedClientText(ctx, item) : null;
    return { direction: 'in', atMs: inAt, excerpt: text === null ? null : excerptOf(text) };
  }
  if (row.lastOut) {
    const out = row.lastOut;
    const raw = out.eventRaws.map((r) => operatorTextOf(r, out.bitrixMessageId, row.id)).find((t) => t !== null) ?? null;
    const text = raw === null || raw === '' ? null : ctx.mask.text(raw);
    return { direction: 'out', atMs: outAt, excerpt: text === null ? null : excerptOf(text) };
  }
  return null;
}
