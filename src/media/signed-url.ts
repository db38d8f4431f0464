/**
 * Signed, expiring media URLs: `<public_url>/media/<id>/<name>?exp=<unix s>&sig=<mac>`,
 * the MAC an HMAC-SHA256 over id and expiry under a key derived from
 * BRIDGE_SECRET_KEY for this purpose alone (never the secret itself). Checked
 * in constant time. Bitrix24 fetches the file without auth (spec §9), so the
 * signature and the unguessable id are the only keys.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export class MediaSigner {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = createHmac('sha256', secretKey).update('max-bitrix24-bridge/media-url/v1').digest();
  }

  private mac(id: string, expSec: number): string {
    return createHmac('sha256', this.key).update(`${id}.${expSec}`).digest('base64url');
  }

  url(publicUrl: string, id: string, name: string, expiresAtMs: number): string {
    const exp = Math.floor(expiresAtMs / 1000);
    return `${publicUrl.replace(/\/$/, '')}/media/${encodeURIComponent(id)}/${encodeURIComponent(name)}?exp=${exp}&sig=${this.mac(id, exp)}`;
  }

  /** 'ok', 'expired' (a valid signature past its time) or 'bad'. */
  check(id: string, exp: string | undefined, sig: string | undefined, nowMs: number): 'ok' | 'expired' | 'bad' {
    if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return 'bad';
    const expected = Buffer.from(this.mac(id, Number(exp)));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad';
    return Number(exp) * 1000 < nowMs ? 'expired' : 'ok';
  }
}
