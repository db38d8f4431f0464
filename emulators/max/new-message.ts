/**
 * Validation of a bot's NewMessageBody and its conversion into the message
 * the recipient sees, with the real API's rules (spec §3, §4.2, §6):
 * text ≤ 4000, attachment combinations, upload tokens that are not processed
 * yet (`attachment.not.ready`), keyboard limits, link targets.
 */
import type { MaxContext } from './context.ts';
import { maxErrors } from './errors.ts';
import type { MaxAttachment, MaxMessage } from './model.ts';
import { checkFileName } from './routes-uploads.ts';

const ALONE_TYPES = new Set(['audio', 'sticker', 'contact']);
const KNOWN_TYPES = new Set(['image', 'video', 'audio', 'file', 'sticker', 'contact', 'inline_keyboard', 'location', 'share']);
const MAX_BUTTONS = 210;
const MAX_ROWS = 30;
const MAX_PER_ROW = 7;
const MAX_PER_ROW_SPECIAL = 3;
const SPECIAL_BUTTONS = new Set(['link', 'open_app', 'request_geo_location', 'request_contact']);

export interface ParsedNewMessage {
  text: string | null;
  attachments: MaxAttachment[] | null;
  link: { type: 'reply' | 'forward'; mid: string } | null;
  format: 'markdown' | 'html' | null;
  notify: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function textLength(ctx: MaxContext, text: string): number {
  return ctx.settings.textLengthUnit === 'bytes' ? Buffer.byteLength(text, 'utf8') : [...text].length;
}

export function parseNewMessageBody(ctx: MaxContext, body: unknown, requireContent: boolean): ParsedNewMessage {
  if (!isObject(body)) throw maxErrors.payload('Invalid request body: JSON object expected');
  const { text = null, attachments = null, link = null, format = null, notify = true } = body;
  if (text !== null && typeof text !== 'string') throw maxErrors.payload("Field 'text' must be a string");
  if (typeof text === 'string') {
    const size = textLength(ctx, text);
    if (size > ctx.settings.textMaxLength) {
      throw maxErrors.payload(`Field 'text' size (${size}) must be at most ${ctx.settings.textMaxLength}`);
    }
  }
  if (format !== null && format !== 'markdown' && format !== 'html') {
    throw maxErrors.payload(`Field 'format' must be one of [markdown, html]`);
  }
  if (typeof notify !== 'boolean') throw maxErrors.payload("Field 'notify' must be a boolean");
  if (attachments !== null && !Array.isArray(attachments)) throw maxErrors.payload("Field 'attachments' must be an array");
  const parsedLink = parseLink(link);
  const list = (attachments as unknown[] | null) ?? null;
  if (requireContent && (text === null || text === '') && (!list || list.length === 0) && !parsedLink) {
    throw maxErrors.payload('Message text or attachments required');
  }
  return {
    text: text as string | null,
    attachments: list ? resolveAttachments(ctx, list) : null,
    link: parsedLink,
    format: format as ParsedNewMessage['format'],
    notify,
  };
}

function parseLink(link: unknown): ParsedNewMessage['link'] {
  if (link === null || link === undefined) return null;
  if (!isObject(link) || (link.type !== 'reply' && link.type !== 'forward') || typeof link.mid !== 'string') {
    throw maxErrors.payload("Field 'link' must be {type: reply|forward, mid}");
  }
  return { type: link.type, mid: link.mid };
}

function resolveAttachments(ctx: MaxContext, list: unknown[]): MaxAttachment[] {
  const types = list.map((a) => (isObject(a) ? a.type : undefined));
  for (const t of types) {
    if (typeof t !== 'string') throw maxErrors.payload('Missing required parameter: type');
    if (!KNOWN_TYPES.has(t)) throw maxErrors.payload(`Unknown attachment type: ${t}`);
  }
  const nonKeyboard = types.filter((t) => t !== 'inline_keyboard');
  if (types.filter((t) => t === 'file').length > 1 || (types.includes('file') && nonKeyboard.length > 1)) {
    throw maxErrors.payload('Must be only one file attachment in message');
  }
  for (const t of nonKeyboard) {
    if (ALONE_TYPES.has(t as string) && nonKeyboard.length > 1) {
      throw maxErrors.payload(`Attachment of type ${String(t)} must be the only attachment in message`);
    }
  }
  if (types.filter((t) => t === 'inline_keyboard').length > 1) throw maxErrors.payload('Only one inline keyboard allowed');
  return list.map((a) => resolveOne(ctx, a as Record<string, unknown>));
}

function resolveOne(ctx: MaxContext, a: Record<string, unknown>): MaxAttachment {
  const type = a.type as string;
  const payload = isObject(a.payload) ? a.payload : undefined;
  switch (type) {
    case 'image':
      return resolveImage(ctx, payload);
    case 'video':
    case 'audio':
    case 'file':
      return resolveUploaded(ctx, type, payload);
    case 'sticker': {
      if (!payload || (typeof payload.code !== 'string' && typeof payload.url !== 'string')) {
        throw maxErrors.payload('Sticker payload requires code');
      }
      const code = typeof payload.code === 'string' ? payload.code : 'sticker';
      return { type, payload: { url: `${ctx.baseUrl()}/_files/sticker-${code}`, code }, width: 512, height: 512 };
    }
    case 'contact':
      return { type, payload: { vcf_info: contactVcf(payload), max_info: null } };
    case 'inline_keyboard':
      validateKeyboard(payload);
      return { type, payload: payload as Record<string, unknown> };
    case 'location':
      if (typeof a.latitude !== 'number' || typeof a.longitude !== 'number') {
        throw maxErrors.payload('Location requires latitude and longitude');
      }
      return { type, latitude: a.latitude, longitude: a.longitude };
    default: {
      if (!payload || (typeof payload.url !== 'string' && typeof payload.token !== 'string')) {
        throw maxErrors.payload('Share payload requires url or token');
      }
      return { type: 'share', payload: { url: payload.url ?? null, token: payload.token ?? null }, title: null, description: null, image_url: null };
    }
  }
}

function contactVcf(payload: Record<string, unknown> | undefined): string | null {
  if (!payload) throw maxErrors.payload('Contact payload required');
  if (typeof payload.vcf_info === 'string') return payload.vcf_info;
  const name = typeof payload.name === 'string' ? payload.name : '';
  const phone = typeof payload.vcf_phone === 'string' ? payload.vcf_phone : '';
  return `BEGIN:VCARD\nVERSION:3.0\nFN:${name}\nTEL:${phone}\nEND:VCARD`;
}

function resolveImage(ctx: MaxContext, payload: Record<string, unknown> | undefined): MaxAttachment {
  if (!payload) throw maxErrors.payload('Image payload required');
  const given = ['url', 'token', 'photos'].filter((k) => payload[k] !== undefined && payload[k] !== null);
  if (given.length !== 1) throw maxErrors.payload('Image payload must have exactly one of url, token, photos');
  if (typeof payload.url === 'string') {
    return { type: 'image', payload: { photo_id: 1, token: `ext-${Buffer.from(payload.url).toString('base64url').slice(0, 24)}`, url: payload.url } };
  }
  let token = payload.token;
  if (isObject(payload.photos)) {
    const first = Object.values(payload.photos)[0];
    token = isObject(first) ? first.token : undefined;
  }
  if (typeof token !== 'string') throw maxErrors.payload('Invalid image token');
  const upload = readyUpload(ctx, token, 'image');
  return { type: 'image', payload: { photo_id: upload.photoId, token, url: `${ctx.baseUrl()}/_files/${token}` } };
}

function readyUpload(ctx: MaxContext, token: string, type: string) {
  const upload = ctx.world.uploads.get(token);
  if (!upload || upload.type !== type) throw maxErrors.payload(`Invalid ${type} token`);
  if (upload.uploadedAtMs === null) throw maxErrors.notReady();
  if (Date.now() - upload.uploadedAtMs < ctx.scaled(ctx.settings.attachmentNotReadyMs)) throw maxErrors.notReady();
  return upload;
}

function resolveUploaded(ctx: MaxContext, type: 'video' | 'audio' | 'file', payload: Record<string, unknown> | undefined): MaxAttachment {
  if (!payload || typeof payload.token !== 'string') throw maxErrors.payload(`Attachment ${type} requires payload.token`);
  const upload = readyUpload(ctx, payload.token, type);
  if (ctx.settings.fileNameRefusedAt === 'send') checkFileName(ctx, upload.filename);
  const media = { url: `${ctx.baseUrl()}/_files/${upload.token}`, token: upload.token };
  if (type === 'file') return { type, payload: media, filename: upload.filename, size: upload.data.length };
  if (type === 'audio') return { type, payload: media, transcription: null };
  return { type, payload: media, thumbnail: null, width: 1280, height: 720, duration: 10 };
}

function validateKeyboard(payload: Record<string, unknown> | undefined): void {
  const rows = payload?.buttons;
  if (!Array.isArray(rows) || rows.length === 0) throw maxErrors.payload('Keyboard must have at least one row');
  if (rows.length > MAX_ROWS) throw maxErrors.payload(`Keyboard must have at most ${MAX_ROWS} rows`);
  let total = 0;
  for (const row of rows) {
    if (!Array.isArray(row) || row.length === 0) throw maxErrors.payload('Keyboard row must be a non-empty array');
    const special = row.some((b) => isObject(b) && SPECIAL_BUTTONS.has(String(b.type)));
    const limit = special ? MAX_PER_ROW_SPECIAL : MAX_PER_ROW;
    if (row.length > limit) throw maxErrors.payload(`Keyboard row must have at most ${limit} buttons`);
    for (const b of row) validateButton(b);
    total += row.length;
  }
  if (total > MAX_BUTTONS) throw maxErrors.payload(`Keyboard must have at most ${MAX_BUTTONS} buttons`);
}

function validateButton(b: unknown): void {
  if (!isObject(b) || typeof b.type !== 'string' || typeof b.text !== 'string') {
    throw maxErrors.payload('Button requires type and text');
  }
  if (b.text.length < 1 || b.text.length > 128) throw maxErrors.payload("Field 'text' size must be between 1 and 128");
  if (b.type === 'callback' && (typeof b.payload !== 'string' || b.payload.length > 1024)) {
    throw maxErrors.payload('Callback button payload must be a string of at most 1024 characters');
  }
  if (b.type === 'link') {
    if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url)) {
      throw maxErrors.payload('Must have only http/https links format in buttons');
    }
    if (b.url.length > 2048) throw maxErrors.payload("Field 'url' size must be at most 2048");
  }
}

/** Builds the `link` of a stored message from a NewMessageLink. */
export function resolveLink(ctx: MaxContext, link: ParsedNewMessage['link']): MaxMessage['link'] {
  if (!link) return null;
  const target = ctx.world.messages.get(link.mid);
  if (!target || target.deleted) throw maxErrors.payload(`Message ${link.mid} not found`);
  return {
    type: link.type,
    sender: target.message.sender,
    ...(link.type === 'forward' ? { chat_id: target.chatId } : {}),
    message: target.message.body,
  };
}
