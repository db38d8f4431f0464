/**
 * Both storage engines for integration tests.
 *
 *   for (const engine of testEngines()) {
 *     describe(`thing (${engine.name})`, () => {
 *       let url: string;
 *       before(async () => { url = await engine.createDatabase(); });
 *       after(() => engine.dropAll());
 *       ...
 *     });
 *   }
 *
 * SQLite: a fresh file in a temp directory per call. PostgreSQL: a fresh
 * database per call on the server named by TEST_DATABASE_URL (an admin URL,
 * set by `npm test`), dropped by dropAll(). Without TEST_DATABASE_URL the
 * PostgreSQL engine is left out only when TEST_SKIP_POSTGRES=1; otherwise
 * the suite fails loudly, naming the fix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestEngine {
  name: 'sqlite' | 'postgres';
  /** Returns a DATABASE_URL for a new, empty database. */
  createDatabase(): Promise<string>;
  /** Removes every database this engine created. */
  dropAll(): Promise<void>;
}

export function sqliteEngine(): TestEngine {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    async createDatabase() {
      const dir = mkdtempSync(join(tmpdir(), 'bridge-sqlite-'));
      dirs.push(dir);
      return join(dir, 'bridge.sqlite');
    },
    async dropAll() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresEngine(adminUrl: string): TestEngine {
  const names: string[] = [];
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgres',
    async createDatabase() {
      const name = `bridge_test_${randomBytes(6).toString('hex')}`;
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      names.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async dropAll() {
      const list = names.splice(0);
      if (list.length === 0) return;
      await admin(async (c) => {
        for (const name of list) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

export function testEngines(): TestEngine[] {
  const engines = [sqliteEngine()];
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) engines.push(postgresEngine(adminUrl));
  else if (process.env.TEST_SKIP_POSTGRES !== '1') {
    throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test` (it starts PostgreSQL), or set TEST_SKIP_POSTGRES=1');
  }
  return engines;
}

export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdef';
