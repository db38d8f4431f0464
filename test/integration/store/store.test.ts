/**
 * The store on both engines: exactly-once intake under concurrent redelivery,
 * big ids kept intact, tokens encrypted at rest with compare-and-swap,
 * migrations idempotent, leases exclusive.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

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

    test('migrations are idempotent: reopening runs none', async () => {
      const again = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock });
      const rows = await again.db.selectFrom('schema_migrations').selectAll().execute();
      assert.equal(rows.length, 2);
      await again.close();
    });

    test('three processes starting at once on a fresh database migrate it exactly once', async () => {
      // Separate connections (a pool each on PostgreSQL, a file handle each on SQLite),
      // as three bridge processes starting together would have.
      const fresh = await engine.createDatabase();
      const stores = await Promise.all([1, 2, 3].map(() => openStore({ databaseUrl: fresh, secretKey: TEST_SECRET_KEY, clock })));
      try {
        const rows = await stores[0]!.db.selectFrom('schema_migrations').select('id').orderBy('id').execute();
        assert.deepEqual(rows.map((r) => Number(r.id)), [1, 2]);
        await stores[1]!.jobs.enqueue({ kind: 'k', conversationKey: 'c', payload: {} });
        assert.equal((await stores[2]!.jobs.countByState()).pending, 1, 'all three see one schema');
      } finally {
        await Promise.all(stores.map((s) => s.close()));
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
