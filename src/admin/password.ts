/**
 * Admin UI passwords: scrypt (node:crypto, a memory-hard KDF kept by Node itself), a random
 * 16-byte salt per password, stored as `scrypt$N$r$p$<salt b64>$<hash b64>` so the cost can
 * be raised later without breaking stored hashes (each hash carries its own parameters).
 *
 * N = 2^15, r = 8, p = 1: about 32 MiB and ~60–100 ms per check on a small server — slow for
 * a guesser, unnoticeable at login (OWASP's scrypt minimum is N = 2^17 with p = 1 at 128 MiB;
 * 2^15 keeps a 2-core box responsive when several people log in at once, and the lock-out
 * (admin-access.ts) stops online guessing long before the cost matters).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const COST_N = 32_768;
const BLOCK_R = 8;
const PARALLEL_P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Node refuses scrypt above 32 MiB by default; N·r·128 = 32 MiB for our parameters, so allow twice that. */
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;
/** Shortest password `user add` / `user passwd` accept. */
export const PASSWORD_MIN_LENGTH = 10;

function derive(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new stored hash for `password` (a fresh salt each time). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, { N: COST_N, r: BLOCK_R, p: PARALLEL_P, maxmem: MAX_MEMORY_BYTES });
  return ['scrypt', COST_N, BLOCK_R, PARALLEL_P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Whether `password` matches the stored hash; compared in constant time. A malformed stored value never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || salt.length === 0 || expected.length === 0) return false;
  const actual = await derive(password, salt, expected.length, { N: n, r, p, maxmem: Math.max(MAX_MEMORY_BYTES, 256 * n * r) });
  return timingSafeEqual(actual, expected);
}

/** Why a new password is refused (Russian / English), or null when it is fine. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `пароль короче ${PASSWORD_MIN_LENGTH} символов / the password is shorter than ${PASSWORD_MIN_LENGTH} characters`;
  if (password.trim() !== password) return 'пароль начинается или кончается пробелом / the password starts or ends with a space';
  return null;
}

/** A random password for the sandbox's `admin` (16 characters of base64url, ~96 bits). */
export function randomPassword(): string {
  return randomBytes(12).toString('base64url');
}
