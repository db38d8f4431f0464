/**
 * rotateSealedSecrets (`rotate-key`) on both engines: every sealed column of bots and
 * portals, written under key A (v2, and v1 as older versions wrote), is sealed again
 * under key B with the same plaintext; a second run has nothing to do; a token a running
 * bridge rewrites during the run is kept, not overwritten; a dry run changes nothing; a
 * value no key opens is reported, not lost.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { systemClock } from '../../../src/domain/clock.ts';
import { parseBotId } from '../../../src/domain/ids.ts';
import type { PortalTokens } from '../../../src/domain/ports.ts';
import { CryptoBox, SECRET_KEY_MISMATCH } from '../../../src/store/crypto-box.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { rotateSealedSecrets, SEALED_COLUMNS } from '../../../src/store/secret-rotation.ts';
import { testEngines } from '../../helpers/databases.ts';
import { sealV1 } from '../../helpers/sealed-v1.ts';

const KEY_A = 'old-secret-key-AAAA-0123456789abcdef';
const KEY_B = 'new-secret-key-BBBB-0123456789abcdef';
const KEY_C = 'lost-secret-key-CCCC-0123456789abcd';

const tokens = (portalId: string, n: number): PortalTokens => ({
  portalId, memberId: `member-${portalId}`, domain: `${portalId}.bitrix24.ru`, accessToken: `ACCESS-${portalId}-${n}`, refreshToken: `REFRESH-${portalId}-${n}`,
  expiresAtMs: 1_900_000_000_000 + n, clientEndpoint: `https://${portalId}.bitrix24.ru/rest/`, serverEndpoint: 'https://oauth.bitrix24.tech/rest/',
  applicationToken: `APP-${portalId}-${n}`,
});

/** Every sealed column of every row: `table id column` → sealed text (or null). */
async function sealedValues(store: Store): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (const row of await store.db.selectFrom('bots').select(['id', 'token_enc', 'webhook_secret_enc']).execute()) {
    out.set(`bots ${row.id} token_enc`, row.token_enc);
    out.set(`bots ${row.id} webhook_secret_enc`, row.webhook_secret_enc);
  }
  for (const row of await store.db.selectFrom('portals').select(['id', 'application_token_enc', 'access_token_enc', 'refresh_token_enc']).execute()) {
    out.set(`portals ${row.id} application_token_enc`, row.application_token_enc);
    out.set(`portals ${row.id} access_token_enc`, row.access_token_enc);
    out.set(`portals ${row.id} refresh_token_enc`, row.refresh_token_enc);
  }
  return out;
}

/** The plaintexts, opened with `box`. */
async function plaintexts(store: Store, box: CryptoBox): Promise<Map<string, string | null>> {
  return new Map([...(await sealedValues(store))].map(([where, sealed]) => [where, sealed === null ? null : box.open(sealed)]));
}

/** What key A wrote, as a bridge before the rotation did: 7 sealed values, one of them v1, and nulls. */
const WRITTEN = new Map<string, string | null>([
  ['bots sales token_enc', 'BOT-TOKEN-sales'], ['bots sales webhook_secret_enc', null],
  ['bots shop token_enc', 'BOT-TOKEN-shop'], ['bots shop webhook_secret_enc', 'WEBHOOK-SECRET-shop'],
  ['portals p1 application_token_enc', 'APP-p1-1'], ['portals p1 access_token_enc', 'ACCESS-p1-1'], ['portals p1 refresh_token_enc', 'REFRESH-p1-1'],
  ['portals p2 application_token_enc', 'APP-p2-1'], ['portals p2 access_token_enc', null], ['portals p2 refresh_token_enc', null],
]);

