/**
 * PortalRepo.markUninstalled on both engines: ONAPPUNINSTALL forgets the tokens and
 * refuses the old application token; an uninstall that is handled only after a
 * re-install (its job waited) leaves the new install alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PortalTokens } from '../../../src/domain/ports.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

for (const engine of testEngines()) {
  describe(`portal uninstall in the store (${engine.name})`, () => {
    let store: Store;
    const clock = new ManualClock();
    const install = (n: number): PortalTokens => ({
      portalId: 'p1', memberId: 'member-1', domain: 'example.bitrix24.ru', accessToken: `ACCESS-${n}`, refreshToken: `REFRESH-${n}`,
      expiresAtMs: clock.nowMs() + 3_600_000, clientEndpoint: 'https://example.bitrix24.ru/rest/', serverEndpoint: 'https://oauth.bitrix24.tech/rest/',
      applicationToken: `APP-TOKEN-${n}`,
    });

    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock });
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });

    test('an uninstalled portal has no tokens and its old application token no longer verifies events', async () => {
      await store.portals.upsertInstall(install(1), 'local.app');
      assert.equal(await store.portals.applicationToken('p1'), 'APP-TOKEN-1');
      assert.equal(await store.portals.markUninstalled('p1', 'APP-TOKEN-1'), true);
      assert.equal(await store.portals.load('p1'), null);
      assert.equal(await store.portals.applicationToken('p1'), null);
      const row = await store.db.selectFrom('portals').selectAll().where('id', '=', 'p1').executeTakeFirstOrThrow();
      assert.deepEqual([row.status, row.access_token_enc, row.refresh_token_enc], ['uninstalled', null, null]);
      // Re-install: new tokens, new application token, active again.
      await store.portals.upsertInstall(install(2), 'local.app');
      assert.equal((await store.portals.load('p1'))?.accessToken, 'ACCESS-2');
      assert.equal(await store.portals.applicationToken('p1'), 'APP-TOKEN-2');
    });

    test('an uninstall handled after the re-install (its job waited) leaves the new install alone', async () => {
      assert.equal(await store.portals.markUninstalled('p1', 'APP-TOKEN-1'), false);
      assert.equal((await store.portals.load('p1'))?.accessToken, 'ACCESS-2');
      assert.equal(await store.portals.applicationToken('p1'), 'APP-TOKEN-2');
    });
  });
}
