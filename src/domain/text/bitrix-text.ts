/**
 * Bitrix24 → MAX: the transport encoding of an operator's message text,
 * undone once, before the BB-code is read.
 *
 * The portal's messenger keeps a message HTML-escaped (`Tom &amp; Jerry &lt;3`,
 * issue 12 item 11) and its own rendered forms break lines with `<br />` (the
 * messenger's quote format is written with them, docs/formatting.md "Quotes").
 * The text of ONIMCONNECTORMESSAGEADD is that stored text, so:
 * - a `<br>`, `<br/>` or `<br />` tag is a line break;
 * - each HTML entity is decoded exactly once, in a single left-to-right pass:
 *   `&amp;amp;` becomes `&amp;` (what the operator typed), never `&`.
 * A raw `<`, `>` or `&` that is no entity stays as it is, so a portal that
 * sends plain text reads the same. The caller escapes again for MAX's html.
 */
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00A0' };

// One pass over the text: a line-break tag, or an entity. An entity's output
// is never read again, so nothing is decoded twice.
const TOKEN = /<br\s*\/?>|&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos|nbsp));/gi;

function codePoint(value: number, raw: string): string {
  const valid = value > 0 && value <= 0x10ffff && !(value >= 0xd800 && value <= 0xdfff);
  return valid ? String.fromCodePoint(value) : raw;
}

export function decodeBitrixText(text: string): string {
  return text.replace(TOKEN, (raw: string, dec?: string, hex?: string, name?: string) => {
    if (dec !== undefined) return codePoint(Number.parseInt(dec, 10), raw);
    if (hex !== undefined) return codePoint(Number.parseInt(hex, 16), raw);
    if (name !== undefined) return NAMED[name.toLowerCase()] ?? raw;
    return '\n';
  });
}
