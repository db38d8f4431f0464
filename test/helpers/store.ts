/**
 * A store on a fresh database of one engine for a describe block: opened
 * before its tests, closed and dropped after them.
 *
 *   const store = storeFor(engine);   // inside describe(); store() in tests
 */
import { after, before } from 'node:test';
import type { Clock } from '../../src/domain/clock.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { TEST_SECRET_KEY, type TestEngine } from './databases.ts';
import { teardown } from './teardown.ts';

export function storeFor(engine: TestEngine, clock: Clock = systemClock): () => Store {
  let store: Store | null = null;
  before(async () => {
    store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock });
  });
  after(() => teardown([
    ['the store closes', () => store?.close()],
    [`the ${engine.name} databases are dropped`, () => engine.dropAll()],
  ]));
  return () => {
    if (!store) throw new Error('storeFor: the store is opened in before()');
    return store;
  };
}
