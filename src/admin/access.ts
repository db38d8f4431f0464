/**
 * Who may use the admin UI: logins (with the lock-out) and sessions.
 *
 * Lock-out: LOCKOUT_FAILURES (5) wrong passwords in a row lock the account for LOCKOUT_MS
 * (15 minutes); while locked even the right password is refused (so a guesser learns nothing
 * from trying it), and `npm run bridge -- user unlock <name>` lifts it at once. A success
 * clears the count. An unknown name costs the same scrypt time as a known one.
 *
 * Sessions: a random 32-byte token in the cookie; the store keeps only its SHA-256. A session
 * ends after SESSION_IDLE_MS (12 hours) without a request, SESSION_MAX_MS (7 days) after the
 * login whatever happens, at logout (its row deleted), and when its user's password changes
 * or the user is removed.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AdminSessionRow, AdminUserRepo } from '../store/repos/admin-user-repo.ts';
import { hashPassword, randomPassword, verifyPassword } from './password.ts';
import type { AdminUser } from './page.ts';

export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_MS = 15 * 60_000;
export const SESSION_IDLE_MS = 12 * 3_600_000;
export const SESSION_MAX_MS = 7 * 86_400_000;
/** A session's idle expiry is pushed forward at most once a minute (not a write per request). */
const TOUCH_EVERY_MS = 60_000;
const TOKEN_BYTES = 32;

export type LoginOutcome =
  | { kind: 'ok'; user: AdminUser; token: string; csrfToken: string }
  | { kind: 'wrong'; failures: number; unknownUser: boolean }
  | { kind: 'locked'; untilMs: number; justLocked: boolean };

export interface AdminSession {
  user: AdminUser;
  csrfToken: string;
  tokenHash: string;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A hash nobody's password matches: checked against for unknown names, so they take as long. */
let decoyHash: Promise<string> | null = null;

export async function logIn(repo: AdminUserRepo, username: string, password: string, nowMs: number): Promise<LoginOutcome> {
  const user = await repo.get(username);
  if (!user) {
    decoyHash ??= hashPassword(randomPassword());
    await verifyPassword(password, await decoyHash);
    return { kind: 'wrong', failures: 0, unknownUser: true };
  }
  if (user.lockedUntilMs !== null && user.lockedUntilMs > nowMs) return { kind: 'locked', untilMs: user.lockedUntilMs, justLocked: false };
  if (!(await verifyPassword(password, user.passwordHash))) {
    const untilMs = nowMs + LOCKOUT_MS;
    const { failures, locked } = await repo.recordFailure(username, LOCKOUT_FAILURES, untilMs);
    return locked ? { kind: 'locked', untilMs, justLocked: true } : { kind: 'wrong', failures, unknownUser: false };
  }
  await repo.recordLogin(username);
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const csrfToken = randomBytes(TOKEN_BYTES).toString('base64url');
  await repo.createSession(hashToken(token), username, csrfToken, nowMs + SESSION_IDLE_MS);
  return { kind: 'ok', user: { username: user.username, role: user.role }, token, csrfToken };
}

function expiryOf(row: AdminSessionRow, nowMs: number): number {
  return Math.min(nowMs + SESSION_IDLE_MS, row.createdAtMs + SESSION_MAX_MS);
}

/** The session of a cookie's token, its idle expiry pushed forward; null when there is none or it expired. */
export async function sessionOf(repo: AdminUserRepo, token: string | undefined, nowMs: number): Promise<AdminSession | null> {
  if (!token || token.length > 128) return null;
  const tokenHash = hashToken(token);
  const row = await repo.session(tokenHash);
  if (!row) return null;
  if (row.createdAtMs + SESSION_MAX_MS <= nowMs) {
    await repo.deleteSession(tokenHash);
    return null;
  }
  if (nowMs - row.lastSeenMs >= TOUCH_EVERY_MS) await repo.touchSession(tokenHash, expiryOf(row, nowMs));
  return { user: { username: row.username, role: row.role }, csrfToken: row.csrfToken, tokenHash };
}

export async function logOut(repo: AdminUserRepo, session: AdminSession): Promise<void> {
  await repo.deleteSession(session.tokenHash);
}
