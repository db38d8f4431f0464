/**
 * SQLite's hot path: webhook events and journal rows written together in one
 * shared transaction with prepared statements (sqlite-direct.ts), and WAL
 * checkpoints on a worker thread (sqlite-checkpointer.ts). Real files.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from '../../../src/store/db.ts';
import { migrate } from '../../../src/store/migrations.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { SqliteDirect } from '../../../src/store/sqlite-direct.ts';
import { CHECKPOINT_INTERVAL_MS } from '../../../src/store/sqlite-checkpointer.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { systemClock } from '../../../src/domain/clock.ts';

const sqlite = testEngines().find((e) => e.name === 'sqlite');
if (!sqlite) throw new Error('the SQLite engine is always there');

function event(n: number, jobs = 1) {
  return {
    source: 'max:b1', kind: 'message_created', dedupeKey: `mid.${n}`, raw: JSON.stringify({ n, text: 'x'.repeat(200) }),
    jobs: Array.from({ length: jobs }, (_, i) => ({ kind: 'max.update', conversationKey: `max:b1:${n % 7}`, payload: { botId: 'b1', i } })),
  };
}

/** A fresh migrated SQLite file, its connection and the hot path on it; removed after the test. */
async function openMigrated(t: TestContext) {
  const url = await sqlite!.createDatabase();
  t.after(() => sqlite!.dropAll());
  const opened = openDatabase(url);
  t.after(() => opened.close());
  await migrate(opened.db, opened.engine, 0);
  return { url, opened, direct: new SqliteDirect(opened.db, opened.sqlite as BetterSqlite3.Database) };
}

const insertMeta = (direct: SqliteDirect, key: string) => () => direct.statement('INSERT INTO bridge_meta (key, value, updated_at_ms) VALUES (?, ?, 0)').run(key, 'v');

describe('SQLite hot path', () => {
  test('events, jobs and journal rows written at once share one commit; ids follow the callers; duplicates create nothing', async (t) => {
    const url = await sqlite.createDatabase();
    t.after(() => sqlite.dropAll());
    const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
    t.after(() => store.close());
    const results = await Promise.all([
      ...Array.from({ length: 40 }, (_, n) => store.events.record(event(n, 2))),
      store.events.record(event(3)), // the same key as n = 3 in this very group
      ...Array.from({ length: 5 }, (_, n) => store.journal.write({ atMs: 1, side: 'max', direction: 'in', method: 'POST', endpoint: '/x', status: 200, durationMs: 1, messageId: `j${n}` })),
    ]);
    const recorded = results.slice(0, 41) as Array<{ duplicate: boolean; eventId: number | null; jobIds: number[] }>;
    assert.equal(recorded.filter((r) => !r.duplicate).length, 40);
    assert.equal(recorded[40]?.duplicate, true, 'a second event with a key already in the group is a duplicate');
    assert.deepEqual(recorded[40]?.jobIds, []);
    const eventIds = recorded.slice(0, 40).map((r) => r.eventId as number);
    assert.deepEqual(eventIds, [...eventIds].sort((a, b) => a - b), 'event ids grow in the callers\' order');
    const jobIds = recorded.slice(0, 40).flatMap((r) => r.jobIds);
    assert.equal(new Set(jobIds).size, 80);
    assert.deepEqual(jobIds, [...jobIds].sort((a, b) => a - b), 'job ids grow in the callers\' order');
    assert.equal(await store.events.count('max:b1'), 40);
    const jobs = await store.db.selectFrom('jobs').select(['id', 'event_id', 'payload', 'state', 'attempts']).orderBy('id').execute();
    assert.equal(jobs.length, 80);
    assert.deepEqual(jobs.map((j) => [j.event_id, JSON.parse(j.payload).i, j.state, j.attempts]).slice(0, 2), [[eventIds[0], 0, 'pending', 0], [eventIds[0], 1, 'pending', 0]]);
    assert.equal((await store.journal.recent(10)).length, 5);
    // A redelivery later: nothing new.
    const again = await store.events.record(event(7));
    assert.equal(again.duplicate, true);
    assert.equal(await store.events.count('max:b1'), 40);
  });

  test('a piece of work that fails fails alone; the rest of its group is written', async (t) => {
    const { opened, direct } = await openMigrated(t);
    const settled = await Promise.allSettled([direct.run(insertMeta(direct, 'a')), direct.run(insertMeta(direct, 'a')), direct.run(insertMeta(direct, 'b'))]);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    const keys = await opened.db.selectFrom('bridge_meta').select('key').execute();
    assert.deepEqual(keys.map((k) => k.key).filter((k) => k === 'a' || k === 'b').sort(), ['a', 'b']);
  });

  test('never runs inside a transaction the query builder has open: it waits for the connection', async (t) => {
    const { opened, direct } = await openMigrated(t);
    let directDone = false;
    const rolledBack = opened.db.transaction().execute(async (trx) => {
      await trx.insertInto('bridge_meta').values({ key: 'in-trx', value: 'v', updated_at_ms: 0 }).execute();
      const pending = direct.run(insertMeta(direct, 'direct'));
      void pending.then(() => { directDone = true; });
      await sleep(20);
      assert.equal(directDone, false, 'the direct write waits while the transaction is open');
      throw new Error('roll back');
    });
    await assert.rejects(rolledBack, /roll back/);
    await sleep(20);
    assert.equal(directDone, true);
    const keys = (await opened.db.selectFrom('bridge_meta').select('key').execute()).map((k) => k.key);
    assert.ok(keys.includes('direct'), 'the direct write is committed on its own');
    assert.ok(!keys.includes('in-trx'), 'the rolled-back transaction took nothing of it along');
  });

  test('WAL checkpoints happen on the worker: the database file grows while the connection never checkpoints itself', async (t) => {
    const { url, opened } = await openMigrated(t);
    const main = opened.sqlite as BetterSqlite3.Database;
    assert.equal(main.pragma('wal_autocheckpoint', { simple: true }), 0, 'automatic checkpoints are off on the connection');
    const before = statSync(url).size;
    const insert = main.prepare('INSERT INTO journal (at_ms, side, direction, method, endpoint, duration_ms, request_body) VALUES (0, ?, ?, ?, ?, 0, ?)');
    main.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run('max', 'in', 'POST', '/x', 'y'.repeat(1000));
    })();
    const grownBy = 1_500_000;
    const deadline = Date.now() + 40 * CHECKPOINT_INTERVAL_MS;
    while (statSync(url).size < before + grownBy && Date.now() < deadline) await sleep(CHECKPOINT_INTERVAL_MS / 2);
    // Only a checkpoint writes pages into the database file itself; the commit went to the WAL.
    assert.ok(statSync(url).size >= before + grownBy, `database file ${statSync(url).size} bytes, was ${before}`);
  });
});
