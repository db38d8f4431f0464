/**
 * The message a route's transforms work on, and what they know about where it
 * is going: the public contract of a transform hook (a route's `transform.module`,
 * an ES module of the integrator's that exports `transformInbound(message, context)`
 * and/or `transformOutbound(message, context)`).
 *
 * Both are plain JSON (strings, numbers, null, arrays, objects): a hook runs in a
 * worker thread and receives a structured-clone copy, so changing the object it was
 * given changes nothing; it must return the message it wants carried. Whatever it
 * returns is checked by `parseTransformMessage` before the bridge uses it.
 */

/** The attachment kinds a route can allow by name (`transform.attachments.allowed_types`). */
export const CONFIGURABLE_ATTACHMENT_TYPES = ['image', 'video', 'audio', 'file', 'sticker', 'location', 'contact'] as const;
export type ConfigurableAttachmentType = (typeof CONFIGURABLE_ATTACHMENT_TYPES)[number];

/** One attachment of a message, reduced to what a transform can judge it by. */
export interface TransformAttachment {
  /**
   * What it is: a MAX attachment type for both directions (`image`, `video`, `audio`,
   * `file`, `sticker`, `location`, `contact`, `share` for a link preview,
   * `inline_keyboard` for buttons), or another string for a type MAX adds later.
   * Outbound files from Bitrix24 are mapped to the MAX type they will be sent as.
   */
  type: 'image' | 'video' | 'audio' | 'file' | 'sticker' | 'location' | 'contact' | 'share' | 'inline_keyboard' | (string & Record<never, never>);
  /** The file name (or the title of a share or contact) when it has one, else null. */
  name: string | null;
  /** Size in bytes when the sending side told it (files, media), else null: unknown, not zero. */
  sizeBytes: number | null;
  /** Where the content can be downloaded (or the shared link), when it has one, else null. */
  url: string | null;
  /**
   * Opaque key the bridge sets to find the original attachment again after a hook
   * ran. Hooks keep it unchanged; an attachment a hook returns with a key the bridge
   * did not give (or none) is for the bridge to decide on, never a new file to fetch.
   */
  ref?: string;
}

/** The message handed to a transform and expected back from it. */
export interface TransformMessage {
  /**
   * The text about to be carried, in the markup of the side it came from (MAX
   * markdown inbound, Bitrix24 BB-code outbound; the bridge converts after the
   * transforms). May be empty (a message of attachments only).
   */
  text: string;
  /** The attachments, in order. A hook may remove or reorder them. */
  attachments: TransformAttachment[];
}

/** Where the message is going and for whom: read-only input of a hook. */
export interface TransformContext {
  /** `inbound`: client in MAX → operator in the Open Line; `outbound`: operator → client. */
  direction: 'inbound' | 'outbound';
  /** The id of the route that sent the conversation to its line (`routes[].id`). */
  route: string;
  /** The MAX bot of the conversation (`bots[].id`). */
  botId: string;
  /** The Bitrix24 portal of the line (`portals[].id`). */
  portalId: string;
  /** The Open Line's numeric id in that portal. */
  lineId: number;
  /** The conversation (`<botId>:<maxChatId>`), stable for the dialog's life: a key for a hook's own state. */
  conversationId: string;
  /** The client as MAX described them; every field null when MAX did not say. */
  client: {
    /** Display name (first and last name as MAX gave them). */
    name: string | null;
    /** The client's MAX user id, as a decimal string. */
    maxUserId: string | null;
    /** A link to the client's MAX profile, when they have a public one. */
    profileUrl: string | null;
    /** The language of the client's MAX app (e.g. `ru`), when MAX sent it. */
    language: string | null;
  };
  /** How the conversation began. */
  source: {
    /** The deep-link start payload (`https://max.ru/<bot>?start=<payload>`) the client came with, else null. */
    startPayload: string | null;
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const nullableString = (value: unknown): value is string | null | undefined => value === null || value === undefined || typeof value === 'string';

/**
 * A value claimed to be a TransformMessage (a hook's return), as a fresh plain one, or the
 * reason it is not one. Unknown keys are dropped; `name`, `sizeBytes` and `url` may be left
 * out (null); `sizeBytes` must be a whole number ≥ 0 when given.
 */
export function parseTransformMessage(value: unknown): { ok: true; message: TransformMessage } | { ok: false; problem: string } {
  if (!isObject(value)) return { ok: false, problem: `expected an object { text, attachments }, got ${describe(value)}` };
  if (typeof value.text !== 'string') return { ok: false, problem: `text must be a string, got ${describe(value.text)}` };
  if (!Array.isArray(value.attachments)) return { ok: false, problem: `attachments must be an array, got ${describe(value.attachments)}` };
  const attachments: TransformAttachment[] = [];
  for (const [i, item] of value.attachments.entries()) {
    const at = `attachments[${i}]`;
    if (!isObject(item)) return { ok: false, problem: `${at} must be an object, got ${describe(item)}` };
    if (typeof item.type !== 'string' || item.type === '') return { ok: false, problem: `${at}.type must be a non-empty string` };
    if (!nullableString(item.name)) return { ok: false, problem: `${at}.name must be a string or null` };
    if (!nullableString(item.url)) return { ok: false, problem: `${at}.url must be a string or null` };
    const size = item.sizeBytes;
    if (!(size === null || size === undefined || (Number.isSafeInteger(size) && (size as number) >= 0))) {
      return { ok: false, problem: `${at}.sizeBytes must be a whole number of bytes or null` };
    }
    if (!(item.ref === undefined || typeof item.ref === 'string')) return { ok: false, problem: `${at}.ref must be a string when given` };
    attachments.push({
      type: item.type,
      name: item.name ?? null,
      sizeBytes: (size as number | null | undefined) ?? null,
      url: item.url ?? null,
      ...(item.ref === undefined ? {} : { ref: item.ref }),
    });
  }
  return { ok: true, message: { text: value.text, attachments } };
}

/** Whether two messages carry the same text and attachments (in the same order). */
export function sameTransformMessage(a: TransformMessage, b: TransformMessage): boolean {
  if (a.text !== b.text || a.attachments.length !== b.attachments.length) return false;
  return a.attachments.every((x, i) => {
    const y = b.attachments[i]!;
    return x.type === y.type && x.name === y.name && x.sizeBytes === y.sizeBytes && x.url === y.url && x.ref === y.ref;
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
