/**
 * The admin web UI's people and their sessions (src/admin/): named users with a role and a
 * scrypt password hash (src/admin/password.ts), their failed-login count and lock, and their
 * sessions. A session is stored by the SHA-256 of its cookie's token (a copy of the database
 * opens no session) with its CSRF token and its expiry, which each use pushes forward (idle
 * expiry). What the numbers mean (how many failures lock, for how long) is src/admin/access.ts's.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Database } from '../schema.ts';

export type AdminUserRole = 'admin' | 'viewer';

export interface AdminUserRow {
  username: string;
  role: AdminUserRole;
  passwordHash: string;
  failedLogins: number;
  lockedUntilMs: number | null;
  lastLoginMs: number | null;
  createdAtMs: number;
}

export interface AdminSessionRow {
  username: string;
  role: AdminUserRole;
  csrfToken: string;
  createdAtMs: number;
  expiresAtMs: number;
  lastSeenMs: number;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export class AdminUserRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Adds a user; false when the name is taken. */
  async add(username: string, role: AdminUserRole, passwordHash: string): Promise<boolean> {
    const now = this.clock.nowMs();
    const res = await this.db.insertInto('admin_users').values({
      username, role, password_hash: passwordHash, failed_logins: 0, locked_until_ms: null, last_login_ms: null, created_at_ms: now, updated_at_ms: now,
    }).onConflict((oc) => oc.column('username').doNothing()).returning('username').executeTakeFirst();
    return res !== undefined;
  }

  async get(username: string): Promise<AdminUserRow | null> {
    const r = await this.db.selectFrom('admin_users').selectAll().where('username', '=', username).executeTakeFirst();
    return r ? {
      username: r.username, role: r.role, passwordHash: r.password_hash, failedLogins: Number(r.failed_logins), lockedUntilMs: num(r.locked_until_ms),
      lastLoginMs: num(r.last_login_ms), createdAtMs: Number(r.created_at_ms),
    } : null;
  }

  /** Every user, by name (without their hashes). */
  async list(): Promise<Array<Omit<AdminUserRow, 'passwordHash'>>> {
    const rows = await this.db.selectFrom('admin_users')
      .select(['username', 'role', 'failed_logins', 'locked_until_ms', 'last_login_ms', 'created_at_ms']).orderBy('username').execute();
    return rows.map((r) => ({
      username: r.username, role: r.role, failedLogins: Number(r.failed_logins), lockedUntilMs: num(r.locked_until_ms),
      lastLoginMs: num(r.last_login_ms), createdAtMs: Number(r.created_at_ms),
    }));
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('admin_users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** A new password: the lock and the failures are cleared and every session of the user ends. False: no such user. */
  async setPassword(username: string, passwordHash: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx.updateTable('admin_users')
        .set({ password_hash: passwordHash, failed_logins: 0, locked_until_ms: null, updated_at_ms: this.clock.nowMs() })
        .where('username', '=', username).executeTakeFirst();
      await trx.deleteFrom('admin_sessions').where('username', '=', username).execute();
      return Number(res.numUpdatedRows) === 1;
    });
  }

  /** Removes a user and their sessions; false when there is none. */
  async remove(username: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('admin_sessions').where('username', '=', username).execute();
      const res = await trx.deleteFrom('admin_users').where('username', '=', username).executeTakeFirst();
      return Number(res.numDeletedRows) === 1;
    });
  }

  /** Clears a lock and the failure count; false when there is no such user. */
  async unlock(username: string): Promise<boolean> {
    const res = await this.db.updateTable('admin_users').set({ failed_logins: 0, locked_until_ms: null, updated_at_ms: this.clock.nowMs() })
      .where('username', '=', username).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * One more wrong password: the count goes up by one (in the database, so two processes do not
   * lose a failure); at `maxFailures` the user is locked until `lockedUntilMs` and the count starts
   * again. Returns the count after this failure and whether this failure locked the user.
   */
  async recordFailure(username: string, maxFailures: number, lockedUntilMs: number): Promise<{ failures: number; locked: boolean }> {
    const now = this.clock.nowMs();
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('admin_users').set((eb) => ({ failed_logins: eb('failed_logins', '+', 1), updated_at_ms: now }))
        .where('username', '=', username).returning('failed_logins').executeTakeFirst();
      const failures = Number(row?.failed_logins ?? 0);
      if (failures < maxFailures) return { failures, locked: false };
      await trx.updateTable('admin_users').set({ failed_logins: 0, locked_until_ms: lockedUntilMs, updated_at_ms: now }).where('username', '=', username).execute();
      return { failures, locked: true };
    });
  }

  /** A successful login: failures cleared, the time kept. */
  async recordLogin(username: string): Promise<void> {
    const now = this.clock.nowMs();
    await this.db.updateTable('admin_users').set({ failed_logins: 0, locked_until_ms: null, last_login_ms: now, updated_at_ms: now })
      .where('username', '=', username).execute();
  }

  /** Starts a session (its token already hashed by the caller); sessions expired by then are deleted on the way. */
  async createSession(tokenHash: string, username: string, csrfToken: string, expiresAtMs: number): Promise<void> {
    const now = this.clock.nowMs();
    await this.db.deleteFrom('admin_sessions').where('expires_at_ms', '<', now).execute();
    await this.db.insertInto('admin_sessions').values({
      token_hash: tokenHash, username, csrf_token: csrfToken, created_at_ms: now, expires_at_ms: expiresAtMs, last_seen_ms: now,
    }).execute();
  }

  /** The session with this token hash and its user's role, when it has not expired and its user still exists. */
  async session(tokenHash: string): Promise<AdminSessionRow | null> {
    const r = await this.db.selectFrom('admin_sessions').innerJoin('admin_users', 'admin_users.username', 'admin_sessions.username')
      .select(['admin_sessions.username', 'admin_users.role', 'admin_sessions.csrf_token', 'admin_sessions.created_at_ms', 'admin_sessions.expires_at_ms', 'admin_sessions.last_seen_ms'])
      .where('admin_sessions.token_hash', '=', tokenHash).executeTakeFirst();
    if (!r || Number(r.expires_at_ms) <= this.clock.nowMs()) return null;
    return {
      username: r.username, role: r.role, csrfToken: r.csrf_token, createdAtMs: Number(r.created_at_ms),
      expiresAtMs: Number(r.expires_at_ms), lastSeenMs: Number(r.last_seen_ms),
    };
  }

  /** The session was used: its idle expiry moves to `expiresAtMs`. */
  async touchSession(tokenHash: string, expiresAtMs: number): Promise<void> {
    await this.db.updateTable('admin_sessions').set({ last_seen_ms: this.clock.nowMs(), expires_at_ms: expiresAtMs })
      .where('token_hash', '=', tokenHash).execute();
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('admin_sessions').where('token_hash', '=', tokenHash).execute();
  }
}
