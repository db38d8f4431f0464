/**
 * A small scripted world for the export tests (docs/exports.md): conversations, clients'
 * messages with their line outbox items, an operator's reply in two MAX parts with the
 * Bitrix24 event that carried it (form-encoded, as a portal sends it), and journal rows —
 * some at the edges of the range, some outside it — written straight into a store.
 */
import { stringify } from 'qs';
import type { Store } from '../../src/store/open-store.ts';

/** 2026-12-01 00:00 Moscow: what `--from 2026-12-01` means. */
export const FROM_MS = Date.parse('2026-12-01T00:00:00+03:00');
/** 2026-12-02 00:00 Moscow (exclusive). */
export const TO_MS = Date.parse('2026-12-02T00:00:00+03:00');
const MIN = 60_000;

export const CLIENT_TEXT = 'Здравствуйте, я Иван Петров, мой номер +7 916 123-45-67, пишите ivan.petrov@example.ru';
/** A text that needs CSV quoting: a comma, quotes and a line break. */
export const QUOTED_TEXT = 'Он сказал: "да", потом\nушёл';
export const OPERATOR_TEXT = '[b]Мария:[/b] [br]Перезвоним на 8 (916) 765-43-21';

interface ConversationSeed {
  id: string;
  createdAtMs: number;
  userId: string;
  phone?: string;
  payload?: string;
  tags?: string[];
  profile?: { avatarUrl: string | null; profileUrl: string | null; chatTitle?: string | null };
}

export async function seedConversation(store: Store, c: ConversationSeed): Promise<void> {
  const chat = c.id.slice(c.id.indexOf(':') + 1);
  await store.db.insertInto('conversations').values({
    id: c.id, bot_id: c.id.slice(0, c.id.indexOf(':')), max_chat_id: chat, max_user_id: c.userId, line_ref: 'main:1', state: 'active',
    source_json: c.payload === undefined ? null : JSON.stringify({ payload: c.payload }), bitrix_chat_id: '1701', bitrix_session_id: '301',
    profile_json: c.profile ? JSON.stringify(c.profile) : null, last_inbound_key: null, route_name: 'sales', route_json: null,
    client_phone: c.phone ?? null, tags_json: c.tags ? JSON.stringify(c.tags) : null, created_at_ms: c.createdAtMs, updated_at_ms: c.createdAtMs + MIN,
  }).execute();
}

/** A client's message: its id-map row, and (unless `purged`) the line outbox item that carried its text. */
export async function seedInbound(store: Store, m: { conversationId: string; mid: string; atMs: number; text: string; purged?: boolean; user?: Record<string, unknown> }): Promise<void> {
  await store.db.insertInto('messages').values({
    conversation_id: m.conversationId, direction: 'in', max_mid: m.mid, bitrix_message_id: null, state: 'delivered', created_at_ms: m.atMs, updated_at_ms: m.atMs + 500,
  }).execute();
  if (m.purged) return;
  const item = { user: m.user ?? { id: '9001', name: 'Иван', last_name: 'Петров' }, message: { id: m.mid, date: Math.floor(m.atMs / 1000), text: m.text }, chat: { id: m.conversationId } };
  await store.db.insertInto('line_outbox').values({
    line_ref: 'main:1', conversation_id: m.conversationId, method: 'send', message_key: m.mid, sort_key: `${m.atMs}`, ts_ms: m.atMs, arrived_ms: m.atMs,
    item_json: JSON.stringify(item), state: 'sent', result_json: null, tried_at_ms: null, created_at_ms: m.atMs, updated_at_ms: m.atMs,
  }).execute();
}

/** An operator's message: its MAX parts, and the event that carried it (unless `purged`). */
export async function seedOutbound(store: Store, o: { conversationId: string; imMessageId: string; atMs: number; text: string; parts: number; purged?: boolean }): Promise<void> {
  for (let part = 0; part < o.parts; part++) {
    await store.db.insertInto('outbound_parts').values({
      conversation_id: o.conversationId, bitrix_message_id: o.imMessageId, part, max_mid: `mid.out.${o.imMessageId}.${part}`, sent_at_ms: o.atMs,
    }).execute();
  }
  if (o.purged) return;
  const raw = stringify({
    event: 'ONIMCONNECTORMESSAGEADD',
    data: { CONNECTOR: 'max_bridge', LINE: '1', MESSAGES: [{ im: { chat_id: '1701', message_id: o.imMessageId }, message: { user_id: '7', text: o.text }, chat: { id: o.conversationId } }] },
    ts: String(Math.floor(o.atMs / 1000)), auth: { application_token: 'x', member_id: 'm' },
  });
  await store.db.insertInto('events').values({
    source: 'bitrix24:main', kind: 'ONIMCONNECTORMESSAGEADD', dedupe_key: `ONIMCONNECTORMESSAGEADD:${o.imMessageId}`, raw, received_at_ms: o.atMs - 1_000,
  }).execute();
}

