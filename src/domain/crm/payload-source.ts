/**
 * The CRM source of a conversation, from its deep-link start payload
 * (`https://max.ru/<bot>?start=<payload>`, at most 128 characters: spec max-bot-api §6).
 *
 * Which characters MAX lets through in a payload is not documented, so three spellings
 * are read (the first that yields UTM fields wins):
 * - a query string: `utm_source=vk&utm_campaign=spring` (also percent-encoded);
 * - the same query string in base64url (`dXRtX3NvdXJjZT12aw`), for links limited to [A-Za-z0-9_-];
 * - a configured mapping (`sources`): payload regex → SOURCE_ID and UTM fields.
 * A configured mapping also applies on top of parsed UTM fields (it names the SOURCE_ID).
 */
import { UTM_FIELDS, type PayloadSource, type UtmField } from './crm-policy.ts';

export interface CrmSource {
  /** SOURCE_ID for the CRM; null: leave the entity's own. */
  sourceId: string | null;
  utm: Partial<Record<UtmField, string>>;
  /** The payload as given (for SOURCE_DESCRIPTION and the timeline comment). */
  payload: string;
}

/** A UTM value as the CRM stores it: trimmed, at most 255 characters, printable. */
function cleanValue(value: string): string | null {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean === '' ? null : clean;
}

function utmOfQuery(text: string): Partial<Record<UtmField, string>> {
  const out: Partial<Record<UtmField, string>> = {};
  if (!/utm_[a-z]+=/i.test(text)) return out;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(text.startsWith('?') ? text.slice(1) : text);
  } catch {
    return out;
  }
  for (const [key, value] of params) {
    const field = `UTM_${key.toLowerCase().replace(/^utm_/, '').toUpperCase()}` as UtmField;
    if (!key.toLowerCase().startsWith('utm_') || !UTM_FIELDS.includes(field)) continue;
    const clean = cleanValue(value);
    if (clean !== null && out[field] === undefined) out[field] = clean;
  }
  return out;
}

function decodedPercent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function decodedBase64Url(text: string): string | null {
  if (!/^[A-Za-z0-9_-]{8,}$/.test(text)) return null;
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  // Not base64 of text: replacement characters or control bytes.
  // eslint-disable-next-line no-control-regex
  return /[\uFFFD\u0000-\u0008]/.test(decoded) ? null : decoded;
}

/** The UTM fields a payload spells, in any of the accepted spellings. */
export function utmOfPayload(payload: string): Partial<Record<UtmField, string>> {
  for (const candidate of [payload, decodedPercent(payload), decodedBase64Url(payload)]) {
    if (candidate === null) continue;
    const utm = utmOfQuery(candidate);
    if (Object.keys(utm).length > 0) return utm;
  }
  return {};
}

/**
 * The source of a conversation started with `payload` (null payload: none). `fromPayload`
 * turns on parsing; `sources` are consulted either way.
 */
export function sourceOfPayload(payload: string | null, fromPayload: boolean, sources: readonly PayloadSource[]): CrmSource | null {
  if (payload === null || payload === '') return null;
  const utm = fromPayload ? utmOfPayload(payload) : {};
  const mapped = sources.find((s) => s.payload.test(payload)) ?? null;
  const merged = { ...(mapped?.utm ?? {}), ...utm };
  if (!mapped && Object.keys(merged).length === 0) return null;
  return { sourceId: mapped?.sourceId ?? null, utm: merged, payload };
}
