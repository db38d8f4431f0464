/**
 * Bitrix24 events as they arrive (spec §7): form-encoded with PHP bracket keys,
 * every scalar a string, empty objects as []. Normalised once at the boundary:
 * `MESSAGES` as an array whether it came as a list or an index-keyed object,
 * the event name uppercase, the external chat id of each message.
 */
type Json = Record<string, unknown>;

export interface Bitrix24EventEnvelope {
  event: string;
  data: unknown;
  applicationToken: string | null;
  memberId: string | null;
  ts: string | null;
}

export function envelopeOf(body: Json): Bitrix24EventEnvelope | null {
  const event = body.event;
  if (typeof event !== 'string' || event.length === 0) return null;
  const auth = (body.auth && typeof body.auth === 'object' ? body.auth : {}) as Json;
  return {
    event: event.toUpperCase(),
    data: body.data,
    applicationToken: typeof auth.application_token === 'string' ? auth.application_token : null,
    memberId: typeof auth.member_id === 'string' ? auth.member_id : null,
    ts: typeof body.ts === 'string' ? body.ts : null,
  };
}

export function messagesOf(data: unknown): Json[] {
  const raw = (data as Json | undefined)?.MESSAGES;
  if (Array.isArray(raw)) return raw as Json[];
  if (raw && typeof raw === 'object') return Object.values(raw) as Json[];
  return [];
}

/** The Bitrix24 message ids (`im.message_id`) an event's MESSAGES carry; they grow with time on a portal. */
export function messageIdsOf(data: unknown): number[] {
  return messagesOf(data).map((m) => Number(((m.im ?? {}) as Json).message_id)).filter((n) => Number.isFinite(n));
}

/** The external chat id (our MAX side) the event is about, for ordering. */
export function externalChatIdOf(data: unknown): string | null {
  const first = messagesOf(data)[0];
  const chatId = (first?.chat as Json | undefined)?.id;
  return chatId === undefined || chatId === null ? null : String(chatId);
}
