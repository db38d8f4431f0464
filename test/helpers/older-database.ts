/**
 * A database as an older version of the bridge left it: the migrations up to `lastId`
 * applied and recorded, the later ones not, for tests of an upgrade (the `migrate`
 * command, the backup reminder at start). The bookkeeping table is made as migrations.ts
 * makes it, so the current version's migrate() carries on from there.
 */
import { openDatabase } from '../../src/store/db.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';

/** The id of the newest migration the previous version had (this version's second newest). */
export const PREVIOUS_VERSION_MIGRATION = (MIGRATIONS[MIGRATIONS.length - 2] as { id: number }).id;

export async function databaseAtMigration(databaseUrl: string, lastId: number): Promise<void> {
  const opened = openDatabase(databaseUrl, { poolSize: 1 });
  try {
    await opened.db.schema.createTable('schema_migrations').ifNotExists().addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull()).addColumn('applied_at_ms', 'bigint', (c) => c.notNull()).execute();
    for (const m of MIGRATIONS.filter((x) => x.id <= lastId)) {
      await m.up(opened.db, opened.engine);
      await opened.db.insertInto('schema_migrations').values({ id: m.id, name: m.name, applied_at_ms: Date.now() }).execute();
    }
  } finally {
    await opened.close();
  }
}
