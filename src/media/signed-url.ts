/**
 * Signed, expiring media URLs: `<public_url>/media/<id>/<name>?exp=<unix s>&sig=<mac>`,
 * the MAC an HMAC-SHA256 over id and expiry under a key derived from
 * BRIDGE_SECRET_KEY for this purpose alone (never the secret itself). Checked
 * in constant time. Bitrix24 fetches the file without auth (spec §9), so the
 * signature and the unguessable id are the only keys.
 *
 * The `<name>` segment is cosmetic: the signature does not cover it and the
 * route takes any segment (http/plugins/media.ts), so links handed out before
 * keep working. The name Bitrix24 shows is the `name` of the line item and the
 * download's Content-Disposition, both the client's full name; the segment is
 * only a readable hint, kept within URL_SEGMENT_MAX_CHARS encoded characters
 * with its extension (a long, Cyrillic name would otherwise make a URL of
 * ~1,500 characters, which proxies and HTTP clients may refuse).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Encoded characters of the name segment at most: Fastify's default maxParamLength, for good measure. */
export const URL_SEGMENT_MAX_CHARS = 100;
/** An extension worth keeping: a dot and up to 10 letters or digits at the end of the name. */
const EXTENSION = /\.[\p{L}\p{N}]{1,10}$/u;

/**
 * The URL path segment for a file name: the name itself when it fits in
 * `maxChars` encoded characters; otherwise its start, cut on a character
 * boundary, plus its extension. Never empty, never a dot segment (a client
 * would resolve `..` away), no slashes.
 */
export function urlSegmentOf(fileName: string, maxChars = URL_SEGMENT_MAX_CHARS): string {
  // An encoded slash is refused by some proxies (Apache's AllowEncodedSlashes off): none in the hint.
  const name = fileName.replace(/[/\\]/g, '_');
  const whole = encodeURIComponent(name);
  if (whole.length <= maxChars && name !== '.' && name !== '..' && name !== '') return whole;
  const ext = encodeURIComponent(EXTENSION.exec(name)?.[0] ?? '');
  const base = ext ? name.slice(0, name.length - decodeURIComponent(ext).length) : name;
  let kept = '';
  for (const ch of base) {
    const next = kept + encodeURIComponent(ch);
    if (next.length + ext.length > maxChars) break;
    kept = next;
  }
  kept = kept.replace(/^\.+$/, '');
  return `${kept || 'file'}${ext}`;
}

const signingKey = (secretKey: string): Buffer => createHmac('sha256', secretKey).update('max-bitrix24-bridge/media-url/v1').digest();

export class MediaSigner {
  private readonly key: Buffer;
  /** Keys that only check (BRIDGE_SECRET_KEY_PREVIOUS): links signed before a key rotation keep working until they expire. */
  private readonly previous: Buffer[];

  constructor(secretKey: string, previousSecretKeys: readonly string[] = []) {
    this.key = signingKey(secretKey);
    this.previous = previousSecretKeys.map(signingKey);
  }

  private mac(id: string, expSec: number, key = this.key): string {
    return createHmac('sha256', key).update(`${id}.${expSec}`).digest('base64url');
  }

  url(publicUrl: string, id: string, name: string, expiresAtMs: number): string {
    const exp = Math.floor(expiresAtMs / 1000);
    return `${publicUrl.replace(/\/$/, '')}/media/${encodeURIComponent(id)}/${urlSegmentOf(name)}?exp=${exp}&sig=${this.mac(id, exp)}`;
  }

  /** 'ok', 'expired' (a valid signature past its time) or 'bad'. */
  check(id: string, exp: string | undefined, sig: string | undefined, nowMs: number): 'ok' | 'expired' | 'bad' {
    if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return 'bad';
    const given = Buffer.from(sig);
    // Every key is compared (no early exit), so the time taken does not tell which one signed.
    let valid = false;
    for (const key of [this.key, ...this.previous]) {
      const expected = Buffer.from(this.mac(id, Number(exp), key));
      valid = (given.length === expected.length && timingSafeEqual(given, expected)) || valid;
    }
    if (!valid) return 'bad';
    return Number(exp) * 1000 < nowMs ? 'expired' : 'ok';
  }
}
