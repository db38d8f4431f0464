/**
 * A MAX update (spec max-bot-api §7, `Update` in spec/max/openapi.yaml) as the
 * inbound pipeline reads it, parsed once from the stored event: the fields the
 * pipeline decides on are checked and typed here, every other field is kept
 * as MAX sent it (the renderers read attachments and markup themselves). A
 * field of the wrong shape reads as absent. Ids are numbers, or text when
 * above 2^53 (the raw body is parsed keeping them exact: domain/big-json.ts).
 */
import { z } from 'zod';
import { parseJsonKeepingBigIntegers } from '../domain/big-json.ts';

const object = z.record(z.string(), z.unknown());
/** An integer id or time as MAX sends it. */
const scalar = z.union([z.string(), z.number()]);
const optionalScalar = scalar.nullish().catch(undefined);
const optionalText = z.string().nullish().catch(undefined);

const userSchema = z.looseObject({
  user_id: optionalScalar,
  first_name: optionalText,
  last_name: optionalText,
  username: optionalText,
  is_bot: z.boolean().optional().catch(undefined),
});

const bodySchema = z.looseObject({
  mid: optionalScalar,
  seq: optionalScalar,
  text: optionalText,
  attachments: z.array(object).nullish().catch(undefined),
});

const messageSchema = z.looseObject({
  timestamp: optionalScalar,
  sender: userSchema.nullish().catch(undefined),
  recipient: z.looseObject({ chat_id: optionalScalar, chat_type: optionalText }).nullish().catch(undefined),
  body: bodySchema.nullish().catch(undefined),
});

const callbackSchema = z.looseObject({
  callback_id: optionalScalar,
  payload: optionalText,
  timestamp: optionalScalar,
  user: userSchema.nullish().catch(undefined),
});

const updateSchema = z.looseObject({
  update_type: z.string(),
  timestamp: optionalScalar,
  message: messageSchema.nullish().catch(undefined),
  callback: callbackSchema.nullish().catch(undefined),
  user: userSchema.nullish().catch(undefined),
  user_id: optionalScalar,
  chat_id: optionalScalar,
  message_id: optionalScalar,
  /** bot_started: the deep link's payload. */
  payload: optionalText,
  inviter_id: optionalScalar,
  admin_id: optionalScalar,
  title: optionalText,
});

export type MaxUser = z.output<typeof userSchema>;
export type MaxMessage = z.output<typeof messageSchema>;
export type MaxUpdate = z.output<typeof updateSchema>;

/** A stored update's raw body; null when it is not an update (no update_type) or not JSON. */
export function parseMaxUpdate(raw: string): MaxUpdate | null {
  let json: unknown;
  try {
    json = parseJsonKeepingBigIntegers(raw);
  } catch {
    return null;
  }
  const parsed = updateSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** A message read from MAX (chat history, `GET /messages`) as the pipeline reads it; null when it is not an object. */
export function parseMaxMessage(value: unknown): MaxMessage | null {
  const parsed = messageSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The MAX id of a message's body as text ('' when it has none). */
export function midOfMessage(message: MaxMessage | null | undefined): string {
  const mid = message?.body?.mid;
  return mid === undefined || mid === null ? '' : String(mid);
}

const keyboardSchema = z.object({ type: z.literal('inline_keyboard'), payload: z.object({ buttons: z.array(z.array(object)) }) });

/** The buttons of a message's inline keyboard, row after row (none when it has no keyboard). */
export function keyboardButtonsOf(message: MaxMessage | null | undefined): Array<Record<string, unknown>> {
  for (const attachment of message?.body?.attachments ?? []) {
    const keyboard = keyboardSchema.safeParse(attachment);
    if (keyboard.success) return keyboard.data.payload.buttons.flat();
  }
  return [];
}
