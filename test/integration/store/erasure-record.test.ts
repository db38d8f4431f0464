/**
 * The erasure's last transaction (src/store/repos/erasure-repo.ts) on both engines: with a
 * row of the client written while the erasure runs (caught by a second pass), the record is
 * written once, after the last pass, with the final counts, in the transaction that deletes
 * the conversation — and `onErased` (the `client.erased` hook event) is called once, in that
 * transaction. When `onErased` fails, nothing of that transaction is written: no record, no
 * event, the conversation still there; a second run finds it and finishes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { onClientErased } from '../../../src/bridge/client-erased.ts';
import { hookEmitter } from '../../../src/bridge/hook-events.ts';
import { hooksSchema } from '../../../src/config/hooks-schema.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import type { EraseOptions } from '../../../src/store/repos/erasure-repo.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const CLIENT = '7501';
const DIALOG = `shop:${CLIENT}`;
const HOOKS = hooksSchema.parse({ webhooks: [{ name: 'dpo', url: 'https://dpo.example.ru/erased', secret: 'erasure-record-test-secret', events: ['client.erased'] }] });

async function seed(store: Store): Promise<void> {
  await store.db.insertInto('conversations').values({
    id: DIALOG, bot_id: 'shop', max_chat_id: CLIENT, max_user_id: CLIENT, line_ref: 'main:1', state: 'active', source_json: null,
    bitrix_chat_id: null, bitrix_session_id: null, profile_json: null, last_inbound_key: null, route_name: null, route_json: null, created_at_ms: NOW, updated_at_ms: NOW,
  }).execute();
  await message(store, 'mid.first');
  await store.hooks.recordEvent({ id: 'evt_first', type: 'message.inbound', conversationId: DIALOG, atMs: NOW, data: { text: 'первое', sender: { max_user_id: CLIENT } } });
}

async function message(store: Store, mid: string): Promise<void> {
  await store.db.insertInto('messages').values({ conversation_id: DIALOG, direction: 'in', max_mid: mid, bitrix_message_id: null, state: 'delivered', created_at_ms: NOW, updated_at_ms: NOW }).execute();
}

for (const engine of testEngines()) {
  describe(`the erasure record and client.erased (${engine.name})`, () => {
    const open = async () => openStore({ databaseUrl: await engine.createDatabase(), secretKey: TEST_SECRET_KEY, clock: new ManualClock(NOW) });

    test('a row written during the erasure is caught by a second pass; the record and the event are written once, last, with the final counts', async () => {
      const store = await open();
      try {
        await seed(store);
        const emit = onClientErased(hookEmitter({ store, hooks: () => HOOKS, nowMs: () => NOW }));
        const calls: Array<{ id: number; rowsTotal: number; conversationLeft: boolean; recordRows: number | null }> = [];
        const onErased: EraseOptions['onErased'] = async (trx, record) => {
          // Inside the last transaction: the conversation is gone and the record is there.
          const conversationLeft = (await trx.selectFrom('conversations').select('id').where('id', '=', DIALOG).executeTakeFirst()) !== undefined;
          const row = await trx.selectFrom('erasures').select('rows_total').where('id', '=', record.id).executeTakeFirst();
          calls.push({ id: record.id, rowsTotal: record.rowsTotal, conversationLeft, recordRows: row ? Number(row.rows_total) : null });
          await emit(trx, record);
        };
        let wrote = false;
        const result = await store.erasure.erase(CLIENT, {
          requestedBy: 'test', onErased,
          // While the first pass deletes, the client writes again: a message and its hook event.
          onProgress: (p) => {
            if (wrote || p.stage !== 'messages') return;
            wrote = true;
            void (async () => {
              await message(store, 'mid.late');
              await store.hooks.recordEvent({ id: 'evt_late', type: 'message.inbound', conversationId: DIALOG, atMs: NOW, data: { text: 'позднее' } });
            })();
          },
        });
        assert.ok(wrote);
        assert.equal(calls.length, 1, 'onErased is called once');
        assert.deepEqual(calls[0], { id: result.record.id, rowsTotal: result.rowsTotal, conversationLeft: false, recordRows: result.rowsTotal });
        assert.deepEqual(result.rows.deleted, { messages: 2, hook_events: 2, conversations: 1 }, 'both passes counted, the conversation once');
        assert.equal(result.record.rowsTotal, 5);
        assert.equal((await store.erasure.records()).length, 1, 'one record');
        assert.equal((await store.db.selectFrom('messages').select('id').execute()).length, 0);
        const events = await store.db.selectFrom('hook_events').selectAll().execute();
        assert.deepEqual(events.map((e) => [e.type, JSON.parse(e.data_json) as unknown]), [
          ['client.erased', { erasure_id: result.record.id, subject_hash: result.record.subjectHash, rows_total: 5, at: new Date(NOW).toISOString() }],
        ]);
        assert.equal((await store.db.selectFrom('hook_deliveries').select('id').execute()).length, 1);
        assert.equal((await store.db.selectFrom('jobs').select('id').where('kind', '=', 'hook.deliver').execute()).length, 1);
      } finally {
        await store.close();
      }
    });

    test('onErased failing leaves no record and no event, and the conversation for a second run', async () => {
      const store = await open();
      try {
        await seed(store);
        const emit = onClientErased(hookEmitter({ store, hooks: () => HOOKS, nowMs: () => NOW }));
        await assert.rejects(store.erasure.erase(CLIENT, {
          requestedBy: 'test',
          onErased: async (trx, record) => {
            await emit(trx, record);
            throw new Error('receiver bookkeeping failed');
          },
        }), /receiver bookkeeping failed/);
        assert.equal((await store.erasure.records()).length, 0);
        assert.equal((await store.db.selectFrom('hook_events').select('id').where('type', '=', 'client.erased').execute()).length, 0);
        assert.equal((await store.db.selectFrom('jobs').select('id').execute()).length, 0);
        assert.ok(await store.db.selectFrom('conversations').select('id').where('id', '=', DIALOG).executeTakeFirst(), 'the conversation stays for a second run');

        const again = await store.erasure.erase(CLIENT, { requestedBy: 'test', onErased: emit });
        assert.deepEqual(again.rows.deleted, { conversations: 1 });
        assert.equal((await store.db.selectFrom('hook_events').select('type').execute()).map((e) => e.type).join(), 'client.erased');
        assert.equal((await store.erasure.records()).length, 1);
      } finally {
        await store.close();
      }
    });
  });
}