export async function seedJournal(store: Store, atMs: number, extra: { refs?: string; requestBody?: string; conversationId?: string } = {}): Promise<void> {
  await store.db.insertInto('journal').values({
    at_ms: atMs, side: 'bitrix24', direction: 'out', method: 'POST', endpoint: 'imconnector.send.messages', status: 200, duration_ms: 41,
    request_body: extra.requestBody ?? '{"MESSAGES":[{"user":{"name":"И***"}}]}', response_body: '{"result":{"SUCCESS":true}}', error_code: null,
    bot_id: 'shop', portal_id: 'main', conversation_id: extra.conversationId ?? null, message_id: null, job_id: '12', max_user_id: null,
    max_chat_id: null, line_ref: 'main:1', refs: extra.refs ?? null,
  }).execute();
}

/**
 * The scripted world: inside the range 2 conversations (one at its first ms), 4 clients'
 * messages (one with its text purged, one at the same ms as the operator's parts), one
 * operator message in 2 parts, 2 journal rows; outside it (before `from`, at `to`) one of each.
 */
export async function seedScripted(store: Store): Promise<void> {
  await seedConversation(store, {
    id: 'shop:101', createdAtMs: FROM_MS, userId: '9001', phone: '+79161234567', payload: 'utm_vk_2026', tags: ['vip', 'b2b'],
    profile: { avatarUrl: 'https://cdn.max.ru/a/ivan.jpg', profileUrl: 'https://max.ru/u/ivan', chatTitle: null },
  });
  await seedConversation(store, { id: 'shop:102', createdAtMs: FROM_MS + 60 * MIN, userId: '9002', payload: 'from_ivan@example.ru', profile: { avatarUrl: null, profileUrl: null, chatTitle: 'Семья Петровых' } });
  await seedConversation(store, { id: 'shop:100', createdAtMs: FROM_MS - 1, userId: '9000' });
  await seedConversation(store, { id: 'shop:103', createdAtMs: TO_MS, userId: '9003' });
  await seedInbound(store, { conversationId: 'shop:101', mid: 'mid.1', atMs: FROM_MS + 10 * MIN, text: CLIENT_TEXT });
  await seedInbound(store, { conversationId: 'shop:101', mid: 'mid.2', atMs: FROM_MS + 20 * MIN, text: QUOTED_TEXT });
  await seedInbound(store, { conversationId: 'shop:102', mid: 'mid.3', atMs: FROM_MS + 70 * MIN, text: 'gone', purged: true });
  await seedInbound(store, { conversationId: 'shop:101', mid: 'mid.4', atMs: FROM_MS + 30 * MIN, text: 'ок' });
  await seedOutbound(store, { conversationId: 'shop:101', imMessageId: '5001', atMs: FROM_MS + 30 * MIN, text: OPERATOR_TEXT, parts: 2 });
  await seedInbound(store, { conversationId: 'shop:100', mid: 'mid.0', atMs: FROM_MS - 1, text: 'before' });
  await seedInbound(store, { conversationId: 'shop:103', mid: 'mid.9', atMs: TO_MS, text: 'after' });
  await seedOutbound(store, { conversationId: 'shop:103', imMessageId: '5009', atMs: TO_MS, text: 'after', parts: 1 });
  await seedJournal(store, FROM_MS - 1);
  await seedJournal(store, FROM_MS + 5 * MIN, { refs: ' shop:101#mid.1 shop:102#mid.3 ' });
  await seedJournal(store, FROM_MS + 6 * MIN, { conversationId: 'shop:101', requestBody: 'text=a,b "c"' });
  await seedJournal(store, TO_MS);
}
