import { randomBytes } from 'node:crypto';

/** `mid.` + 32 hex characters, the shape observed on the real API. */
export function makeMid(): string {
  return `mid.${randomBytes(16).toString('hex')}`;
}

/** Opaque tokens for uploads, callbacks and files (URL-safe). */
export function makeToken(prefix: string): string {
  return `${prefix}${randomBytes(18).toString('base64url')}`;
}

/**
 * Message sequence numbers. Real values are larger than 2^53
 * (e.g. 116688673966208835), so they are BigInt here.
 */
export class SeqCounter {
  private next = 116_688_673_966_208_835n;

  take(): bigint {
    const value = this.next;
    this.next += 1n;
    return value;
  }
}
