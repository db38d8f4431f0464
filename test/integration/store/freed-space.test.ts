/**
 * PostgreSQL: VACUUM FULL after an erasure copies a deleted row while a transaction begun
 * before the delete may still see it, so the bytes stay in the table's file. scrubFreedSpace
 * waits for such transactions first (src/store/freed-space.ts). Found by the erasure e2e test
 * failing once in CI, with the bridge's own job claims running beside the erasure on a loaded
 * machine; shown here with a transaction held open on purpose, the raw file read back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type OpenedDatabase } from '../../../src/store/db.ts';
import { scrubFreedSpace } from '../../../src/store/freed-space.ts';
import type { Database } from '../../../src/store/schema.ts';
import { testEngines } from '../../helpers/databases.ts';

const postgres = testEngines().find((e) => e.name === 'postgres');
const NEEDLE_A = 'Евлампия-стёртая-7f3a';
const NEEDLE_B = 'Борис-оставленный-91c2';
/** Not a table of the schema: scrubFreedSpace takes the schema's names; this one is the test's own. */
const PROBE = 'freed_space_probe' as keyof Database;

describe('freed space after an erasure on PostgreSQL: snapshots older than the delete', { skip: postgres ? false : 'no PostgreSQL (TEST_SKIP_POSTGRES)' }, () => {
  let opened: OpenedDatabase;
  let url: string;

  before(async () => {
    url = await postgres!.createDatabase();
    opened = openDatabase(url);
  });
  after(async () => {
    await opened?.close();
    await postgres!.dropAll();
  });

  async function seed(): Promise<void> {
    await sql`drop table if exists freed_space_probe`.execute(opened.db);
    await sql`create table freed_space_probe (id int primary key, note text)`.execute(opened.db);
    await sql`insert into freed_space_probe values (1, ${NEEDLE_A}), (2, ${NEEDLE_B})`.execute(opened.db);
  }
  /** The table's heap file as the server has it on disk. */
  async function fileText(): Promise<string> {
    await sql`checkpoint`.execute(opened.db);
    const path = (await sql<{ path: string }>`select pg_relation_filepath('freed_space_probe') as path`.execute(opened.db)).rows[0]!.path;
    const bytes = (await sql<{ b: Buffer }>`select pg_read_binary_file(${path}) as b`.execute(opened.db)).rows[0]!.b;
    return bytes.toString('utf8');
  }
  /**
   * Another session with a repeatable-read snapshot taken now, before the delete. It reads no
   * table, so it holds no lock VACUUM FULL would wait on: only its snapshot is in the way.
   */
  async function olderSnapshot(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('begin isolation level repeatable read');
    await client.query('select 1');
    return client;
  }

  /**
   * A write under way in another database of the same server, begun before the delete: it holds
   * a transaction id, so every snapshot taken meanwhile (VACUUM's own too) reaches back past it.
   */
  async function writeInAnotherDatabase(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: await postgres!.createDatabase() });
    await client.connect();
    await client.query('create table elsewhere (id int)');
    await client.query('begin');
    await client.query('insert into elsewhere values (1)');
    return client;
  }

  test('VACUUM waits for a transaction begun before the delete; then the deleted row is gone from the file', async () => {
    await seed();
    const reader = await olderSnapshot();
    await sql`delete from freed_space_probe where id = 1`.execute(opened.db);
    const startedMs = Date.now();
    const scrubbing = scrubFreedSpace(opened.db, 'postgres', [PROBE], 'full');
    await new Promise((r) => setTimeout(r, 700));
    await reader.query('commit');
    await reader.end();
    const report = await scrubbing;
    assert.ok(Date.now() - startedMs >= 650, 'VACUUM waited for the older transaction');
    assert.equal(report.olderSnapshots, 0);
    assert.deepEqual(report.vacuumed, [PROBE]);
    const text = await fileText();
    assert.ok(!text.includes(NEEDLE_A), 'the deleted row is gone from the heap file');
    assert.ok(text.includes(NEEDLE_B), 'the kept row is there (the file read is the table\'s)');
  });

  test('a transaction that outlives the wait is reported: the row stays in the file until a run after it ends', async () => {
    await seed();
    const reader = await olderSnapshot();
    await sql`delete from freed_space_probe where id = 1`.execute(opened.db);
    const report = await scrubFreedSpace(opened.db, 'postgres', [PROBE], 'full', 300);
    // At least ours: a write of another test file, begun before the delete, may be counted too.
    assert.ok(report.olderSnapshots! >= 1, 'the open transaction is named');
    assert.ok((await fileText()).includes(NEEDLE_A), 'VACUUM FULL kept the row for the older snapshot: why the wait exists');
    await reader.query('commit');
    await reader.end();
    // The default wait: other test files write to their databases on this server meanwhile.
    const again = await scrubFreedSpace(opened.db, 'postgres', [PROBE], 'full');
    assert.equal(again.olderSnapshots, 0);
    assert.ok(!(await fileText()).includes(NEEDLE_A), 'gone once it ended');
  });

  test('a write under way in another database keeps the row too: it is waited for, reported, and the row goes once it ends', async () => {
    await seed();
    const writer = await writeInAnotherDatabase();
    try {
      await sql`delete from freed_space_probe where id = 1`.execute(opened.db);
      const report = await scrubFreedSpace(opened.db, 'postgres', [PROBE], 'full', 300);
      assert.ok(report.olderSnapshots! >= 1, 'the other database\'s write is named');
      assert.ok((await fileText()).includes(NEEDLE_A), 'VACUUM FULL kept the row while the write ran: why it is waited for');
    } finally {
      await writer.query('commit');
      await writer.end();
    }
    // The default wait: other test files write to their databases on this server meanwhile.
    const again = await scrubFreedSpace(opened.db, 'postgres', [PROBE], 'full');
    assert.equal(again.olderSnapshots, 0);
    assert.ok(!(await fileText()).includes(NEEDLE_A), 'gone once it ended');
  });
});