for (const engine of testEngines()) {
  describe(`rotate-key in the store (${engine.name})`, () => {
    const opened: Store[] = [];
    const open = async (url: string, secretKey: string, previousSecretKeys?: string[]) => {
      const store = await openStore({ databaseUrl: url, secretKey, previousSecretKeys, clock: systemClock });
      opened.push(store);
      return store;
    };
    after(async () => {
      for (const store of opened) await store.close();
      await engine.dropAll();
    });

    /** A fresh database as a bridge on key A left it: two bots, an installed portal and an uninstalled one. */
    async function seededUnderA(): Promise<string> {
      const url = await engine.createDatabase();
      const a = await open(url, KEY_A);
      await a.bots.ensurePolling({ id: parseBotId('shop'), name: 'Магазин', token: 'BOT-TOKEN-shop' });
      await a.bots.ensurePolling({ id: parseBotId('sales'), name: 'Продажи', token: 'BOT-TOKEN-sales' });
      // No repository writes it today; a v1 value as an older version would have left it.
      await a.db.updateTable('bots').set({ webhook_secret_enc: sealV1(KEY_A, 'WEBHOOK-SECRET-shop') }).where('id', '=', 'shop').execute();
      await a.portals.upsertInstall(tokens('p1', 1), 'local.app');
      await a.portals.upsertInstall(tokens('p2', 1), 'local.app');
      assert.equal(await a.portals.markUninstalled('p2', 'APP-p2-1'), true);
      assert.deepEqual(await plaintexts(a, a.box), WRITTEN);
      return url;
    }

    test('every value is sealed again under B with the same plaintext; B alone opens them all; a second run re-encrypts 0', async () => {
      const url = await seededUnderA();
      const ring = await open(url, KEY_B, [KEY_A]);
      const report = await rotateSealedSecrets(ring);
      assert.deepEqual({ ...report, keyIds: undefined }, {
        currentKeyId: new CryptoBox(KEY_B).currentKeyId, keyIds: undefined, resealed: 7, alreadyCurrent: 0, changedMeanwhile: 0, failed: [], leftUnderOldKeys: 0,
      });
      assert.deepEqual(report.keyIds, [new CryptoBox(KEY_B).currentKeyId, new CryptoBox(KEY_A).currentKeyId]);
      const b = await open(url, KEY_B);
      assert.deepEqual(await plaintexts(b, b.box), WRITTEN, 'B alone opens every value, unchanged');
      for (const [where, sealed] of await sealedValues(b)) if (sealed !== null) assert.ok(b.box.isCurrent(sealed), `${where} is under B`);
      assert.deepEqual(await b.portals.load('p1'), tokens('p1', 1), 'the repository reads them with B alone');
      const a = await open(url, KEY_A);
      await assert.rejects(a.portals.load('p1'), (err: { code?: string }) => err.code === SECRET_KEY_MISMATCH, 'A alone no longer opens them');
      const again = await rotateSealedSecrets(ring);
      assert.equal(again.resealed, 0);
      assert.equal(again.alreadyCurrent, 7);
      assert.equal(again.leftUnderOldKeys, 0);
    });

    test('a token a running bridge (with both keys) refreshes during the run is kept, not overwritten with the old one', async () => {
      const url = await seededUnderA();
      const ring = await open(url, KEY_B, [KEY_A]);
      const bridge = await open(url, KEY_B, [KEY_A]);
      const report = await rotateSealedSecrets(ring, {
        beforeUpdate: async ({ table, id }) => {
          if (table === 'portals' && id === 'p1') assert.equal(await bridge.portals.replace(tokens('p1', 2), 'REFRESH-p1-1'), true);
        },
      });
      assert.equal(report.changedMeanwhile, 2, 'access and refresh token were the bridge\'s');
      assert.equal(report.resealed, 5);
      assert.equal(report.leftUnderOldKeys, 0, 'the bridge sealed its tokens under B already');
      const b = await open(url, KEY_B);
      const p1 = await b.portals.load('p1');
      assert.equal(p1?.accessToken, 'ACCESS-p1-2');
      assert.equal(p1?.refreshToken, 'REFRESH-p1-2');
      assert.equal(p1?.applicationToken, 'APP-p1-1');
    });

    test('a process on the old key alone writing during the run: its value is kept and reported left under old keys, until a second run', async () => {
      const url = await seededUnderA();
      const ring = await open(url, KEY_B, [KEY_A]);
      const oldProcess = await open(url, KEY_A);
      const report = await rotateSealedSecrets(ring, {
        beforeUpdate: async ({ table, id }) => {
          if (table === 'portals' && id === 'p1') assert.equal(await oldProcess.portals.replace(tokens('p1', 3), 'REFRESH-p1-1'), true);
        },
      });
      assert.equal(report.changedMeanwhile, 2);
      assert.equal(report.leftUnderOldKeys, 2);
      const second = await rotateSealedSecrets(ring);
      assert.equal(second.resealed, 2);
      assert.equal(second.leftUnderOldKeys, 0);
      const b = await open(url, KEY_B);
      assert.equal((await b.portals.load('p1'))?.accessToken, 'ACCESS-p1-3');
    });

    test('--dry-run counts and changes nothing', async () => {
      const url = await seededUnderA();
      const ring = await open(url, KEY_B, [KEY_A]);
      const before = await sealedValues(ring);
      const report = await rotateSealedSecrets(ring, { dryRun: true });
      assert.equal(report.resealed, 7);
      assert.equal(report.alreadyCurrent, 0);
      assert.equal(report.leftUnderOldKeys, 7);
      assert.deepEqual(await sealedValues(ring), before, 'not one value changed');
    });

    test('a value no key of the ring opens is reported (where, with its code) and left as it is; the rest is rotated', async () => {
      const url = await seededUnderA();
      const lost = new CryptoBox(KEY_C).seal('BOT-TOKEN-lost');
      const ring = await open(url, KEY_B, [KEY_A]);
      await ring.db.updateTable('bots').set({ token_enc: lost }).where('id', '=', 'sales').execute();
      const report = await rotateSealedSecrets(ring, { pageSize: 1 });
      assert.deepEqual(report.failed, [{ table: 'bots', id: 'sales', column: 'token_enc', code: SECRET_KEY_MISMATCH }]);
      assert.equal(report.resealed, 6);
      assert.equal(report.leftUnderOldKeys, 1);
      assert.equal((await sealedValues(ring)).get('bots sales token_enc'), lost);
    });
  });
}

test('SEALED_COLUMNS names every *_enc column of the schema (a new sealed column must be rotated too)', () => {
  const schema = readFileSync('src/store/schema.ts', 'utf8');
  const inSchema = [...schema.matchAll(/^\s+(\w+_enc)\??:/gm)].map((m) => m[1]).sort();
  assert.ok(inSchema.length >= 5, 'found the sealed columns');
  assert.deepEqual(Object.values(SEALED_COLUMNS).flat().sort(), inSchema);
});
