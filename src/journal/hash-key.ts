/**
 * The key of the `hashed` masking mode (masking.ts) and of erasure records: derived from
 * BRIDGE_SECRET_KEY, so every process of one installation hashes a phone the same way
 * (rows of one client still match across processes and restarts) while nobody without the
 * key can test a guessed phone against a hash. A new BRIDGE_SECRET_KEY (rotate-key) gives
 * new hashes: rows hashed before and after a rotation do not match each other.
 */
import { createHmac, randomBytes } from 'node:crypto';

const PURPOSE = 'max-bitrix24-bridge/privacy-hash/v1';

/** The hashing key; a random one (hashes valid within this process only) when no secret key is configured. */
export function privacyHashKey(secretKey: string | undefined): Buffer {
  if (!secretKey) return randomBytes(32);
  return createHmac('sha256', secretKey).update(PURPOSE).digest();
}
