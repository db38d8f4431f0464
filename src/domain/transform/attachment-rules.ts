/**
 * A route's attachment rules (`transform.attachments`): an attachment larger than
 * `max_bytes`, or of a kind not in `allowed_types`, is not carried; instead the
 * text gains one line per such attachment (`instead_text`, Russian by default) so
 * the other side learns that something was sent and why it did not arrive.
 *
 * `allowed_types` lists the kinds a route can name (CONFIGURABLE_ATTACHMENT_TYPES);
 * attachments of other types (a `share` link preview, an `inline_keyboard`, a type
 * MAX adds later) are not subject to it, since no configuration could allow them.
 * An attachment whose size is unknown (`sizeBytes` null) passes `max_bytes`: the
 * media layer enforces its own cap when it fetches the file.
 */
import { renderTemplate } from './template.ts';
import { CONFIGURABLE_ATTACHMENT_TYPES, type ConfigurableAttachmentType, type TransformAttachment, type TransformMessage } from './transform-message.ts';

/** The shape of `routes[].transform.attachments` (validated by the configuration schema). */
export interface AttachmentRules {
  /** Attachments with a known size above this many bytes are replaced by a line of text. */
  max_bytes?: number;
  /** When given, only these kinds are carried (an empty list: none of them). */
  allowed_types?: readonly ConfigurableAttachmentType[];
  /** The line for a replaced attachment (placeholders ATTACHMENT_NOTICE_PLACEHOLDERS); '' removes it without a line. */
  instead_text?: string;
}

export type ReplacedWhy = 'too_large' | 'type_not_allowed';

export interface ReplacedAttachment {
  attachment: TransformAttachment;
  why: ReplacedWhy;
}

/** `instead_text` placeholders: file name (or the kind's name), reason, kind, size («3,5 МБ» or empty). */
export const ATTACHMENT_NOTICE_PLACEHOLDERS = ['name', 'why', 'type', 'size'] as const;

export const DEFAULT_INSTEAD_TEXT = 'Вложение не передано: {{name}} ({{why}})';

const TYPE_NAMES: Record<string, string> = {
  image: 'изображение', video: 'видео', audio: 'аудио', file: 'файл', sticker: 'стикер',
  location: 'геопозиция', contact: 'контакт', share: 'ссылка', inline_keyboard: 'кнопки',
};

const CONFIGURABLE: ReadonlySet<string> = new Set(CONFIGURABLE_ATTACHMENT_TYPES);

/** Bytes in Russian, binary units, at most one decimal with a comma: «512 байт», «1,5 КБ», «10 МБ». */
export function formatBytesRu(bytes: number): string {
  const units: Array<[number, string]> = [[1024 ** 3, 'ГБ'], [1024 ** 2, 'МБ'], [1024, 'КБ']];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${(Math.round((bytes / size) * 10) / 10).toString().replace('.', ',')} ${unit}`;
  }
  return `${bytes} байт`;
}

function whyText(why: ReplacedWhy, maxBytes: number | undefined): string {
  return why === 'too_large' ? `больше ${formatBytesRu(maxBytes ?? 0)}` : 'тип не разрешён';
}

function verdict(attachment: TransformAttachment, rules: AttachmentRules): ReplacedWhy | null {
  if (rules.allowed_types && CONFIGURABLE.has(attachment.type) && !rules.allowed_types.includes(attachment.type as ConfigurableAttachmentType)) {
    return 'type_not_allowed';
  }
  if (rules.max_bytes !== undefined && attachment.sizeBytes !== null && attachment.sizeBytes > rules.max_bytes) return 'too_large';
  return null;
}

/**
 * The message with the attachments the rules refuse removed and a line of text for each
 * appended (after the text, one per line, in the attachments' order), and what was removed.
 * The input is not changed. No rules (`undefined`) carries everything.
 */
export function applyAttachmentRules(
  message: TransformMessage,
  rules: AttachmentRules | undefined,
  options: { escapeValue?: (value: string) => string } = {},
): { message: TransformMessage; replaced: ReplacedAttachment[] } {
  const kept: TransformAttachment[] = [];
  const replaced: ReplacedAttachment[] = [];
  for (const attachment of message.attachments) {
    const why = rules ? verdict(attachment, rules) : null;
    if (why) replaced.push({ attachment, why });
    else kept.push(attachment);
  }
  if (replaced.length === 0) return { message: { text: message.text, attachments: kept }, replaced };
  const template = rules?.instead_text ?? DEFAULT_INSTEAD_TEXT;
  const lines = replaced.map(({ attachment, why }) => renderTemplate(template, {
    name: attachment.name || (TYPE_NAMES[attachment.type] ?? attachment.type),
    why: whyText(why, rules?.max_bytes),
    type: TYPE_NAMES[attachment.type] ?? attachment.type,
    size: attachment.sizeBytes === null ? null : formatBytesRu(attachment.sizeBytes),
  }, options));
  const text = [message.text, ...lines].filter((part) => part !== '').join('\n');
  return { message: { text, attachments: kept }, replaced };
}
