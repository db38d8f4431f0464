/** The admin API on both engines: bearer auth inside the plugin, dead letters listed and replayed. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../../src/http/app.ts';
import { adminApiPlugin } from '../../../src/http/plugins/admin-api.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

const ADMIN = 'admin-token-for-tests';

for (const engine of testEngines()) {
  describe(`admin API (${engine.name})`, () => {
    let store: Store;
    let deadId: number;
    before(async () => {
      store = await openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock() });
      deadId = await store.jobs.enqueue({ kind: 'deliver', conversationKey: 'c', payload: {} });
      const job = (await store.jobs.claim({ workerId: 'w', leaseMs: 1_000 }))!;
      await store.jobs.markDead(job, { code: 'BRG_ERR_MAX_CHAT_DENIED', message: 'denied', response: '{"code":"chat.denied"}' });
    });
    after(async () => {
      await store.close();
      await engine.dropAll();
    });
    const app = () => buildApp({ plugins: [adminApiPlugin({ adminToken: ADMIN, deadLetters: store.deadLetters })] });

    test('no token, wrong token, or admin API off: 401 with a code; nothing changes', async () => {
      const a = app();
      for (const authorization of [undefined, 'Bearer wrong', ADMIN]) {
        const res = await a.inject({ method: 'GET', url: '/admin/dead-letters', headers: authorization ? { authorization } : {} });
        assert.equal(res.statusCode, 401);
        assert.equal(res.json().error, 'BRG_ERR_UNAUTHORIZED');
      }
      const off = buildApp({ plugins: [adminApiPlugin({ adminToken: undefined, deadLetters: store.deadLetters })] });
      assert.equal((await off.inject({ method: 'POST', url: `/admin/dead-letters/${deadId}/replay`, headers: { authorization: 'Bearer ' } })).statusCode, 401);
      assert.equal((await store.jobs.get(deadId))?.state, 'dead');
      await a.close();
      await off.close();
    });

    test('list shows the error code and last response; replay one; unknown id 404', async () => {
      const a = app();
      const headers = { authorization: `Bearer ${ADMIN}` };
      const list = (await a.inject({ method: 'GET', url: '/admin/dead-letters', headers })).json();
      assert.equal(list.dead_letters[0].errorCode, 'BRG_ERR_MAX_CHAT_DENIED');
      assert.equal(list.dead_letters[0].lastResponse, '{"code":"chat.denied"}');
      const replay = await a.inject({ method: 'POST', url: `/admin/dead-letters/${deadId}/replay`, headers });
      assert.deepEqual(replay.json(), { replayed: [deadId] });
      assert.equal((await store.jobs.get(deadId))?.state, 'pending');
      const missing = await a.inject({ method: 'POST', url: '/admin/dead-letters/999/replay', headers });
      assert.equal(missing.statusCode, 404);
      const bad = await a.inject({ method: 'POST', url: '/admin/dead-letters/abc/replay', headers });
      assert.equal(bad.statusCode, 400);
      const json = { ...headers, 'content-type': 'application/json' };
      const bulk = await a.inject({ method: 'POST', url: '/admin/dead-letters/replay', headers: json, payload: '{}' });
      assert.deepEqual(bulk.json(), { replayed_count: 0 });
      const malformed = await a.inject({ method: 'POST', url: '/admin/dead-letters/replay', headers: json, payload: '{"error_code":' });
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json().error, 'BRG_ERR_MALFORMED_BODY');
      await a.close();
    });

    test('replay all: a JSON body that is not an object is a coded 400 (null was a 500), and nothing is replayed', async () => {
      const dead = await store.jobs.enqueue({ kind: 'deliver', conversationKey: 'c2', payload: {} });
      let job = (await store.jobs.claim({ workerId: 'w', leaseMs: 60_000 }))!;
      while (job.id !== dead) job = (await store.jobs.claim({ workerId: 'w', leaseMs: 60_000 }))!;
      await store.jobs.markDead(job, { code: 'BRG_ERR_MAX_CHAT_DENIED', message: 'denied', response: '{}' });
      const a = app();
      const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
      for (const payload of ['null', '[]', '[{"error_code":"X"}]', '42', '"text"', 'true']) {
        const res = await a.inject({ method: 'POST', url: '/admin/dead-letters/replay', headers, payload });
        assert.equal(res.statusCode, 400, payload);
        assert.equal(res.json().error, 'BRG_ERR_INVALID_BODY', payload);
      }
      assert.equal((await store.jobs.get(dead))?.state, 'dead');
      const typed = await a.inject({ method: 'POST', url: '/admin/dead-letters/replay', headers, payload: '{"error_code":"BRG_ERR_MAX_CHAT_DENIED"}' });
      assert.deepEqual(typed.json(), { replayed_count: 1 });
      assert.equal((await store.jobs.get(dead))?.state, 'pending');
      await a.close();
    });
  });
}
