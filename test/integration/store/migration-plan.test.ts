/**
 * What the migrations would do, read without doing it (src/store/migration-plan.ts), on both
 * engines: a new database (everything pending, nothing to back up), one the previous version
 * left (its newest migration pending, the backup reminder naming both), one a newer version
 * migrated (unknown ids); openStore tells `beforeMigrate` once, before applying, and not
 * again when the schema is current.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { systemClock } from '../../../src/domain/clock.ts';
import { openDatabase } from '../../../src/store/db.ts';
import { backupReminder, idRange, readMigrationPlan, type MigrationPlan } from '../../../src/store/migration-plan.ts';
import { MIGRATIONS } from '../../../src/store/migrations.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { databaseAtMigration, PREVIOUS_VERSION_MIGRATION } from '../../helpers/older-database.ts';

const ALL = MIGRATIONS.map((m) => m.id);

async function planOf(url: string): Promise<MigrationPlan> {
  const opened = openDatabase(url, { poolSize: 1 });
  try {
    return await readMigrationPlan(opened.db, opened.engine);
  } finally {
    await opened.close();
  }
}

test('idRange: runs of three or more joined, others listed', () => {
  assert.equal(idRange([]), '—');
  assert.equal(idRange([16, 17]), '16, 17');
  assert.equal(idRange([1, 2, 3, 4, 17, 99]), '1–4, 17, 99');
});

for (const engine of testEngines()) {
  describe(`the migration plan (${engine.name})`, () => {
    after(() => engine.dropAll());

    test('a new database: every migration pending, nothing applied, no backup reminder; reading it changed nothing', async () => {
      const url = await engine.createDatabase();
      const plan = await planOf(url);
      assert.deepEqual(plan, { applied: [], pending: MIGRATIONS.map((m) => ({ id: m.id, name: m.name })), unknown: [] });
      assert.equal(backupReminder(plan, engine.name), null);
      assert.deepEqual((await planOf(url)).applied, [], 'still no schema_migrations');
    });

    test('the previous version\'s database: its newest migration pending; the reminder names both and the engine\'s backup tool; openStore tells beforeMigrate once', async () => {
      const url = await engine.createDatabase();
      await databaseAtMigration(url, PREVIOUS_VERSION_MIGRATION);
      const plan = await planOf(url);
      const newer = MIGRATIONS.filter((m) => m.id > PREVIOUS_VERSION_MIGRATION);
      assert.deepEqual(plan.applied, ALL.filter((id) => id <= PREVIOUS_VERSION_MIGRATION));
      assert.deepEqual(plan.pending, newer.map((m) => ({ id: m.id, name: m.name })));
      const reminder = backupReminder(plan, engine.name) ?? '';
      assert.match(reminder, new RegExp(`применены миграции 1–${PREVIOUS_VERSION_MIGRATION}, будут применены ${idRange(newer.map((m) => m.id))}`));
      assert.match(reminder, /back it up first/);
      assert.match(reminder, engine.name === 'sqlite' ? /sqlite3 <file> "\.backup <copy>"/ : /pg_dump/);

      const told: Array<{ plan: MigrationPlan; engine: string }> = [];
      const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock, beforeMigrate: (p, e) => told.push({ plan: p, engine: e }) });
      await store.close();
      assert.deepEqual(told, [{ plan, engine: engine.name }]);
      assert.deepEqual(await planOf(url), { applied: ALL, pending: [], unknown: [] }, 'then applied');
      const again = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock, beforeMigrate: (p, e) => told.push({ plan: p, engine: e }) });
      await again.close();
      assert.equal(told.length, 1, 'nothing to tell when the schema is current');
    });

    test('a database a newer version migrated: its extra migration is unknown', async () => {
      const url = await engine.createDatabase();
      await databaseAtMigration(url, ALL[ALL.length - 1] as number);
      const opened = openDatabase(url, { poolSize: 1 });
      await opened.db.insertInto('schema_migrations').values({ id: 999, name: 'from the future', applied_at_ms: 1 }).execute();
      await opened.close();
      const plan = await planOf(url);
      assert.deepEqual(plan.unknown, [999]);
      assert.deepEqual(plan.pending, []);
      assert.equal(backupReminder(plan, engine.name), null);
    });
  });
}
