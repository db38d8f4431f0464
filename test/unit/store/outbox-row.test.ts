/**
 * A stored line_outbox row is mapped with cheap checks (the flush reads thousands of them):
 * a well-formed row comes back typed; a damaged one is a non-retryable BRG_ERR_BAD_OUTBOX_ROW.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '../../../src/domain/errors.ts';
import { BAD_OUTBOX_ROW, toPendingRow, type StoredOutboxRow } from '../../../src/store/repos/outbox-repo.ts';

const row: StoredOutboxRow = {
  id: 7, conversation_id: 'shop:42', method: 'send', message_key: 'mid.1', sort_key: '0000001700000000000:00000000000000000001',
  created_at_ms: 1, tried_at_ms: null, ts_ms: 1_700_000_000_000, arrived_ms: 1_700_000_000_001, item_json: '{"message":{"id":"mid.1","text":"hi"},"chat":{"id":"shop:42"}}',
};

test('a stored outbox row comes back typed, its item as enqueue wrote it', () => {
  const mapped = toPendingRow(row);
  assert.deepEqual(mapped, {
    id: 7, conversationId: 'shop:42', method: 'send', messageKey: 'mid.1', sortKey: row.sort_key, createdAtMs: 1, tried: false,
    tsMs: 1_700_000_000_000, arrivedMs: 1_700_000_000_001, item: { message: { id: 'mid.1', text: 'hi' }, chat: { id: 'shop:42' } },
  });
  assert.equal(toPendingRow({ ...row, tried_at_ms: 5, method: 'chat_name' }).tried, true);
});

test('a damaged row (unknown method, malformed conversation id, an item that is not an object) is refused, not retried', () => {
  const refused = (err: unknown) => err instanceof BridgeError && err.code === BAD_OUTBOX_ROW && !err.retryable;
  for (const bad of [{ method: 'resend' }, { conversation_id: 'shop' }, { item_json: '[1,2]' }, { item_json: 'null' }, { item_json: '"text"' }]) {
    assert.throws(() => toPendingRow({ ...row, ...bad }), refused, JSON.stringify(bad));
  }
});
