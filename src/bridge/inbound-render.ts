/**
 * The BB-code text an inbound MAX message becomes in the Open Line: its text
 * with markup, then one line per attachment the line can show as text
 * (contact with name and phone, location as a map link, share as a link,
 * sticker). Reply and forward context is quoted above.
 */
import { maxMarkupToBbcode, type MarkupElement } from '../domain/text/markup-to-bbcode.ts';
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
      return null;
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

/** Phone of a shared contact, kept for CRM matching. */
export function sharedPhone(message: Json): string | null {
  const body = (message.body ?? {}) as Json;
  const contact = ((body.attachments as Json[] | null) ?? []).find((a) => a.type === 'contact');
  return contact ? phoneFromVcf(((contact.payload ?? {}) as Json).vcf_info) : null;
}
