/**
 * Opens the database: a SQLite file (default, zero setup) or PostgreSQL
 * (`postgres://…`), both through Kysely so that one set of repositories serves
 * both engines.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { startCheckpointer } from './sqlite-checkpointer.ts';

export type Engine = 'sqlite' | 'postgres';

/**
 * A transaction opened by `store.transaction(fn)` or handed to a job's "done" (OnComplete).
 * Outside src/store/ it is only passed on to repository methods: they run inside it, so
 * writes of several repositories commit together. No query is built with it elsewhere.
 */
export type StoreTransaction = Transaction<Database>;

/** The database itself or a transaction: a repository method that may run in a caller's transaction takes one. */
export type Queryable = Kysely<Database> | Transaction<Database>;

export interface OpenedDatabase {
  db: Kysely<Database>;
  engine: Engine;
  /** The SQLite connection itself (SQLite only), for the prepared hot path (sqlite-direct.ts). */
  sqlite?: BetterSqlite3.Database;
  close(): Promise<void>;
}

export function engineOf(databaseUrl: string): Engine {
  return /^postgres(ql)?:\/\//.test(databaseUrl) ? 'postgres' : 'sqlite';
}

/** Page cache per SQLite connection, KiB. */
export const SQLITE_CACHE_KIB = 2_000;

/** BIGINT (int8) comes back from pg as text; our BIGINT columns are ms times and ids below 2^53. */
const INT8_OID = 20;

export function openDatabase(databaseUrl: string, options: { poolSize?: number } = {}): OpenedDatabase {
  if (engineOf(databaseUrl) === 'postgres') {
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      types: { getTypeParser: ((oid: number, format?: string) => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as never },
    });
    // An idle connection the server drops (a PostgreSQL restart, an administrator's terminate)
    // is reported on the pool; unhandled it would crash the process. The pool replaces it, and
    // the next query that fails is retried by its job.
    pool.on('error', () => undefined);
    // A connection ended while checked out (a query in flight when the server terminated it)
    // emits 'error' on its client, where pg-pool listens only while the client is idle: the
    // query itself fails and its caller handles that; the event alone would crash the process.
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', close: () => db.destroy() };
  }
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  // busy_timeout first: even switching to WAL waits for another process's lock
  // (two processes opening a fresh file at once). WAL: readers do not block the writer.
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Deleted content is overwritten with zeros (cells, free space in pages, freed pages), so an
  // erased client's rows are not left readable in the file (docs/privacy.md, freed-space.ts).
  // Per connection: every connection that deletes (the bridge, the CLI commands) sets it.
  sqlite.pragma('secure_delete = ON');
  // SQLite's own default page cache (2 MiB); better-sqlite3 builds with 16 MiB, and with a
  // long history the bridge fills all of it (+14 MiB RSS at 100,000 stored messages). The hot
  // pages are the newest rows and the partial indexes; the OS page cache still holds the file.
  sqlite.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, STATEMENT_CACHE_SIZE) }) });
  // Checkpoints (copying the WAL into the file, with fsyncs) run on a worker thread, not in
  // the middle of a request's commit: they were the slowest 1 % of webhook answers.
  const checkpointer = file === ':memory:' ? null : startCheckpointer(sqlite, file);
  return {
    db, engine: 'sqlite', sqlite,
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/** How many prepared SQLite statements are kept (the bridge runs a few dozen distinct ones). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every query anew; the bridge sends the same
 * few dozen SQL texts thousands of times a second, and preparing was the
 * largest single cost of intake in a profile. Statements are kept by SQL text,
 * least recently used dropped first. Safe because better-sqlite3 runs a
 * statement to completion synchronously (`all`/`run`); the bridge never
 * streams (`iterate`), which would hold a statement open.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, size: number): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(source: string) {
      const hit = cache.get(source);
      if (hit) {
        cache.delete(source);
        cache.set(source, hit);
        return hit;
      }
      const statement = sqlite.prepare(source);
      cache.set(source, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value as string);
      return statement;
    },
  };
}
