/**
 * The fuzzer, bounded (npm run fuzz runs 50,000): a few thousand generated
 * malformed, oversized, wrongly typed, unauthenticated and replayed requests
 * against every public endpoint, on SQLite and PostgreSQL. No crash, no 5xx,
 * every refusal a coded 4xx, nothing stored for what was refused.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { runFuzz } from '../../fuzz/run-fuzz.ts';
import { buildBundle } from '../helpers/bundle.ts';
import { testEngines } from '../helpers/databases.ts';

const bundle = buildBundle();
after(() => rmSync(bundle.dir, { recursive: true, force: true }));

for (const engine of testEngines()) {
  describe(`fuzz, bounded (${engine.name})`, () => {
    after(() => engine.dropAll());
    test('3,000 requests: no crash, no 5xx, coded 4xx, nothing stored for refusals', { timeout: 240_000 }, async () => {
      const result = await runFuzz({ databaseUrl: await engine.createDatabase(), requests: 3_000, seed: 7, bundle: bundle.bridgeServer, concurrency: 16 });
      assert.deepEqual(result.violations.slice(0, 5), []);
      assert.equal(result.crashes, 0);
      assert.equal(result.fiveXX, 0);
      assert.equal(result.stored, 0);
      assert.ok(result.requests >= 3_000);
      for (const endpoint of ['max webhook', 'bitrix24 events', 'bitrix24 install', 'admin api', 'admin ui', 'doctor challenge', 'media', 'health', 'unknown routes']) {
        assert.ok((result.byEndpoint.get(endpoint)?.requests ?? 0) > 0, `${endpoint} was exercised`);
      }
    });
  });
}
