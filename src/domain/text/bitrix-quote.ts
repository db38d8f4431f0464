/**
 * Bitrix24 → MAX: the messenger's quote blocks as BB-code `[quote]`, so the
 * client reads a quote (MAX html `<blockquote>`) instead of separator lines.
 *
 * When an operator presses "Quote" in Bitrix24's messenger, the quoted message
 * goes into the text between two lines of exactly 54 dashes, the first line of
 * the block naming its author and date, optionally followed by a link to the
 * message:
 *
 *     ------------------------------------------------------
 *     Анна Смирнова [01.12.2026 10:15:00] #chat12/345
 *     цитируемый текст
 *     ------------------------------------------------------
 *     ответ
 *
 * (the messenger's own renderer matches exactly this, im.js `prepareText`;
 * the closing line may follow the quoted text on the same line). The author is
 * kept (in italics, the client should know whose words these are), the date and
 * the link are dropped. Lines starting with `>>` are the messenger's other quote
 * form and become a quote too. Input: text already decoded (bitrix-text.ts).
 */
const SEPARATOR = '-{54}';
// Bitrix24 puts "[br] " (with a space) after the operator's name, so a block may start after blanks.
const BLOCK = new RegExp(`(^|\\n)[ \\t]*${SEPARATOR}[ \\t]*\\n([\\s\\S]*?)\\n?[ \\t]*${SEPARATOR}[ \\t]*(?=\\n|$)`, 'g');
// "Author [date]" with an optional " #chat12/345" message link: the bracket holds a digit and no "=" (not a BB-code tag).
const HEADER = /^(.*\S)\s+\[([^[\]\n=]*\d[^[\]\n=]*)\](?:\s+#\S+)?\s*$/;
const DOUBLE_ANGLE = /(^|\n)((?:>>[^\n]*(?:\n|$))+)/g;

function quoteOf(inner: string): string {
  const newline = inner.indexOf('\n');
  const first = newline >= 0 ? inner.slice(0, newline) : inner;
  const header = HEADER.exec(first);
  if (!header) return `[quote]${inner}[/quote]`;
  const body = newline >= 0 ? inner.slice(newline + 1) : '';
  return `[quote][i]${header[1] as string}[/i]${body ? `\n${body}` : ''}[/quote]`;
}

export function bitrixQuotesToBbcode(text: string): string {
  const blocks = text.replace(BLOCK, (_m, lead: string, inner: string) => `${lead}${quoteOf(inner)}`);
  return blocks.replace(DOUBLE_ANGLE, (_m, lead: string, lines: string) => {
    const trailing = lines.endsWith('\n') ? '\n' : '';
    const body = lines.replace(/\n$/, '').split('\n').map((l) => l.replace(/^>>\s?/, '')).join('\n');
    return `${lead}[quote]${body}[/quote]${trailing}`;
  });
}
