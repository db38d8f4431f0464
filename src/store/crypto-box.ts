/**
 * Secrets at rest (tokens, webhook secrets): AES-256-GCM with a key derived
 * from BRIDGE_SECRET_KEY by scrypt (fixed salt: the key is a secret already;
 * the salt only separates this use). A wrong key fails authentication instead
 * of returning garbage.
 *
 * A key ring, so the key can change without downtime (docs/operations.md,
 * "Rotating BRIDGE_SECRET_KEY"): the current key seals; it and the previous
 * keys (BRIDGE_SECRET_KEY_PREVIOUS) open. Output
 * `v2.<key id>.<iv>.<tag>.<ciphertext>` (base64url): the key id names the key
 * that sealed the value, so opening picks that key at once and the rotation
 * (src/store/secret-rotation.ts) sees which values are not yet under the
 * current key without decrypting them. `v1.<iv>.<tag>.<ciphertext>` (before
 * the ring, no key id) is still opened, by trying each key in turn.
 *
 * The key id is the first 8 hex digits of HMAC-SHA256(derived key, "key-id"):
 * one-way, 32 bits of a 256-bit key, and no easier to test a guessed key
 * against than any sealed value (both cost a scrypt per guess). It is shown in
 * errors and by `rotate-key` so operators can tell keys apart; key material
 * never is.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { BridgeError } from '../domain/errors.ts';

/** No key of the ring opens a stored value: the bridge runs with another key than the one that sealed it. */
export const SECRET_KEY_MISMATCH = 'BRG_ERR_SECRET_KEY_MISMATCH';
/** A stored value is not in the sealed format at all (edited by hand, or a column mix-up). */
export const SECRET_MALFORMED = 'BRG_ERR_SECRET_MALFORMED';

const SALT = 'max-bitrix24-bridge/secrets/v1';
const IV_BYTES = 12;
const KEY_ID = /^[0-9a-f]{8}$/;
const MIN_KEY_CHARS = 16;

interface RingKey {
  id: string;
  key: Buffer;
}

function ringKey(secretKey: string, variable: string): RingKey {
  // The message names the variable and the rule, never the value.
  if (secretKey.length < MIN_KEY_CHARS) throw new Error(`${variable} must be at least ${MIN_KEY_CHARS} characters (e.g. \`openssl rand -hex 32\`)`);
  const key = scryptSync(secretKey, SALT, 32);
  return { id: createHmac('sha256', key).update('key-id').digest('hex').slice(0, 8), key };
}

function decrypt(key: Buffer, iv: string, tag: string, data: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}

export class CryptoBox {
  private readonly current: RingKey;
  /** The current key first, then the previous ones (each once). */
  private readonly ring: readonly RingKey[];

  /**
   * @param secretKey          BRIDGE_SECRET_KEY: seals, and opens
   * @param previousSecretKeys BRIDGE_SECRET_KEY_PREVIOUS: open only (values sealed before a rotation)
   */
  constructor(secretKey: string, previousSecretKeys: readonly string[] = []) {
    this.current = ringKey(secretKey, 'BRIDGE_SECRET_KEY');
    const ring = [this.current];
    for (const previous of previousSecretKeys) {
      const k = ringKey(previous, 'BRIDGE_SECRET_KEY_PREVIOUS');
      // The same key listed twice (or the current one kept in the previous list) is tried once.
      if (!ring.some((r) => r.key.equals(k.key))) ring.push(k);
    }
    this.ring = ring;
  }

  /** The id of the key that seals: values that carry it need no rotation. */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** The ids of the ring, the current one first. */
  get keyIds(): string[] {
    return this.ring.map((k) => k.id);
  }

  /** The key id a sealed value names; null for a v1 value (it names none) and for what is not sealed. */
  static keyIdOf(sealed: string): string | null {
    const [version, id] = sealed.split('.', 2);
    return version === 'v2' && id !== undefined && KEY_ID.test(id) ? id : null;
  }

  /** True when the value was sealed under the current key (judged by its key id, not decrypted). */
  isCurrent(sealed: string): boolean {
    return CryptoBox.keyIdOf(sealed) === this.current.id;
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v2', this.current.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const parts = sealed.split('.');
    const [version] = parts;
    let candidates: readonly RingKey[];
    let fields: string[];
    if (version === 'v2' && parts.length === 5 && KEY_ID.test(parts[1] as string)) {
      // Two keys of one ring sharing 32 bits of id is unlikely, not impossible: every match is tried.
      candidates = this.ring.filter((k) => k.id === parts[1]);
      fields = parts.slice(2);
    } else if (version === 'v1' && parts.length === 4) {
      candidates = this.ring;
      fields = parts.slice(1);
    } else {
      throw new BridgeError(SECRET_MALFORMED, 'a stored secret is not a sealed value (v1 or v2); fix: the database was edited by hand — restore the row, or install the portal / configure the bot again', { retryable: false });
    }
    const [iv, tag, data] = fields as [string, string, string];
    for (const k of candidates) {
      try {
        return decrypt(k.key, iv, tag, data);
      } catch {
        // Not this key (GCM authentication failed): try the next one.
      }
    }
    throw this.mismatch(version === 'v2' ? parts[1] as string : null);
  }

  /**
   * Retryable on purpose: during a rotation, a process still on the old key alone meets
   * tokens another process sealed under the new one; its job waits for the restart that
   * gives it both keys instead of becoming a dead letter.
   */
  private mismatch(sealedUnder: string | null): BridgeError {
    const ring = this.ring.length === 1
      ? `BRIDGE_SECRET_KEY (key id ${this.current.id})`
      : `BRIDGE_SECRET_KEY (key id ${this.current.id}) or BRIDGE_SECRET_KEY_PREVIOUS (key ids ${this.ring.slice(1).map((k) => k.id).join(', ')})`;
    const under = sealedUnder === null ? 'a key not in the ring (a v1 value names none)' : `key id ${sealedUnder}`;
    return new BridgeError(SECRET_KEY_MISMATCH,
      `a stored secret cannot be decrypted with ${ring}: it was sealed under ${under}; fix: set BRIDGE_SECRET_KEY to the key the bridge stored it with, `
      + 'or, while changing the key, keep the old one in BRIDGE_SECRET_KEY_PREVIOUS (docs/operations.md, "Rotating BRIDGE_SECRET_KEY")',
      { retryable: true });
  }
}
