/**
 * One "bridge process starting": opens the database named on the command line,
 * runs the migrations and prints how many it applied. Spawned three at a time by
 * store.test.ts to show that simultaneous starts migrate once.
 *
 *   node --import tsx test/integration/store/migrate-process.ts <databaseUrl>
 */
import { openDatabase } from '../../../src/store/db.ts';
import { migrate } from '../../../src/store/migrations.ts';

const databaseUrl = process.argv[2];
if (!databaseUrl) throw new Error('usage: migrate-process <databaseUrl>');
const opened = openDatabase(databaseUrl, { poolSize: 2 });
try {
  process.stdout.write(`applied ${await migrate(opened.db, opened.engine, Date.now())}\n`);
} finally {
  await opened.close();
}
