/**
 * CSRF defences of the admin UI's forms, besides the session's token in each form (`_csrf`) and
 * the SameSite=Strict cookie: a POST is refused when the browser says it comes from another site
 * (`Sec-Fetch-Site: cross-site`), or when its `Origin` (or, without one, its `Referer`) is not
 * this server's own origin — the request's Host, or server.public_url's origin behind a proxy.
 * A request with neither header (curl, an old browser) is left to the token check.
 */
import { timingSafeEqual } from 'node:crypto';

export interface RequestOrigin {
  origin?: string;
  referer?: string;
  secFetchSite?: string;
}

/** Why the request is refused as cross-site (for the log), or null when it may go on. */
export function crossSiteProblem(headers: RequestOrigin, ownOrigins: readonly string[]): string | null {
  if (headers.secFetchSite === 'cross-site') return 'Sec-Fetch-Site: cross-site';
  if (headers.origin !== undefined) return ownOrigins.includes(headers.origin) ? null : `Origin ${headers.origin.slice(0, 100)} is not ours`;
  if (headers.referer !== undefined) {
    let from: string;
    try {
      from = new URL(headers.referer).origin;
    } catch {
      return 'a Referer that is not a URL';
    }
    return ownOrigins.includes(from) ? null : `Referer from ${from.slice(0, 100)} is not ours`;
  }
  return null;
}

/** The origin of a URL (`https://bridge.example.ru`), or null when it is not one. */
export function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** The form's token equals the session's (constant time). */
export function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
