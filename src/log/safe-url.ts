/**
 * A request URL as it may appear in a log line: the path, and the query with
 * every value redacted except a few known to be harmless. An allow-list, not a
 * deny-list: a media link's `sig`, a token someone put in a query, Bitrix24's
 * `AUTH_ID` or `APP_SID` on a placement call are all hidden without being named
 * here. The path is kept: the bridge's routes carry ids, never secrets (a
 * Bitrix24 incoming-webhook path `/rest/<user>/<secret>/` is redacted anyway).
 */
const REDACTED = '[redacted]';

/** Query keys whose values are worth reading in a log and never secret. */
const HARMLESS_QUERY_KEYS = new Set(['exp', 'reason', 'limit', 'offset', 'code', 'kind', 'DOMAIN', 'PROTOCOL', 'LANG']);

export function safeUrl(url: string): string {
  const at = url.indexOf('?');
  const rawPath = at < 0 ? url : url.slice(0, at);
  const path = rawPath.replace(/^\/rest\/(\d+)\/([^/]+)\//, `/rest/$1/${REDACTED}/`);
  if (at < 0) return path;
  const query = url.slice(at + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    const key = pair.slice(0, eq);
    let name = key;
    try {
      name = decodeURIComponent(key);
    } catch {
      // A malformed escape in the key: it stays as it came, and its value is redacted below.
    }
    return HARMLESS_QUERY_KEYS.has(name) ? pair : `${key}=${REDACTED}`;
  });
  return `${path}?${query.join('&')}`;
}
