/**
 * Bitrix24 accepts `user.name` / `last_name` of letters, spaces, hyphens and
 * apostrophes only, at most 25 characters (spec §4, §12.9). Cyrillic and Latin
 * letters are kept; emoji, digits and symbols removed; empty → a fallback.
 */
export const NAME_MAX_LENGTH = 25;

export function sanitizeClientName(name: string | null | undefined, fallback = 'Клиент MAX'): string {
  const cleaned = (name ?? '')
    .normalize('NFC')
    .replace(/[^\p{L}\s'’-]/gu, '')
    .replace(/\s+/g, ' ')
    .replace(/^[\s'’-]+|[\s'’-]+$/g, '')
    .trim();
  if (!cleaned) return fallback;
  return [...cleaned].slice(0, NAME_MAX_LENGTH).join('').trim();
}
