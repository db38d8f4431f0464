/**
 * `npm run bridge -- migrate [--dry-run]` as child processes, on both engines, against a
 * database the previous version left: the dry run lists the newest migration with the backup
 * reminder and changes nothing; two `migrate` started at once apply it once between them
 * (the lock); then nothing is left. A database a newer version migrated: exit 1 with the fix.
 * SQLite: a dry run creates no database that is not there; --help, a bad argument (exit 2).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { openDatabase } from '../../../src/store/db.ts';
import { MIGRATIONS } from '../../../src/store/migrations.ts';
import { testEngines } from '../../helpers/databases.ts';
import { databaseAtMigration, PREVIOUS_VERSION_MIGRATION } from '../../helpers/older-database.ts';

const ARGS = ['--import', 'tsx', 'src/cli/bridge.ts', 'migrate'];

function migrateSync(args: string[], databaseUrl: string) {
  return spawnSync(process.execPath, [...ARGS, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl } });
}

function migrateAsync(args: string[], databaseUrl: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [...ARGS, ...args], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (status) => done({ status, stdout, stderr }));
  });
}

async function appliedIds(url: string): Promise<number[]> {
  const opened = openDatabase(url, { poolSize: 1 });
  try {
    return (await opened.db.selectFrom('schema_migrations').select('id').orderBy('id').execute()).map((r) => Number(r.id));
  } finally {
    await opened.close();
  }
}

const newest = MIGRATIONS.filter((m) => m.id > PREVIOUS_VERSION_MIGRATION);

for (const engine of testEngines()) {
  describe(`migrate (${engine.name})`, () => {
    after(() => engine.dropAll());

    test('the previous version\'s database: a dry run lists and reminds, changes nothing; two at once apply it once; then nothing is left', async () => {
      const url = await engine.createDatabase();
      await databaseAtMigration(url, PREVIOUS_VERSION_MIGRATION);
      const before = await appliedIds(url);

      const dry = migrateSync(['--dry-run'], url);
      assert.equal(dry.status, 0, dry.stderr);
      for (const m of newest) assert.match(dry.stdout, new RegExp(`^\\s+${m.id}  ${m.name}$`, 'm'));
      assert.match(dry.stdout, /сначала резервная копия.*back it up first/s);
      assert.match(dry.stdout, /Dry run, nothing was changed/);
      if (engine.name === 'postgres') assert.doesNotMatch(dry.stdout, /password|:\/\/[^@\s]*:[^@\s]*@/, 'no password printed');
      assert.deepEqual(await appliedIds(url), before);

      const both = await Promise.all([migrateAsync([], url), migrateAsync([], url)]);
      for (const run of both) assert.equal(run.status, 0, run.stderr);
      // Each says how many it applied, or (reading after the other finished) that nothing was left.
      const appliedBy = both.map((run) => (/Nothing to apply/.test(run.stdout) ? 0 : Number(/applied by this run: (\d+)/.exec(run.stdout)?.[1])));
      assert.equal(appliedBy[0]! + appliedBy[1]!, newest.length, `applied once between them: ${appliedBy.join(' + ')}`);
      assert.deepEqual(await appliedIds(url), MIGRATIONS.map((m) => m.id));

      const again = migrateSync([], url);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /Nothing to apply: the schema is current/);
      assert.doesNotMatch(again.stdout, /back it up/);
    });

    test('a database a newer version migrated: exit 1, naming the migrations and the fix, nothing applied', async () => {
      const url = await engine.createDatabase();
      await databaseAtMigration(url, PREVIOUS_VERSION_MIGRATION);
      const opened = openDatabase(url, { poolSize: 1 });
      await opened.db.insertInto('schema_migrations').values({ id: 999, name: 'from the future', applied_at_ms: 1 }).execute();
      await opened.close();
      const run = migrateSync([], url);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /migrations 999 are unknown to this version\); fix: run the newer version, or restore the backup/);
      assert.ok(!(await appliedIds(url)).includes(newest[0]!.id), 'nothing applied');
    });
  });
}

test('migrate (sqlite): a dry run creates no database that is not there; --help; listed by help; a bad argument is exit 2 with the usage', async () => {
  const sqlite = testEngines()[0]!;
  const url = await sqlite.createDatabase();
  try {
    const dry = migrateSync(['--dry-run'], url);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`all ${MIGRATIONS.length} migrations run at the first start`));
    assert.equal(existsSync(url), false);
    const help = migrateSync(['--help'], url);
    assert.equal(help.status, 0);
    assert.ok(help.stdout.indexOf('Показать миграции') < help.stdout.indexOf('List the schema migrations'), 'Russian first, then English');
    const listing = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'help'], { encoding: 'utf8' });
    assert.match(listing.stdout, /^ {2}migrate \[--dry-run\]\s+применить миграции/m, 'listed by npm run bridge -- help');
    const bad = migrateSync(['--dryrun'], url);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown argument "--dryrun"; fix: did you mean "--dry-run"\?/);
    assert.equal(existsSync(url), false);
  } finally {
    await sqlite.dropAll();
  }
});
