/**
 * The BB-code text an inbound MAX message becomes in the Open Line: its text
 * with markup, then one line per attachment the line can show as text
 * (contact with name and phone, location as a map link, share as a link,
 * sticker), and for an attachment of a type the bridge does not know, what it
 * is (type, and its link or name where it has one) rather than nothing. Reply
 * and forward context is quoted above.
 */
import { escapeBbcodeText, maxMarkupToBbcode, type MarkupElement } from '../domain/text/markup-to-bbcode.ts';
import { contactText, locationText, shareText, stickerText } from '../domain/text/system-texts.ts';

type Json = Record<string, unknown>;

function phoneFromVcf(vcf: unknown): string | null {
  if (typeof vcf !== 'string') return null;
  return /^TEL[^:]*:(.+)$/im.exec(vcf)?.[1]?.trim() ?? null;
}

function nameFromVcf(vcf: unknown): string | null {
  if (typeof vcf !== 'string') return null;
  return /^FN[^:]*:(.+)$/im.exec(vcf)?.[1]?.trim() ?? null;
}

/** Carried as files (src/media/rehost.ts) or not content (a keyboard): no line of text. */
const NOT_TEXT_TYPES = new Set(['image', 'video', 'audio', 'file', 'inline_keyboard']);

/** A value from MAX on one line, bounded, harmless in BB-code. */
function plainFragment(value: string, maxLength: number): string {
  return escapeBbcodeText([...value.replace(/\s+/g, ' ').trim()].slice(0, maxLength).join(''));
}

/**
 * An attachment the bridge does not know (a type MAX added later, or a legacy one such as
 * `data`): the operator learns that something arrived and what, never an empty item.
 */
export function unknownAttachmentText(a: Json): string {
  const payload = (a.payload !== null && typeof a.payload === 'object' ? a.payload : {}) as Json;
  const type = typeof a.type === 'string' && a.type.trim() ? plainFragment(a.type, 64) : 'без типа';
  const url = [payload.url, a.url].find((u): u is string => typeof u === 'string' && /^https?:\/\/\S+$/i.test(u) && u.length <= 2048)
    ?.replace(/\]/g, '%5D').replace(/\[/g, '%5B');
  const name = [a.filename, a.title, a.name, payload.filename, payload.name].find((n): n is string => typeof n === 'string' && n.trim() !== '');
  const details = [name ? `«${plainFragment(name, 200)}»` : null, url ? `[url=${url}]${url}[/url]` : null].filter(Boolean).join(', ');
  // In parentheses like the sticker's line: square brackets are BB-code's.
  return `(Вложение MAX неизвестного типа: ${type}${details ? `; ${details}` : ''})`;
}

function attachmentLine(a: Json): string | null {
  const payload = (a.payload ?? {}) as Json;
  switch (a.type) {
    case 'contact': {
      const info = (payload.max_info ?? payload.tam_info) as Json | null | undefined;
      const name = nameFromVcf(payload.vcf_info) ?? [info?.first_name, info?.last_name].filter(Boolean).join(' ');
      return contactText(name || '—', phoneFromVcf(payload.vcf_info));
    }
    case 'location':
      return locationText(Number(a.latitude), Number(a.longitude));
    case 'share':
      return shareText((payload.url as string | null) ?? null, (a.title as string | null) ?? null);
    case 'sticker':
      return stickerText();
    default:
      return NOT_TEXT_TYPES.has(String(a.type)) ? null : unknownAttachmentText(a);
  }
}

export function renderInbound(message: Json): string {
  const body = (message.body ?? {}) as Json;
  const parts: string[] = [];
  const link = message.link as Json | null | undefined;
  if (link && typeof link === 'object') {
    const linked = (link.message ?? {}) as Json;
    const author = ((link.sender as Json | null)?.first_name as string | undefined) ?? '';
    const quoted = maxMarkupToBbcode(String(linked.text ?? ''), (linked.markup as MarkupElement[] | null) ?? null);
    parts.push(`[quote]${link.type === 'forward' ? 'Переслано' : 'Ответ на'}${author ? ` (${author})` : ''}: ${quoted}[/quote]`);
  }
  const text = typeof body.text === 'string' ? body.text : '';
  if (text) parts.push(maxMarkupToBbcode(text, (body.markup as MarkupElement[] | null) ?? null));
  for (const a of (body.attachments as Json[] | null) ?? []) {
    const line = attachmentLine(a);
    if (line) parts.push(line);
  }
  return parts.join('\n');
}

/**
 * The phone of a contact the client shared as their own (MAX's request-contact button shares
 * the user's own card: its `max_info` is the sender), for CRM matching; a card of someone else
 * (another MAX user in `max_info`) gives null. A card with no `max_info` counts as the client's
 * (the business's own numbers are refused by the caller: `crm.own_phones`).
 */
export function ownSharedPhone(message: Json): string | null {
  const body = (message.body ?? {}) as Json;
  const contact = ((body.attachments as Json[] | null) ?? []).find((a) => a.type === 'contact');
  if (!contact) return null;
  const payload = (contact.payload ?? {}) as Json;
  const info = (payload.max_info ?? payload.tam_info) as Json | null | undefined;
  const sender = (message.sender ?? {}) as Json;
  if (info && typeof info === 'object' && info.user_id !== undefined && String(info.user_id) !== String(sender.user_id)) return null;
  return phoneFromVcf(payload.vcf_info);
}

/** Phone of a shared contact, kept for CRM matching. */
export function sharedPhone(message: Json): string | null {
  const body = (message.body ?? {}) as Json;
  const contact = ((body.attachments as Json[] | null) ?? []).find((a) => a.type === 'contact');
  return contact ? phoneFromVcf(((contact.payload ?? {}) as Json).vcf_info) : null;
}
