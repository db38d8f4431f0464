/**
 * Seals every stored secret again under the current BRIDGE_SECRET_KEY
 * (`npm run bridge -- rotate-key`, docs/operations.md "Rotating BRIDGE_SECRET_KEY").
 * The store's CryptoBox holds the ring: the current key and BRIDGE_SECRET_KEY_PREVIOUS.
 *
 * Safe beside running bridges: each row is updated in its own short transaction,
 * and each value only `WHERE` it still is the sealed text that was read. A token a
 * bridge refreshed in the meantime (portal-repo.ts `replace`) is newer than what
 * was read: the bridge's value is kept and counted as `changedMeanwhile` (a
 * bridge with the new key sealed it under that key already). Plaintext is the
 * same before and after; only its sealing changes.
 */
import type { Kysely } from 'kysely';
import { BridgeError } from '../domain/errors.ts';
import type { CryptoBox } from './crypto-box.ts';
import type { BotsTable, Database, PortalsTable } from './schema.ts';

/**
 * Every column that holds a sealed value. A new one belongs here: the rotation test
 * compares this list with the `*_enc` columns of src/store/schema.ts.
 */
export const SEALED_COLUMNS = {
  bots: ['token_enc', 'webhook_secret_enc'],
  portals: ['application_token_enc', 'access_token_enc', 'refresh_token_enc'],
} as const satisfies { bots: readonly (keyof BotsTable)[]; portals: readonly (keyof PortalsTable)[] };

export type SealedTable = keyof typeof SEALED_COLUMNS;

/** One value no key of the ring opens: where it is, never what it is. */
export interface RotationFailure {
  table: SealedTable;
  id: string;
  column: string;
  code: string;
}

export interface RotationReport {
  /** The key every value is sealed under afterwards, and the ring's ids (the current one first). */
  currentKeyId: string;
  keyIds: string[];
  /** Values sealed again under the current key (a dry run: that would be). */
  resealed: number;
  /** Values already under the current key, left as they are. */
  alreadyCurrent: number;
  /** Values a running bridge rewrote between the read and the update: its value was kept. */
  changedMeanwhile: number;
  failed: RotationFailure[];
  /** After the run, values not under the current key (v1 values included): 0 means BRIDGE_SECRET_KEY_PREVIOUS can go. */
  leftUnderOldKeys: number;
}

export interface RotationOptions {
  /** Count only; nothing is written. */
  dryRun?: boolean;
  /** Rows read at a time (default 500). */
  pageSize?: number;
  /** Runs just before a row's update: tests use it to write as a running bridge would. */
  beforeUpdate?: (row: { table: SealedTable; id: string }) => Promise<void>;
}

type SealedRow = { id: string } & Record<string, string | null>;
/**
 * The two tables seen loosely, so one loop walks both: their names and columns come from
 * SEALED_COLUMNS, which the `satisfies` above checks against the schema.
 */
type SealedTables = Record<SealedTable, SealedRow>;

interface PendingUpdate {
  column: string;
  from: string;
  to: string;
}

async function* rowsOf(db: Kysely<SealedTables>, table: SealedTable, pageSize: number): AsyncGenerator<SealedRow> {
  const columns = SEALED_COLUMNS[table];
  let after: string | null = null;
  for (;;) {
    let q = db.selectFrom(table).select(['id', ...columns]).orderBy('id').limit(pageSize);
    if (after !== null) q = q.where('id', '>', after);
    const page = (await q.execute()) as SealedRow[];
    for (const row of page) yield row;
    if (page.length < pageSize) return;
    after = (page.at(-1) as SealedRow).id;
  }
}

/** Re-seals what needs it; never throws for one value (it is reported), only when the store fails. */
export async function rotateSealedSecrets(store: { db: Kysely<Database>; box: CryptoBox }, options: RotationOptions = {}): Promise<RotationReport> {
  const { box } = store;
  const db = store.db as unknown as Kysely<SealedTables>;
  const pageSize = options.pageSize ?? 500;
  const report: RotationReport = {
    currentKeyId: box.currentKeyId, keyIds: box.keyIds, resealed: 0, alreadyCurrent: 0, changedMeanwhile: 0, failed: [], leftUnderOldKeys: 0,
  };
  for (const table of Object.keys(SEALED_COLUMNS) as SealedTable[]) {
    for await (const row of rowsOf(db, table, pageSize)) {
      const updates: PendingUpdate[] = [];
      for (const column of SEALED_COLUMNS[table]) {
        const sealed = row[column];
        if (sealed === null || sealed === undefined) continue;
        if (box.isCurrent(sealed)) {
          report.alreadyCurrent++;
          continue;
        }
        try {
          updates.push({ column, from: sealed, to: box.seal(box.open(sealed)) });
        } catch (err) {
          report.failed.push({ table, id: row.id, column, code: err instanceof BridgeError ? err.code : 'BRG_ERR_UNEXPECTED' });
        }
      }
      if (updates.length === 0) continue;
      if (options.dryRun) {
        report.resealed += updates.length;
        continue;
      }
      await options.beforeUpdate?.({ table, id: row.id });
      const written = await db.transaction().execute(async (trx) => {
        let n = 0;
        for (const u of updates) {
          // Only over the value that was read: a newer one (a refreshed token) wins.
          const res = await trx.updateTable(table).set({ [u.column]: u.to }).where('id', '=', row.id).where(u.column, '=', u.from).executeTakeFirst();
          n += Number(res.numUpdatedRows) > 0 ? 1 : 0;
        }
        return n;
      });
      report.resealed += written;
      report.changedMeanwhile += updates.length - written;
    }
  }
  report.leftUnderOldKeys = await countUnderOldKeys(db, box, pageSize);
  return report;
}

/** Values not sealed under the current key, judged by their key id (nothing is decrypted). */
async function countUnderOldKeys(db: Kysely<SealedTables>, box: CryptoBox, pageSize: number): Promise<number> {
  let n = 0;
  for (const table of Object.keys(SEALED_COLUMNS) as SealedTable[]) {
    for await (const row of rowsOf(db, table, pageSize)) {
      for (const column of SEALED_COLUMNS[table]) {
        const sealed = row[column];
        if (sealed !== null && sealed !== undefined && !box.isCurrent(sealed)) n++;
      }
    }
  }
  return n;
}
