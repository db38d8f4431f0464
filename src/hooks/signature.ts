/**
 * The signature of a hook request (docs/hooks.md, "Verifying a request"): the header
 * `X-Bridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the
 * endpoint's secret>`. The receiver recomputes it over the raw bytes it got, compares in
 * constant time, and refuses a `t` too far from its own clock (a replayed request); the
 * `X-Bridge-Event-Id` header then lets it drop a retry it has already handled.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-bridge-signature';
export const EVENT_ID_HEADER = 'x-bridge-event-id';
/** A receiver refuses a signature older or newer than this by default (clock skew included). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestampSeconds: number, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestampSeconds}.`);
  mac.update(rawBody);
  return mac.digest('hex');
}

/** The header value for a body sent at `timestampSeconds`. */
export function signatureHeader(secret: string, rawBody: string | Buffer, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, rawBody)}`;
}

export type SignatureCheck =
  | { ok: true; timestampSeconds: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a received header against the raw body (a receiver's side; the bridge's own tests use
 * it). Several `v1=` values are accepted (one per secret while a secret changes).
 */
export function verifySignature(header: string | undefined | null, rawBody: string | Buffer, secret: string, nowSeconds: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  let t: number | null = null;
  const given: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') t = /^\d{1,12}$/.test(value) ? Number(value) : null;
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) given.push(value);
  }
  if (t === null || given.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(hmacHex(secret, t, rawBody), 'hex');
  const match = given.some((v) => timingSafeEqual(Buffer.from(v, 'hex'), expected));
  return match ? { ok: true, timestampSeconds: t } : { ok: false, reason: 'mismatch' };
}
