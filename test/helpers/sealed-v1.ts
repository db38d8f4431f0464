/**
 * A secret sealed as the bridge did before the key ring (`v1.<iv>.<tag>.<data>`, no key id):
 * what stores written by earlier versions hold, for the tests that must still read them.
 */
import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';

export function sealV1(secretKey: string, plain: string): string {
  const key = scryptSync(secretKey, 'max-bitrix24-bridge/secrets/v1', 32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}
