/**
 * MAX → Bitrix24: plain text + markup elements (offsets in UTF-16 code units,
 * which is how JS strings index) into Bitrix24 BB-code.
 *
 * Elements may nest or overlap; the text is cut at every element boundary and
 * each piece is wrapped in the tags active over it, in a fixed order, so the
 * output is always well-nested. Literal "[" typed by the client is neutralised
 * with a zero-width space after it ("[\u200B"), so "[b]" stays text in the line.
 */
export interface MarkupElement {
  type: string;
  from: number;
  length: number;
  url?: string;
  user_link?: string | null;
}

const ZWSP = '\u200B';
/** Outer first: a link wraps formatting; a quote wraps everything. */
const ORDER = ['quote', 'link', 'user_mention', 'strong', 'heading', 'highlighted', 'emphasized', 'underline', 'strikethrough', 'monospaced'];

export function escapeBbcodeText(text: string): string {
  return text.replace(/\[/g, `[${ZWSP}`);
}

function safeUrl(url: string | undefined | null): string | null {
  if (!url || !/^https?:\/\//i.test(url)) return null;
  return url.replace(/\]/g, '%5D').replace(/\[/g, '%5B');
}

function open(el: MarkupElement): string {
  switch (el.type) {
    case 'strong':
    case 'heading':
    case 'highlighted':
      return '[b]';
    case 'emphasized':
      return '[i]';
    case 'underline':
      return '[u]';
    case 'strikethrough':
      return '[s]';
    case 'monospaced':
      return '[code]';
    case 'quote':
      return '[quote]';
    case 'link': {
      const url = safeUrl(el.url);
      return url ? `[url=${url}]` : '';
    }
    case 'user_mention': {
      const url = safeUrl(el.user_link);
      return url ? `[url=${url}]` : '';
    }
    default:
      return '';
  }
}

function close(el: MarkupElement): string {
  const opening = open(el);
  if (!opening) return '';
  const name = /^\[([a-z]+)/.exec(opening)?.[1] ?? '';
  return `[/${name}]`;
}

export function maxMarkupToBbcode(text: string, markup: MarkupElement[] | null | undefined): string {
  const elements = (markup ?? []).filter((m) => m.length > 0 && m.from >= 0 && m.from < text.length && open(m) !== '');
  if (elements.length === 0) return escapeBbcodeText(text);
  const cuts = new Set<number>([0, text.length]);
  for (const m of elements) {
    cuts.add(m.from);
    cuts.add(Math.min(text.length, m.from + m.length));
  }
  const points = [...cuts].sort((a, b) => a - b);
  let out = '';
  for (let i = 0; i < points.length - 1; i++) {
    const start = points[i] as number;
    const end = points[i + 1] as number;
    const active = elements
      .filter((m) => m.from <= start && m.from + m.length >= end)
      .sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
    const piece = escapeBbcodeText(text.slice(start, end));
    out += active.map(open).join('') + piece + [...active].reverse().map(close).join('');
  }
  return out;
}
