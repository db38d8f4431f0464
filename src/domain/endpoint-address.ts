/** Public addresses of the bridge: one canonical form, and recognising an uncanonical one as the same endpoint. */
/**
 * The one form of the public address every consumer appends its paths to: no
 * trailing slash, no doubled slashes, default port dropped, host lowercased.
 * `https://bridge.example.ru/` and `https://host/bridge/` (behind a reverse
 * proxy that strips the prefix) become `https://bridge.example.ru` and
 * `https://host/bridge`, so `${publicUrl}/max/webhook/<bot>` never holds `//`
 * (MAX would deliver to a path the bridge answers 404).
 */
export function canonicalPublicUrl(value: string): string {
  const url = new URL(value);
  const path = url.pathname.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
  return `${url.origin}${path}`;
}

/**
 * Whether two addresses name the same endpoint once doubled and trailing slashes
 * are disregarded: how a registration made with an uncanonical public address
 * (`https://host//max/webhook/x`) is recognised as ours and replaced.
 */
export function sameEndpoint(a: string, b: string): boolean {
  try {
    return canonicalPublicUrl(a) === canonicalPublicUrl(b);
  } catch {
    return false; // one is not a URL of ours: not the same endpoint
  }
}
