/**
 * What /ready reads from the database (src/bridge/readiness.ts): that it
 * answers at all, whether its schema is the one this version expects, and each
 * line's state. Read-only; small tables.
 */
import type { Kysely } from 'kysely';
import { MIGRATIONS } from '../migrations.ts';
import type { Database } from '../schema.ts';

export interface SchemaState {
  /** The newest migration applied to the database (0 when none). */
  appliedLatest: number;
  /** Migrations this version has that the database lacks (a restored older backup, another database). */
  missing: number[];
  /** Migrations in the database this version does not know (a newer version migrated it). */
  unknown: number[];
}

export interface LineState {
  portalId: string;
  lineId: number;
  state: 'active' | 'paused';
  pausedReason: string | null;
}

export class ReadinessRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** The schema check; its query (one small table) doubles as the "database answers" probe. */
  async schemaState(): Promise<SchemaState> {
    const applied = new Set((await this.db.selectFrom('schema_migrations').select('id').execute()).map((r) => Number(r.id)));
    const known = new Set(MIGRATIONS.map((m) => m.id));
    return {
      appliedLatest: Math.max(0, ...applied),
      missing: [...known].filter((id) => !applied.has(id)),
      unknown: [...applied].filter((id) => !known.has(id)).sort((a, b) => a - b),
    };
  }

  async lineStates(): Promise<LineState[]> {
    const rows = await this.db.selectFrom('lines').select(['portal_id', 'line_id', 'state', 'paused_reason']).orderBy('portal_id').orderBy('line_id').execute();
    return rows.map((r) => ({ portalId: r.portal_id, lineId: Number(r.line_id), state: r.state, pausedReason: r.paused_reason }));
  }
}
