/**
 * The text of one operator message out of the stored Bitrix24 event that carried it
 * (`ONIMCONNECTORMESSAGEADD`, `data[MESSAGES][i]`: spec bitrix24-rest §7), for the export of
 * messages. The pipeline parses such an event whole (qs, then the connector message's schema:
 * src/bitrix24/connector-message.ts); an export reads tens of thousands of them, and a whole
 * parse cost ~15 KB of garbage each (measured on 20,000: a third of the export's allocation).
 * So a form-encoded event is read pair by pair, decoding only the keys under
 * `data[MESSAGES]` and only the values of the three fields needed — with qs's reading of the
 * form: `+` is a space, `%XX` UTF-8. An event stored as JSON goes through the usual parse.
 */
import { connectorMessagesOf } from '../bitrix24/connector-message.ts';
import { envelopeOf } from '../bitrix24/event-shape.ts';

/** `data[MESSAGES][<i>][im][message_id]`, `…[message][text]`, `…[chat][id]`. */
const MESSAGE_FIELD = /^data\[MESSAGES\]\[(\d+)\]\[(im|message|chat)\]\[(message_id|text|id)\]$/;

interface Fields {
  messageId?: string;
  text?: string;
  chatId?: string;
}

function decoded(text: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  try {
    return spaced.includes('%') ? decodeURIComponent(spaced) : spaced;
  } catch {
    return spaced;
  }
}

function fromJson(raw: string, imMessageId: string, conversationId: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return null;
  }
  const envelope = body !== null && typeof body === 'object' ? envelopeOf(body as Record<string, unknown>) : null;
  const message = envelope && connectorMessagesOf(envelope.data)
    .find((m) => m.imMessageId === imMessageId && (m.externalChatId === null || m.externalChatId === conversationId));
  return message ? message.text : null;
}

/** The message's text ('' when it has none); null when the event does not carry that message of that conversation. */
export function operatorTextOf(raw: string, imMessageId: string, conversationId: string): string | null {
  if (raw.trimStart().startsWith('{')) return fromJson(raw, imMessageId, conversationId);
  const messages = new Map<string, Fields>();
  for (const pair of raw.split('&')) {
    if (!pair.startsWith('data')) continue;
    const eq = pair.indexOf('=');
    const field = MESSAGE_FIELD.exec(decoded(eq < 0 ? pair : pair.slice(0, eq)));
    if (!field) continue;
    const [, index = '', part, name] = field;
    const value = eq < 0 ? '' : decoded(pair.slice(eq + 1));
    const fields = messages.get(index) ?? {};
    if (part === 'im' && name === 'message_id') fields.messageId = value;
    else if (part === 'message' && name === 'text') fields.text = value;
    else if (part === 'chat' && name === 'id') fields.chatId = value;
    messages.set(index, fields);
  }
  for (const fields of messages.values()) {
    if (fields.messageId === imMessageId && (fields.chatId === undefined || fields.chatId === conversationId)) return fields.text ?? '';
  }
  return null;
}
