/**
 * Redaction for everything that is logged or journaled: tokens and secrets
 * never leave the process in clear. Works on JSON, form-encoded bodies
 * (Bitrix24 `auth[access_token]=…`) and URLs (query strings, webhook paths).
 */
const SECRET_KEY = /(token|secret|password|passwd|authorization|^auth$|^auth_id$|^refresh_id$|apikey|api_key|signature)/i;
export const REDACTED = '[REDACTED]';

function redactValue(key: string, value: unknown): unknown {
  if (SECRET_KEY.test(key)) return REDACTED;
  return redactDeep(value);
}

export function redactDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => redactDeep(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(k, v)]));
  }
  return value;
}

/** Redacts `key=value` pairs whose (possibly bracketed) key names a secret. */
function redactFormLike(text: string): string {
  return text.replace(/([^&=?\s]+)=([^&\s]*)/g, (whole, rawKey: string) => {
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const last = /([^[\]]+)\]?$/.exec(key)?.[1] ?? key;
    return SECRET_KEY.test(last) ? `${rawKey}=${REDACTED}` : whole;
  });
}

/** Redacts a body of unknown format (JSON, form, text). */
export function redactText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(redactDeep(JSON.parse(trimmed)));
    } catch {
      // not JSON after all
    }
  }
  return redactFormLike(text);
}

/**
 * The part of a URL that may be journaled: path without the Bitrix24 webhook
 * credentials (`/rest/<user>/<secret>/method` → `/rest/<user>/[REDACTED]/method`)
 * and with secret query values redacted.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactFormLike(url);
  }
  const path = parsed.pathname.replace(/^\/rest\/(\d+)\/([^/]+)\//, `/rest/$1/${REDACTED}/`);
  const query = parsed.search ? redactFormLike(parsed.search) : '';
  return `${path}${query}`;
}
