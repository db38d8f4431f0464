/**
 * The MAX html the bridge writes (bbcode-to-max.ts: b, i, u, s, a href, pre,
 * blockquote, and the entities &amp; &lt; &gt; &quot;) as plain, readable
 * text: for a reply MAX refused to format, resent without `format`. Tags are
 * dropped, a link keeps its address beside its words ("сайт (https://…)"),
 * entities are decoded exactly once.
 */

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|quot|#39|amp);/g, (_m, name: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[name] ?? '');
}

export function maxHtmlToPlain(html: string): string {
  const withLinks = html.replace(/<a\s+href="([^"]*)"\s*>([\s\S]*?)<\/a>/gi, (_m, href: string, inner: string) => {
    const words = inner.replace(/<[^>]+>/g, '');
    const url = decodeEntities(href);
    return decodeEntities(words) === url ? words : `${words} (${href})`;
  });
  return decodeEntities(withLinks.replace(/<[^>]+>/g, ''));
}
