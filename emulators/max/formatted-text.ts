/**
 * What MAX does with a bot's `format: "html"` text (spec §4: b/strong,
 * i/em, u/ins, s/del, a href, code/pre, mark, blockquote, h1; other tags
 * stripped): the stored message carries plain `text` plus `markup[]` with
 * positions, exactly as incoming messages do. Positions count UTF-16 code
 * units (JavaScript string indices). `markdown` is kept as text here (a
 * deviation noted in docs/emulators-max.md).
 */
import type { MaxMarkup } from './model.ts';

const TAGS: Record<string, string> = {
  b: 'strong', strong: 'strong', i: 'emphasized', em: 'emphasized', u: 'underline', ins: 'underline',
  s: 'strikethrough', del: 'strikethrough', code: 'monospaced', pre: 'monospaced', mark: 'highlighted',
  a: 'link', blockquote: 'quote', h1: 'heading',
};

function decode(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

export function parseHtmlText(html: string): { text: string; markup: MaxMarkup[] } {
  let text = '';
  const markup: MaxMarkup[] = [];
  const open: Array<{ tag: string; from: number; url?: string }> = [];
  const re = /<(\/?)([a-zA-Z0-9]+)([^>]*)>|([^<]+)|(<)/g;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m[4] !== undefined || m[5] !== undefined) {
      text += decode(m[4] ?? m[5] ?? '');
      continue;
    }
    const closing = m[1] === '/';
    const tag = (m[2] ?? '').toLowerCase();
    if (tag === 'br') {
      text += '\n';
      continue;
    }
    const type = TAGS[tag];
    if (!type) continue;
    if (!closing) {
      const url = tag === 'a' ? /href\s*=\s*"([^"]*)"/i.exec(m[3] ?? '')?.[1] : undefined;
      open.push({ tag, from: text.length, ...(url !== undefined ? { url: decode(url) } : {}) });
      continue;
    }
    const at = open.map((o) => o.tag).lastIndexOf(tag);
    if (at < 0) continue;
    const [o] = open.splice(at, 1);
    if (!o || text.length === o.from) continue;
    markup.push({ type, from: o.from, length: text.length - o.from, ...(o.url !== undefined ? { url: o.url } : {}) } as MaxMarkup);
  }
  markup.sort((a, b) => a.from - b.from);
  return { text, markup };
}
