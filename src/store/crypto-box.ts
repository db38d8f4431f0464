/**
 * Secrets at rest (tokens, webhook secrets): AES-256-GCM with a key derived
 * from BRIDGE_SECRET_KEY by scrypt (fixed salt: the key is a secret already;
 * the salt only separates this use). Output `v1.<iv>.<tag>.<ciphertext>`
 * (base64url). A wrong key fails authentication instead of returning garbage.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

const VERSION = 'v1';
const SALT = 'max-bitrix24-bridge/secrets/v1';
const IV_BYTES = 12;

export class CryptoBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    if (secretKey.length < 16) throw new Error('BRIDGE_SECRET_KEY must be at least 16 characters (e.g. `openssl rand -hex 32`)');
    this.key = scryptSync(secretKey, SALT, 32);
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
