/**
 * The store on both engines: exactly-once intake under concurrent redelivery,
 * big ids kept intact, tokens encrypted at rest with compare-and-swap,
 * migrations idempotent, leases exclusive.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { SQLITE_CACHE_KIB } from '../../../src/store/db.ts';
import { MIGRATIONS } from '../../../src/store/migrations.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

async function runMigrateProcess(databaseUrl: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/integration/store/migrate-process.ts', databaseUrl], { timeout: 20_000 });
  return stdout;
}

for (const engine of testEngines()) {
  describe(`store (${engine.name})`, () => {
    let store: Store;
    let url: string;
    const clock = new ManualClock();

    before(async () => {
      url = await engine.createDatabase();
      store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock });
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });

    test('the same update recorded 5 times concurrently yields one event and one job', async () => {
      const raw = '{"update_type":"message_created","message":{"body":{"mid":"mid.abc","seq":116688673966208835}}}';
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          store.events.record({
            source: 'max:bot1', kind: 'message_created', dedupeKey: 'mid.abc', raw,
            jobs: [{ kind: 'deliver', conversationKey: 'conv-1', payload: { n: 1 } }],
          }),
        ),
      );
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      assert.equal(await store.events.count('max:bot1'), 1);
      const counts = await store.jobs.countByState();
      assert.equal(counts.pending, 1);
      const stored = await store.events.findByKey('max:bot1', 'mid.abc');
      assert.equal(stored?.raw, raw, 'raw text kept byte for byte, seq above 2^53 intact');
    });

    if (engine.name === 'sqlite') test('SQLite: the page cache is bounded to SQLITE_CACHE_KIB (better-sqlite3 would give each connection 16 MiB)', async () => {
      const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(store.db);
      assert.equal(rows[0]?.cache_size, -SQLITE_CACHE_KIB);
    });

    test('migrations are idempotent: reopening runs none', async () => {
      const again = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock });
      const rows = await again.db.selectFrom('schema_migrations').selectAll().execute();
      assert.equal(rows.length, MIGRATIONS.length);
      await again.close();
    });

    test('three processes starting at once on a fresh database migrate it exactly once', async () => {
      // Real processes: better-sqlite3 waits on busy_timeout synchronously, so
      // in-process connections would only block each other's event loop.
      const fresh = await engine.createDatabase();
      const outputs = await Promise.all([1, 2, 3].map(() => runMigrateProcess(fresh)));
      const applied = outputs.map((o) => Number(/applied (\d+)/.exec(o)?.[1] ?? NaN));
      assert.equal(applied.reduce((a, b) => a + b, 0), MIGRATIONS.length, `each migration applied once in all: ${outputs.join(' | ')}`);
      const again = await openStore({ databaseUrl: fresh, secretKey: TEST_SECRET_KEY, clock });
      try {
        const rows = await again.db.selectFrom('schema_migrations').select('id').orderBy('id').execute();
        assert.deepEqual(rows.map((r) => Number(r.id)), MIGRATIONS.map((m) => m.id).sort((a, b) => a - b));
      } finally {
        await again.close();
      }
    });

    test('tokens are encrypted at rest; replace is a compare-and-swap', async () => {
      const tokens = {
        portalId: 'p1', memberId: 'member-1', domain: 'example.bitrix24.ru', accessToken: 'ACCESS-SECRET-1',
        refreshToken: 'REFRESH-SECRET-1', expiresAtMs: clock.nowMs() + 3_600_000, clientEndpoint: 'https://example.bitrix24.ru/rest/',
        serverEndpoint: 'https://oauth.bitrix24.tech/rest/', applicationToken: 'APP-TOKEN-1',
      };
      await store.portals.upsertInstall(tokens, 'local.app');
      const row = await store.db.selectFrom('portals').selectAll().where('id', '=', 'p1').executeTakeFirstOrThrow();
      const rawRow = JSON.stringify(row);
      for (const secret of ['ACCESS-SECRET-1', 'REFRESH-SECRET-1', 'APP-TOKEN-1']) assert.ok(!rawRow.includes(secret));
      assert.equal((await store.portals.load('p1'))?.refreshToken, 'REFRESH-SECRET-1');
      const next = { ...tokens, accessToken: 'ACCESS-2', refreshToken: 'REFRESH-2' };
      assert.equal(await store.portals.replace(next, 'REFRESH-SECRET-1'), true);
      assert.equal(await store.portals.replace({ ...tokens, refreshToken: 'REFRESH-STALE' }, 'REFRESH-SECRET-1'), false);
      assert.equal((await store.portals.load('p1'))?.refreshToken, 'REFRESH-2');
    });

    test('a resource lease is exclusive until it expires, then taken over', async () => {
      assert.equal(await store.leases.acquire('portal:p1', 'worker-a', 10_000), true);
      assert.equal(await store.leases.acquire('portal:p1', 'worker-b', 10_000), false);
      assert.equal(await store.leases.acquire('portal:p1', 'worker-a', 10_000), true, 'renewal by the holder');
      await clock.advance(10_001);
      assert.equal(await store.leases.acquire('portal:p1', 'worker-b', 10_000), true);
      assert.equal(await store.leases.holderOf('portal:p1'), 'worker-b');
    });

    test('journal rows round-trip', async () => {
      await store.journal.write({ atMs: clock.nowMs(), side: 'max', direction: 'out', method: 'POST', endpoint: '/messages', status: 200, durationMs: 12.4, jobId: '7' });
      const [row] = await store.journal.recent(1);
      assert.equal(row?.endpoint, '/messages');
      assert.equal(row?.duration_ms, 12);
    });
  });
}
