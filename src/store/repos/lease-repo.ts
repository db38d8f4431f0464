/**
 * Resource leases (a portal, a bot): held by one process at a time so that the
 * process owns that resource's rate limiter; taken over when it expires (the
 * holder died or stopped renewing). Acquire is one atomic upsert: insert, or
 * take over when the lease is ours or expired.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Database } from '../schema.ts';

export class LeaseRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Acquires or renews; true when `holder` holds the lease afterwards. */
  async acquire(resource: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.nowMs();
    const row = await this.db.insertInto('leases').values({ resource, holder, expires_at_ms: now + ttlMs })
      .onConflict((oc) => oc.column('resource').doUpdateSet({ holder, expires_at_ms: now + ttlMs })
        .where((eb) => eb.or([eb('leases.holder', '=', holder), eb('leases.expires_at_ms', '<', now)])))
      .returning('holder')
      .executeTakeFirst();
    return row?.holder === holder;
  }

  async release(resource: string, holder: string): Promise<void> {
    await this.db.deleteFrom('leases').where('resource', '=', resource).where('holder', '=', holder).execute();
  }

  async releaseAll(holder: string): Promise<void> {
    await this.db.deleteFrom('leases').where('holder', '=', holder).execute();
  }

  async heldBy(holder: string): Promise<string[]> {
    const now = this.clock.nowMs();
    const rows = await this.db.selectFrom('leases').select('resource').where('holder', '=', holder).where('expires_at_ms', '>=', now).execute();
    return rows.map((r) => r.resource);
  }

  async holderOf(resource: string): Promise<string | null> {
    const now = this.clock.nowMs();
    const row = await this.db.selectFrom('leases').select('holder').where('resource', '=', resource).where('expires_at_ms', '>=', now).executeTakeFirst();
    return row?.holder ?? null;
  }
}
