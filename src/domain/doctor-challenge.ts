/**
 * The self-call challenge of `doctor` (src/doctor/checks/public-url-reachable.ts): the doctor
 * sends a fresh random nonce to `${PUBLIC_URL}/doctor/challenge/<nonce>` and expects the HMAC
 * of it under a key derived from BRIDGE_SECRET_KEY. Only a bridge holding the same key answers
 * right, so a reverse proxy pointing at some other server (an old install, a parking page) is
 * told apart from this bridge. The key is derived for this purpose alone: the answer reveals
 * nothing about the secret key or the secrets derived from it for other uses (webhook secrets).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** 16 to 128 URL-safe characters: what the endpoint accepts as a nonce. */
export const CHALLENGE_NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** The challenge key of a bridge with this BRIDGE_SECRET_KEY. */
export function challengeKey(secretKey: string): Buffer {
  return createHmac('sha256', secretKey).update('doctor-challenge:v1').digest();
}

/** A key for a bridge without BRIDGE_SECRET_KEY (a sandbox): only the same process can check its answers. */
export function randomChallengeKey(): Buffer {
  return randomBytes(32);
}

export function newChallengeNonce(): string {
  return randomBytes(24).toString('base64url');
}

/** The answer to `nonce` (base64url of HMAC-SHA256). */
export function challengeAnswer(key: Buffer, nonce: string): string {
  return createHmac('sha256', key).update(nonce).digest('base64url');
}

/** Whether `answer` is the right one, compared in constant time. */
export function isChallengeAnswer(key: Buffer, nonce: string, answer: unknown): boolean {
  if (typeof answer !== 'string') return false;
  const expected = Buffer.from(challengeAnswer(key, nonce));
  const given = Buffer.from(answer);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
