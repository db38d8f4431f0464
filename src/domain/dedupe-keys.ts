/**
 * Dedupe keys of everything received from outside (spec sheets: MAX §7.1,
 * Bitrix24 §7 and §12). An event is stored under UNIQUE(source, dedupe_key);
 * a redelivery computes the same key and is acknowledged without effect.
 *
 * MAX:
 * - message_created → the message `mid`;
 * - message_edited  → `mid` + the edit's timestamp (each edit is a new event);
 * - message_callback → `callback_id`;
 * - message_removed → the removed `message_id`;
 * - lifecycle (bot_started, bot_stopped, user_added, …) → type + chat + user + timestamp;
 * - anything else → type + a hash of the raw body (stored, never a crash).
 * Bitrix24: event kind + `im.message_id` of each message (the portal's own id);
 * events without one → kind + a hash of the normalised payload.
 */
import { createHash } from 'node:crypto';

type Json = Record<string, unknown>;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

function str(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

export function maxDedupeKey(update: Json, raw: string): string {
  const type = str(update.update_type);
  const message = (update.message ?? {}) as Json;
  const body = (message.body ?? {}) as Json;
  switch (type) {
    case 'message_created':
      if (body.mid) return `message:${str(body.mid)}`;
      break;
    case 'message_edited':
      if (body.mid) return `edit:${str(body.mid)}:${str(update.timestamp)}`;
      break;
    case 'message_callback': {
      const callback = (update.callback ?? {}) as Json;
      if (callback.callback_id) return `callback:${str(callback.callback_id)}`;
      break;
    }
    case 'message_removed':
      if (update.message_id) return `removed:${str(update.message_id)}`;
      break;
    default: {
      const user = (update.user ?? {}) as Json;
      const userId = str(user.user_id ?? update.user_id);
      if (type && update.chat_id !== undefined && update.timestamp !== undefined) {
        return `${type}:${str(update.chat_id)}:${userId}:${str(update.timestamp)}`;
      }
    }
  }
  return `${type || 'unknown'}:sha256:${sha256(raw)}`;
}

/** Keys of a Bitrix24 connector event: one per message it carries (im.message_id). */
export function bitrix24DedupeKey(event: string, data: unknown, unique?: string): string {
  const kind = event.toUpperCase();
  const messages = (data as Json | undefined)?.MESSAGES;
  const list = Array.isArray(messages) ? messages : messages && typeof messages === 'object' ? Object.values(messages) : [];
  const ids = list.map((m) => str(((m as Json).im as Json | undefined)?.message_id)).filter(Boolean);
  if (ids.length > 0) return `${kind}:${ids.join(',')}`;
  // A CRM event names only the entity (`FIELDS[ID]`), and two changes within one second look
  // alike (`ts` is in seconds): such events are not deduplicated (`unique` tells each delivery
  // apart). Their handler reads the entity's current state, so a duplicate changes nothing.
  if (kind.startsWith('ONCRM') && unique) return `${kind}:sha256:${sha256(JSON.stringify(data ?? null))}:${unique}`;
  return `${kind}:sha256:${sha256(JSON.stringify(data ?? null))}`;
}
