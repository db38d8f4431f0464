/**
 * Hook events (docs/hooks.md, "Events"): what the bridge tells the company's systems. An event
 * is written in the transaction of the fact it tells (a conversation routed, a message queued
 * or delivered, a dead letter, a CRM binding, an erasure), with one delivery and one job per
 * webhook subscribed to its type (hook-delivery.ts sends it). So an event exists exactly when
 * its fact does — a crash before the commit loses both, a retried job that finds its fact done
 * writes neither again — and it reaches each receiver from the store, in order per
 * conversation, however long the receiver is away.
 *
 * With no webhook subscribed to a type, nothing is written for it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { webhookName, webhooksFor, type HookEventType, type HooksConfig, type WebhookConfig } from '../config/hooks-schema.ts';
import { HOOK_DELIVERY_JOB, hookQueue } from '../queue/job-kinds.ts';
import type { Queryable } from '../store/db.ts';
import type { Store } from '../store/open-store.ts';

export interface NewHookEvent {
  type: HookEventType;
  conversationId: string | null;
  data: Record<string, unknown>;
  /**
   * What makes this fact unique (e.g. the message's id): the event's id is derived from it, so
   * telling the same fact twice writes one event. Without it the id is random.
   */
  key?: string;
}

export interface HookEmitter {
  /** Writes the event and its deliveries in `db` (the fact's own transaction). */
  emit(event: NewHookEvent, db: Queryable): Promise<void>;
  /**
   * Writes the event only; `release` queues its deliveries later. For an event whose place in
   * its conversation is settled after the fact (a client message: the order gate settles it
   * as the line flush plans it — webhooks from MAX may arrive out of order).
   */
  record(event: NewHookEvent & { key: string }, db: Queryable): Promise<void>;
  /** Queues the deliveries of an event `record` wrote (none when it wrote none; once however often called). */
  release(type: HookEventType, key: string, db: Queryable): Promise<void>;
  /** Whether any webhook takes this type (callers skip building the data otherwise). */
  wants(type: HookEventType): boolean;
}

/** `evt_` and 26 lowercase base32 characters (130 bits). */
export function hookEventId(type: string, key?: string): string {
  const bytes = key === undefined ? randomBytes(17) : createHash('sha256').update(`${type}\u0000${key}`).digest().subarray(0, 17);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `evt_${out}`;
}

export function hookEmitter(deps: { store: Store; hooks: () => HooksConfig; nowMs: () => number; onQueued?: () => void }): HookEmitter {
  return {
    wants: (type) => webhooksFor(deps.hooks(), type).length > 0,
    async emit(event, db) {
      const webhooks = webhooksFor(deps.hooks(), event.type);
      if (webhooks.length === 0) return;
      const stored = { id: hookEventId(event.type, event.key), type: event.type, conversationId: event.conversationId, atMs: deps.nowMs(), data: event.data };
      if (!(await deps.store.hooks.recordEvent(stored, db))) return;
      await queueDeliveries(deps, webhooks, stored, db);
    },
    async record(event, db) {
      if (webhooksFor(deps.hooks(), event.type).length === 0) return;
      await deps.store.hooks.recordEvent({ id: hookEventId(event.type, event.key), type: event.type, conversationId: event.conversationId, atMs: deps.nowMs(), data: event.data }, db);
    },
    async release(type, key, db) {
      const webhooks = webhooksFor(deps.hooks(), type);
      if (webhooks.length === 0) return;
      const stored = await deps.store.hooks.event(hookEventId(type, key), db);
      if (stored) await queueDeliveries(deps, webhooks, stored, db);
    },
  };
}

/** One delivery and one job per webhook that has none for this event yet. */
async function queueDeliveries(deps: { store: Store; onQueued?: () => void }, webhooks: WebhookConfig[], event: { id: string; type: string; conversationId: string | null }, db: Queryable): Promise<void> {
  let queued = false;
  for (const webhook of webhooks) {
    const name = webhookName(webhook);
    const deliveryId = await deps.store.hooks.addDelivery(name, event, db);
    if (deliveryId === null) continue;
    await deps.store.jobs.enqueue({ kind: HOOK_DELIVERY_JOB, conversationKey: hookQueue(name, event.conversationId), payload: { deliveryId, webhook: name } }, db);
    queued = true;
  }
  if (queued) deps.onQueued?.();
}

/** An emitter for code paths built without hooks (tests, tools): writes nothing. */
export const NO_HOOKS: HookEmitter = { wants: () => false, emit: async () => undefined, record: async () => undefined, release: async () => undefined };
