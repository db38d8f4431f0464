/**
 * One operator message of a connector event (ONIMCONNECTORMESSAGEADD / UPDATE /
 * DELETE, `data.MESSAGES[]`: spec bitrix24-rest §7), parsed once: form-encoded
 * events carry every scalar as a string, reconciled ones (src/bridge/reconcile.ts)
 * as the history gave them; a field of the wrong shape reads as absent, never
 * as a crash half-way through a reply. `files` and `params` are kept as the
 * portal sent them (their fields are read where they are used).
 */
import { z } from 'zod';
import { messagesOf } from './event-shape.ts';

type Json = Record<string, unknown>;

/** A scalar id as text; anything else (an object, an array) as absent. */
const idText = z.union([z.string(), z.number()]).transform(String).optional().catch(undefined);
const object = z.record(z.string(), z.unknown());
/** A list, or the index-keyed object PHP makes of one; only its objects. */
const objectList = z.unknown().optional().transform((value): Json[] => {
  const items = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value) : [];
  return items.filter((item): item is Json => object.safeParse(item).success);
});

const schema = z.object({
  im: z.object({ chat_id: idText, message_id: idText }).catch({}),
  message: z.object({
    user_id: idText,
    text: z.string().optional().catch(undefined),
    files: objectList,
    params: object.nullable().optional().catch(null),
  }).catch({ files: [] }),
  chat: z.object({ id: idText }).catch({}),
}).catch({ im: {}, message: { files: [] }, chat: {} });

export interface ConnectorMessage {
  /** The Open Lines chat (`im.chat_id`), '' when absent. */
  imChatId: string;
  /** The portal's message id (`im.message_id`); null when absent. */
  imMessageId: string | null;
  /** Our external chat id (`chat.id`: a conversation id when it is ours); null when absent. */
  externalChatId: string | null;
  /** The author (`message.user_id`); null when absent. */
  userId: string | null;
  text: string;
  files: Json[];
  params: Json | null;
}

function toMessage(raw: unknown): ConnectorMessage {
  const m = schema.parse(raw);
  return {
    imChatId: m.im.chat_id ?? '', imMessageId: m.im.message_id ?? null, externalChatId: m.chat.id ?? null,
    userId: m.message.user_id ?? null, text: m.message.text ?? '', files: m.message.files, params: m.message.params ?? null,
  };
}

/** The operator messages of a connector event's data, each parsed. */
export function connectorMessagesOf(data: unknown): ConnectorMessage[] {
  return messagesOf(data).map(toMessage);
}
