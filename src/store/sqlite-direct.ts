/**
 * The SQLite hot path without the query builder: prepared statements run
 * synchronously in one transaction, for the writes every request makes
 * (webhook intake, the journal). Kysely compiling a multi-row insert cost more
 * than SQLite executing it; a prepared single-row insert run N times in one
 * transaction costs a few microseconds a row.
 *
 * It holds Kysely's connection while it runs, so it never lands inside a
 * transaction Kysely has open on the same (single) SQLite connection: Kysely's
 * SQLite driver hands the connection to one user at a time.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { GroupWriter } from './group-writer.ts';
import type { Database } from './schema.ts';

/** Most pieces of work one shared transaction takes. */
const GROUP_MAX = 512;

export class SqliteDirect {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly group = new GroupWriter<() => unknown, unknown>(
    (works) => this.transaction(() => works.map((work) => work())),
    (work) => this.transaction(work),
    GROUP_MAX,
  );

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite: BetterSqlite3.Database,
  ) {}

  /** A prepared statement, kept for the life of the connection. */
  statement(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Group commit across repositories: work queued in the same turn of the
   * event loop, or while the previous group was being written (the events of
   * many webhooks, their jobs, the journal rows of earlier answers), runs in ONE
   * transaction — one commit for all. Each caller is answered after that commit.
   * If the group fails, each piece runs again alone, so one bad piece fails only
   * its own caller. `work` must be synchronous and only write through this
   * connection.
   */
  run<T>(work: () => T): Promise<T> {
    return this.group.write(work) as Promise<T>;
  }

  /** Runs `work` in one SQLite transaction (all or nothing), holding the connection. */
  transaction<T>(work: () => T): Promise<T> {
    return this.db.connection().execute(async () => {
      if (this.sqlite.inTransaction) throw new Error('SqliteDirect: a transaction is already open on the connection');
      return this.sqlite.transaction(work)();
    });
  }
}
