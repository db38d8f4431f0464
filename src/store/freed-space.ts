/**
 * After an erasure: what the engines keep of deleted rows, and how the bridge removes it
 * (docs/privacy.md, "Erasing one client"). Measured by test/e2e/erasure.test.ts, which reads
 * the raw files.
 *
 * SQLite. `PRAGMA secure_delete = ON` (db.ts, every connection) overwrites deleted content
 * with zeros — cells, free space inside pages, freed pages — in the transaction that deletes.
 * The old page images are still in the WAL until a checkpoint copies the new pages into the
 * file and the WAL is truncated: `wal_checkpoint(TRUNCATE)`, retried while another connection
 * (the running bridge, its checkpoint worker) holds it. `vacuum: 'full'` also rewrites the
 * whole file (VACUUM): needed only for rows deleted before secure_delete was on (a database
 * older than this version: what retention purges left in free pages); it holds the write lock
 * for the length of the copy and needs free disk space the size of the file.
 *
 * PostgreSQL. DELETE leaves the tuple in its page; a plain VACUUM makes the space reusable
 * but leaves the bytes where no live tuple was moved over them: measured on PostgreSQL 15, a
 * deleted row that was the last one in its page, and TOAST chunks anywhere but the end of
 * the TOAST table, were still in the files after VACUUM. `VACUUM FULL` writes each table
 * (with its TOAST table and indexes) into new files and drops the old ones; it holds an
 * ACCESS EXCLUSIVE lock on the table while it copies (intake and job claims wait). It copies
 * a deleted row too while a transaction begun before the delete may still see it (found with
 * the bridge's own job claims running beside the erasure on a loaded machine): so VACUUM waits
 * first, up to SNAPSHOT_WAIT_MS, until no other session of this database holds a snapshot
 * taken before the erasure committed, and reports the sessions it gave up on. What
 * PostgreSQL keeps elsewhere — WAL segments until recycled, archives, replicas, backups — is
 * outside the bridge's reach.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Engine } from './db.ts';
import type { Database } from './schema.ts';

/** `full`: VACUUM FULL on PostgreSQL, VACUUM of the whole file on SQLite; `plain`: VACUUM on PostgreSQL, the checkpoint alone on SQLite. */
export type VacuumMode = 'full' | 'plain';

/** Default per engine: what the deleted bytes need to be gone from the files (see above). */
export function defaultVacuumMode(engine: Engine): VacuumMode {
  return engine === 'postgres' ? 'full' : 'plain';
}

export interface FreedSpaceReport {
  vacuum: VacuumMode;
  /** Tables vacuumed (PostgreSQL), or ['*'] for a VACUUM of the whole SQLite file. */
  vacuumed: string[];
  /** SQLite: the WAL was checkpointed and truncated to zero bytes; false when it stayed busy (run the erasure again later). */
  walTruncated?: boolean;
  /**
   * PostgreSQL: sessions still holding a snapshot from before the erasure when VACUUM ran (it may
   * have copied the deleted rows for them; run the erasure again later). 0 when none.
   */
  olderSnapshots?: number;
}

/** PostgreSQL: how long VACUUM waits for snapshots older than the erasure to go. */
export const SNAPSHOT_WAIT_MS = 30_000;
const SNAPSHOT_POLL_MS = 100;

/**
 * PostgreSQL: waits until no transaction begun before now can make VACUUM keep the rows just
 * deleted; the number left after `waitMs`. Two kinds count:
 * - a client session of this database holding a snapshot (it may still see the rows);
 * - a transaction anywhere on the server holding a transaction id (a write under way, in any
 *   database): every snapshot taken while it runs, VACUUM's own included, has an xmin no newer
 *   than its id, and VACUUM keeps what was deleted after that. Seen in CI, where other test
 *   files write to other databases of the same server; in production, another application's
 *   database on a shared server.
 * Sessions of other roles show neither here (without pg_read_all_stats) and are not waited for.
 */
async function waitForOlderSnapshots(db: Kysely<Database>, waitMs: number): Promise<number> {
  const since = (await sql<{ at: Date }>`select clock_timestamp() as at`.execute(db)).rows[0]!.at;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const row = (await sql<{ n: string | number }>`
      select count(*) as n from pg_stat_activity
      where pid <> pg_backend_pid() and xact_start < ${since}
        and ((datname = current_database() and backend_type = 'client backend' and backend_xmin is not null)
          or backend_xid is not null)`.execute(db)).rows[0];
    const left = Number(row?.n ?? 0);
    if (left === 0 || Date.now() >= deadline) return left;
    await sleep(SNAPSHOT_POLL_MS);
  }
}

/** Tries of the TRUNCATE checkpoint; each waits up to busy_timeout (5 s) for the other connections. */
const CHECKPOINT_TRIES = 5;
const CHECKPOINT_PAUSE_MS = 200;

async function truncateWal(db: Kysely<Database>): Promise<boolean> {
  for (let attempt = 1; attempt <= CHECKPOINT_TRIES; attempt++) {
    const rows = (await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(db)).rows;
    if (Number(rows[0]?.busy ?? 1) === 0) return true;
    await sleep(CHECKPOINT_PAUSE_MS * attempt);
  }
  return false;
}

/** Removes what the engine keeps of the rows just deleted from `tables` (fixed names of the schema). */
export async function scrubFreedSpace(
  db: Kysely<Database>, engine: Engine, tables: ReadonlyArray<keyof Database>, mode: VacuumMode, snapshotWaitMs = SNAPSHOT_WAIT_MS,
): Promise<FreedSpaceReport> {
  if (engine === 'sqlite') {
    if (mode === 'full') await sql`vacuum`.execute(db);
    return { vacuum: mode, vacuumed: mode === 'full' ? ['*'] : [], walTruncated: await truncateWal(db) };
  }
  const olderSnapshots = await waitForOlderSnapshots(db, snapshotWaitMs);
  // VACUUM cannot run inside a transaction: each statement runs alone on a pooled connection.
  for (const table of tables) {
    if (mode === 'full') await sql`vacuum (full) ${sql.table(table)}`.execute(db);
    else await sql`vacuum ${sql.table(table)}`.execute(db);
  }
  return { vacuum: mode, vacuumed: [...tables], olderSnapshots };
}

/** PostgreSQL: each table's size with its TOAST and indexes (what VACUUM FULL rewrites and locks meanwhile); SQLite: none. */
export async function tableSizes(db: Kysely<Database>, engine: Engine, tables: ReadonlyArray<keyof Database>): Promise<Array<{ table: string; bytes: number }>> {
  if (engine !== 'postgres' || tables.length === 0) return [];
  const out: Array<{ table: string; bytes: number }> = [];
  for (const table of tables) {
    const row = (await sql<{ bytes: string | number }>`select pg_total_relation_size(${table}::regclass) as bytes`.execute(db)).rows[0];
    out.push({ table, bytes: Number(row?.bytes ?? 0) });
  }
  return out;
}
