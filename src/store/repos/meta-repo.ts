/** Small shared facts of the running bridge, one row per key (e.g. when a process last started). */
import type { Kysely } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import type { Database } from '../schema.ts';

export class MetaRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async set(key: string, value: string): Promise<void> {
    const now = this.clock.nowMs();
    await this.db.insertInto('bridge_meta').values({ key, value, updated_at_ms: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at_ms: now })).execute();
  }

  async get(key: string): Promise<string | null> {
    return (await this.db.selectFrom('bridge_meta').select('value').where('key', '=', key).executeTakeFirst())?.value ?? null;
  }

  /** Every key with this prefix, with its value and when it was last written. */
  async list(prefix: string): Promise<Array<{ key: string; value: string; updatedAtMs: number }>> {
    const rows = await this.db.selectFrom('bridge_meta').select(['key', 'value', 'updated_at_ms']).where('key', 'like', `${prefix}%`).execute();
    return rows.map((r) => ({ key: r.key, value: r.value, updatedAtMs: Number(r.updated_at_ms) }));
  }

  /** Deletes the key, whatever its value. */
  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('bridge_meta').where('key', '=', key).execute();
  }

  /** Deletes the key if its value is still `value` (someone else may have rewritten it); true if deleted. */
  async deleteIf(key: string, value: string): Promise<boolean> {
    const res = await this.db.deleteFrom('bridge_meta').where('key', '=', key).where('value', '=', value).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
