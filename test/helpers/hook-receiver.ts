/**
 * What the hook tests assert about what a receiver got (emulators/hook-receiver.ts).
 */
import assert from 'node:assert/strict';
import type { ReceivedEvent } from '../../emulators/hook-receiver.ts';

export { startHookReceiver, type HookReceiver, type ReceivedEvent } from '../../emulators/hook-receiver.ts';

/** The events of one conversation (of one type), in the order the receiver first got them. */
export function eventsOf(events: ReceivedEvent[], conversationId: string, type?: string): ReceivedEvent[] {
  return events.filter((e) => e.conversation_id === conversationId && (type === undefined || e.type === type));
}

/** Asserts that a conversation's client messages were told (message.inbound) and delivered (message.delivered) in the order written, each told before its delivery. */
export function assertInOrder(events: ReceivedEvent[], conversationId: string, texts: string[]): void {
  const inbound = eventsOf(events, conversationId, 'message.inbound');
  assert.deepEqual(inbound.map((e) => e.data.text), texts, `${conversationId}: message.inbound in the order written`);
  const delivered = eventsOf(events, conversationId, 'message.delivered').filter((e) => e.data.direction === 'inbound');
  assert.deepEqual(delivered.map((e) => e.data.mid), inbound.map((e) => e.data.mid), `${conversationId}: message.delivered in the same order`);
  const all = eventsOf(events, conversationId);
  inbound.forEach((e, i) => assert.ok(all.indexOf(e) < all.indexOf(delivered[i]!), `${conversationId}: message ${i} told before its delivery`));
}
