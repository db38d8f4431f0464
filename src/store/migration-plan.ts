/**
 * What the migrations would do to a database, read without changing it: the ones applied,
 * the ones this version would apply, and any it does not know (a newer version migrated
 * the database). Read by `npm run bridge -- migrate` (src/cli/migrate.ts) and, at start,
 * just before the migrations run, for the backup reminder (src/runtime/start-bridge.ts).
 * The migrations themselves and their lock stay in migrations.ts.
 */
import { sql, type Kysely } from 'kysely';
import type { Engine } from './db.ts';
import { MIGRATIONS } from './migrations.ts';
import type { Database } from './schema.ts';

export interface PendingMigration {
  id: number;
  name: string;
}

export interface MigrationPlan {
  /** Migrations recorded in the database, ascending (none: a new, empty database). */
  applied: number[];
  /** Migrations this version has that the database lacks, in the order they run. */
  pending: PendingMigration[];
  /** Migrations in the database this version does not know (it was migrated by a newer version). */
  unknown: number[];
}

/** True once the schema_migrations table exists (the first start creates it). */
async function hasMigrationsTable(db: Kysely<Database>, engine: Engine): Promise<boolean> {
  if (engine === 'sqlite') {
    const found = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name = 'schema_migrations'`.execute(db);
    return found.rows.length > 0;
  }
  const found = await sql<{ t: string | null }>`select to_regclass('schema_migrations')::text as t`.execute(db);
  return found.rows[0]?.t !== null && found.rows[0]?.t !== undefined;
}

export async function readMigrationPlan(db: Kysely<Database>, engine: Engine): Promise<MigrationPlan> {
  const rows = (await hasMigrationsTable(db, engine)) ? await db.selectFrom('schema_migrations').select('id').execute() : [];
  const applied = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  const done = new Set(applied);
  const known = new Set(MIGRATIONS.map((m) => m.id));
  return {
    applied,
    pending: MIGRATIONS.filter((m) => !done.has(m.id)).map((m) => ({ id: m.id, name: m.name })),
    unknown: applied.filter((id) => !known.has(id)),
  };
}

/** "1–15", "16, 17", "1–17, 99": ids (ascending) as a person reads them; runs of three or more joined. */
export function idRange(ids: readonly number[]): string {
  if (ids.length === 0) return '—';
  const parts: string[] = [];
  let runStart = 0;
  for (let i = 1; i <= ids.length; i++) {
    if (i < ids.length && ids[i] === (ids[i - 1] as number) + 1) continue;
    const run = ids.slice(runStart, i);
    parts.push(run.length > 2 ? `${run[0]}–${run[run.length - 1]}` : run.join(', '));
    runStart = i;
  }
  return parts.join(', ');
}

/**
 * The reminder to back up, when migrations are about to change a database that already holds
 * the bridge's data (a new, empty database has nothing to lose: null). Russian, then English.
 */
export function backupReminder(plan: MigrationPlan, engine: Engine): string | null {
  if (plan.pending.length === 0 || plan.applied.length === 0) return null;
  const pending = idRange(plan.pending.map((m) => m.id));
  const applied = idRange(plan.applied);
  const tool = engine === 'sqlite' ? 'sqlite3 <file> ".backup <copy>"' : 'pg_dump -Fc';
  return `Обновление схемы базы с данными (применены миграции ${applied}, будут применены ${pending}): сначала резервная копия. `
    + `Upgrading the schema of a database with data (applied ${applied}, to apply ${pending}): back it up first. `
    + `${tool}; docs/deployment.md («Обновление» / "Upgrading").`;
}
