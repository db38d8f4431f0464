/**
 * The answer of `imopenlines.session.history.get` (an Open Lines chat's
 * messages and their authors), parsed once for the reconciliation of operator
 * replies (src/bridge/reconcile.ts). Lists come as arrays or as the
 * index-keyed objects PHP makes of them; a field of the wrong shape reads as
 * absent.
 */
import { z } from 'zod';

type Json = Record<string, unknown>;

const object = z.record(z.string(), z.unknown());

/** Array items, or an object's values; nothing for anything else. */
function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') return Object.values(value);
  return [];
}

function objectsOf(value: unknown): Json[] {
  return listOf(value).filter((item): item is Json => object.safeParse(item).success);
}

export interface HistoryMessage {
  /** The portal's message id. */
  id: string;
  /** The author's user id as the portal gave it; 0 for the system. */
  authorId: string;
  text: string;
  /** `params.CONNECTOR_MID`: the ids of our messages the line shows (client messages we injected, replies confirmed delivered). */
  connectorMids: unknown[];
  /** When it was written (`date`, the portal's clock), ms; null when absent or not a date. */
  dateMs: number | null;
}

export interface SessionHistory {
  messages: HistoryMessage[];
  /** An author's name ('' when unknown). */
  nameOf(authorId: string): string;
}

/** The history of one chat; null when the answer is not an object (the chat's history was not read). */
export function sessionHistoryOf(result: unknown): SessionHistory | null {
  const history = object.safeParse(result);
  if (!history.success) return null;
  const users = object.safeParse(history.data.users);
  const names = users.success ? users.data : {};
  const messages = objectsOf(history.data.message).map((m): HistoryMessage => {
    const params = object.safeParse(m.params);
    const dateMs = typeof m.date === 'string' ? Date.parse(m.date) : Number.NaN;
    return {
      id: String(m.id), authorId: String(m.author_id), text: String(m.text ?? ''), connectorMids: params.success ? listOf(params.data.CONNECTOR_MID) : [],
      dateMs: Number.isFinite(dateMs) ? dateMs : null,
    };
  });
  return {
    messages,
    nameOf: (authorId) => {
      const user = object.safeParse(names[authorId]);
      return user.success ? String(user.data.name ?? '').trim() : '';
    },
  };
}
