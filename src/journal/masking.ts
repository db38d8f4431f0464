/**
 * The personal-data masking policy (152-ФЗ) for the exchange journal and the
 * process log: what a row or a line may keep of a client's phone, email, name,
 * message text and files. Applied once, when the row or line is written
 * (rows written before a policy change stay as they were); docs/privacy.md is
 * the operator's view. Secrets are not this module's job (redact.ts does them):
 * `[REDACTED]` and other bracketed markers are left as they are.
 *
 * Modes, per class: `none` (kept), `masked` (a shape: `+7 *** ***-**-67`,
 * `i***@e***.ru`, `И*** П***`, `***.pdf`, `https://host/***`, `[text: 42 chars]`),
 * `hashed` (`hmac:<16 hex>`, a keyed HMAC-SHA256 of the normalised value, so
 * rows of one phone still match and nobody without the key can test a guess),
 * `drop` (the key leaves its object; inside free text a `[…]` stays).
 *
 * Classification, by key name, case-insensitive, camelCase read as snake_case
 * (`firstName` = `first_name`), the same for MAX and Bitrix24 payloads, JSON or
 * form-encoded (`data[USER][NAME]`: the last non-index segment is the key):
 *
 * | class | keys |
 * | --- | --- |
 * | phone | `phone`, `phones`, `vcf_phone`, `tel`, `mobile`, `fax`, `*_phone` (`PERSONAL_PHONE`, `WORK_PHONE`), `*_mobile` (`PERSONAL_MOBILE`), `*_fax`; `VALUE` inside a `PHONE` multifield; items of an array under such a key |
 * | email | `email`, `emails`, `e_mail`, `*_email`; `VALUE` inside an `EMAIL` multifield |
 * | name | `first_name`, `last_name`, `second_name`, `middle_name`, `full_name`, `username`, `nickname`, `display_name`, `alias`, `title` (a dialog's title is the other person's name), `chat_name`, `chat_title`, `contact_name`; `name` (see below) |
 * | text | `text`, `description`, `comment`, `caption`, `transcription`, `notification`, `vcf_info` (a whole vCard: its FN/N/TEL/EMAIL/PHOTO/URL lines follow their own class), `message` when it is a string and not an API's error (`{code, message}`, `{success, message}`) |
 * | file | `filename`, `file_name`, `url`, `uri`, `link` (a string), `href`, `picture`, `avatar`, `photo`, `*_url` (`avatar_url`, `full_avatar_url`, `image_url`), `*_uri`, `*_link`, `*_photo`; `name` of a file |
 *
 * `name` is a person's name inside a person (`user`, `users`, `sender`, `chat`,
 * `max_info`, `tam_info`, `dialog_with_user`, `members`, `contact`) or beside a
 * person's field (`last_name`, `phone`, `email`, `vcf_info`, `contact_id`, …);
 * otherwise a file name inside `files`/`attachments` or beside `size`, `mime`,
 * `link`, `url` (Bitrix24 `message.files[].name`); otherwise a person's name.
 *
 * Never altered: ids and correlation keys (`id`, `*_id`, `mid`, `seq`,
 * `timestamp`, `ts`, `date`, `*_time`, `*_key`, `token`, `type`, `code`, …),
 * numbers (except under a phone key), booleans. Phones and emails are also
 * looked for inside every other string and masked by their own mode, even when
 * `text` is `none`: texts, vCards, names and file names with the loose pattern
 * (a bare `89161234567` counts), anything unclassified with the strict one
 * (a bare run of digits is an id there, not a phone). A string under `body`,
 * `response` or `*_body` is masked as a whole body; a Bitrix24 batch `cmd`
 * ("method?PARAM=…") as a form.
 *
 * Cost (it runs for every journal row and every log line): with every mode
 * `none` the input comes back unlooked-at; otherwise nothing is copied unless
 * something changed, and a log line of ids costs ~1–2 µs, a 600-character MAX
 * update as JSON text some 30 µs (parse, walk, stringify), measured on the
 * development machine.
 */
import { createHmac } from 'node:crypto';

export type MaskMode = 'none' | 'masked' | 'hashed' | 'drop';
export type FieldClass = 'phone' | 'email' | 'name' | 'text' | 'file';

export interface MaskingPolicy {
  phone: MaskMode;
  email: MaskMode;
  name: MaskMode;
  text: MaskMode;
  file: MaskMode;
}

/**
 * Contacts, names and files masked; texts kept, because a dispute needs "who
 * wrote what, when" (phones and emails inside them are still masked).
 */
export const DEFAULT_MASKING: MaskingPolicy = { phone: 'masked', email: 'masked', name: 'masked', text: 'none', file: 'masked' };

export interface Masker {
  policy: MaskingPolicy;
  /** Masks a parsed JSON value (object/array/scalar); returns a new value (unchanged parts are shared, the input is never mutated). */
  value(v: unknown): unknown;
  /** Masks a body of unknown format: JSON text, form-encoded (Bitrix24 `data[MESSAGES][0][message][text]=…`), or plain text; returns text. */
  body(text: string): string;
  /** A request body and its answer masked together: a name found in either is masked wherever it stands in both. */
  exchange(request: string | undefined, response: string | undefined): [string | undefined, string | undefined];
  /** Masks free text by the `text` mode (and phone/email patterns inside it). */
  text(s: string): string;
  /** Masks one value known to be of a class; undefined when the class is dropped. */
  field(cls: FieldClass, s: string): string | undefined;
  /** Fields of a log line (plain object), masked at any depth; the same object when nothing changed. */
  logFields(fields: Record<string, unknown>): Record<string, unknown>;
}

/** What stays in free text where a dropped phone or email was. */
const DROPPED_IN_TEXT = '[…]';
const HASH_PREFIX = 'hmac:';
/** 64 bits of the HMAC: collisions among a journal's phones are out of reach, the row stays short. */
const HASH_HEX_CHARS = 16;
/** Deeper than any body or event either side sends; below it, values are left as they are. */
const MAX_DEPTH = 64;
/** Normalised keys remembered; a journal sees a few hundred distinct keys. */
const KEY_CACHE_MAX = 4096;

// ---------------------------------------------------------------------------
// Shapes of `masked`
// ---------------------------------------------------------------------------

/**
 * ITU-T E.164 country codes of two digits; `1` and `7` are the one-digit ones,
 * everything else has three. Enough to keep the country of a masked number.
 */
const TWO_DIGIT_COUNTRY_CODES = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84',
  '86', '90', '91', '92', '93', '94', '95', '98',
]);

/** A Russian number written with the trunk prefix (`8 916 …`) or without any (`916 …`). */
const RUSSIAN_TRUNK = /^8\d{10}$/;
const RUSSIAN_NO_PREFIX = /^9\d{9}$/;

/** The digits of a phone in international form: `8 (916) 123-45-67` and `+7 916 123 45 67` both give 79161234567. */
function phoneDigits(s: string): string {
  const digits = s.replace(/\D/g, '');
  if (RUSSIAN_TRUNK.test(digits)) return `7${digits.slice(1)}`;
  if (RUSSIAN_NO_PREFIX.test(digits) && !s.includes('+')) return `7${digits}`;
  return digits;
}

function countryCode(digits: string): string {
  if (digits.startsWith('1') || digits.startsWith('7')) return digits.slice(0, 1);
  return TWO_DIGIT_COUNTRY_CODES.has(digits.slice(0, 2)) ? digits.slice(0, 2) : digits.slice(0, 3);
}

/** '+79161234567' / '8 (916) 123-45-67' → '+7 *** ***-**-67': the country and the last two digits, as support reads them out. */
export function maskPhone(s: string): string {
  const digits = phoneDigits(s);
  if (digits.length < 5) return '***';
  const last2 = digits.slice(-2);
  if (digits.length < 10) return `***-**-${last2}`;
  return `+${countryCode(digits)} *** ***-**-${last2}`;
}

/** 'ivan.petrov@example.ru' → 'i***@e***.ru'. */
export function maskEmail(s: string): string {
  const trimmed = s.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 1 || at === trimmed.length - 1) return '***';
  const local = Array.from(trimmed.slice(0, at));
  const domain = trimmed.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const first = Array.from(domain)[0] ?? '';
  const zone = dot > 0 ? domain.slice(dot) : '';
  return `${local[0] ?? ''}***@${first}***${zone}`;
}

/** 'Иван Петров' → 'И*** П***': the initials, which a person reading a dispute can match, not the name. */
export function maskName(s: string): string {
  return s.trim().split(/\s+/u).filter((w) => w !== '').map((w) => `${Array.from(w)[0] ?? ''}***`).join(' ');
}

/** A short ASCII extension only: 'Иванов.Иван' must not keep 'Иван'. */
const FILE_EXTENSION = /\.([A-Za-z0-9]{1,5})$/;

/** 'паспорт_Иванова.pdf' → '***.pdf': the kind of file, which a dispute may need, not its name. */
export function maskFileName(s: string): string {
  const base = s.trim().replace(/^.*[\\/]/, '');
  const ext = FILE_EXTENSION.exec(base);
  return ext && ext.index > 0 ? `***.${ext[1]}` : '***';
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * 'https://host/path?x' → 'https://host/***': which service, not which file or whose profile.
 * A link to a bare host (`http://0.0.0.0:8080`, a listening address) says nothing about anyone and is kept.
 */
export function maskLink(s: string): string {
  let url: URL;
  try {
    url = new URL(s.trim());
  } catch {
    return '***';
  }
  if (!url.host) return `${url.protocol}***`;
  const bare = (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash && !url.username && !url.password;
  return bare ? s : `${url.protocol}//${url.host}/***`;
}

// ---------------------------------------------------------------------------
// Phones and emails inside free text
// ---------------------------------------------------------------------------

/** Space, no-break space, hyphen and the Unicode dashes people type between digit groups. Not `.`: dates use it. */
const SEP = '[ \\u00a0\\-\\u2010-\\u2013]';
/**
 * A phone starts a run: not after a letter, digit, `+`, `-` (chat id `-7321`), `/`, `@`, `№`/`#`
 * (order numbers, also `№ 12345`), nor after `12.` / `12:` / `12,` (dates, times, sums).
 */
const PHONE_BEFORE = '(?<![\\p{L}\\p{N}+\\-\\u2010-\\u2013/@#№])(?<!\\d[.,:])(?<![#№]\\s)';
/** …and ends one: no letter or digit after it, no decimal part, no currency (`7 900 000 000 ₽`). */
const PHONE_AFTER = `(?![\\p{L}\\p{N}@])(?![.,]\\d)(?!-\\d)(?!${SEP}?(?:₽|руб|р\\.|rub|usd|eur|\\$|€))`;
/** `+CC` and 1–6 groups: international numbers (digit count checked after the match: 10–15). */
const PHONE_PLUS = `\\+${SEP}?\\d{1,3}(?:${SEP}{0,2}(?:\\(\\d{1,5}\\)|\\d{1,5})){1,6}`;
/** `8 (916) 123-45-67`, `7 916 1234567`, `89161234567`: a Russian number, 11 digits. */
const PHONE_TRUNK = `[78]${SEP}{0,2}(?:\\(\\d{3}\\)|\\d{3})(?:${SEP}{0,2}\\d){7}`;
/** `(916) 123-45-67`: a Russian number without its prefix, 10 digits. */
const PHONE_BRACKETS = `\\(\\d{3}\\)(?:${SEP}{0,2}\\d){7}`;
/** The first lookahead lets every position that cannot start a phone fail at once (the scan runs on every row). */
const PHONE_IN_TEXT = new RegExp(`(?=[+78(])${PHONE_BEFORE}(?:${PHONE_PLUS}|${PHONE_TRUNK}|${PHONE_BRACKETS})${PHONE_AFTER}`, 'giu');
/**
 * Emails go first, in their own pass, only where there is an `@`. What replaces them cannot
 * be taken for a phone in the second pass: `i***@e***.ru` has no digits, and the 16 hex
 * digits of `hmac:…` are a run that starts after a letter or ends before one.
 */
const EMAIL_IN_TEXT = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}(?![\p{L}\p{N}-])/gu;
/** E.164: at most 15 digits; fewer than 10 is a local or short number, not worth a guess. */
const PHONE_MIN_DIGITS = 10;
const PHONE_MAX_DIGITS = 15;
/** A bare run of digits is a phone only in free text and only as a Russian 11-digit number; elsewhere it is an id. */
const BARE_RUSSIAN = /^[78]\d{10}$/;
const HAS_DIGIT = /\d/;

function isPhoneMatch(m: string, loose: boolean): boolean {
  const digits = m.replace(/\D/g, '').length;
  if (digits < PHONE_MIN_DIGITS || digits > PHONE_MAX_DIGITS) return false;
  if (/^\d+$/.test(m)) return loose && BARE_RUSSIAN.test(m);
  return true;
}

// ---------------------------------------------------------------------------
// Classification by key
// ---------------------------------------------------------------------------

/** A key's own rule: a class, a rule decided by context (`name?`, `message?`, `value?`), or how to treat a string. */
type KeyRule = FieldClass | 'name?' | 'message?' | 'value?' | 'cmd' | 'body' | 'id' | undefined;
/** What to do with one string or number once the context is known. */
type ValueRule = FieldClass | 'cmd' | 'body' | 'id' | undefined;

const PHONE_KEYS = new Set(['phone', 'phones', 'vcf_phone', 'tel', 'mobile', 'fax', 'phone_number', 'phonenumber']);
const PHONE_SUFFIX = /_(?:phone|phones|mobile|fax)$/;
const EMAIL_KEYS = new Set(['email', 'emails', 'e_mail']);
const EMAIL_SUFFIX = /_(?:email|emails)$/;
const FILE_KEYS = new Set(['filename', 'file_name', 'filenames', 'url', 'uri', 'link', 'href', 'picture', 'avatar', 'photo']);
const FILE_SUFFIX = /_(?:url|uri|link|photo|avatar)$/;
const NAME_KEYS = new Set([
  'first_name', 'last_name', 'second_name', 'middle_name', 'full_name', 'username', 'user_name', 'nickname',
  'display_name', 'alias', 'title', 'chat_name', 'chat_title', 'contact_name',
]);
const TEXT_KEYS = new Set(['text', 'description', 'comment', 'caption', 'transcription', 'notification', 'vcf_info', 'message_text']);
/** Strings holding a whole body (a log line's request or response): masked as one. */
const BODY_KEYS = new Set(['body', 'request_body', 'response_body', 'raw_body', 'response']);
/** Ids, correlation keys, times, tokens: never scanned, never altered (correlation depends on them). */
const ID_KEYS = new Set([
  'id', 'mid', 'seq', 'ts', 'timestamp', 'date', 'time', 'marker', 'hash', 'token', 'code', 'type', 'event',
  'status', 'level', 'pid', 'hostname', 'method', 'endpoint', 'component', 'user_code', 'entity_id',
]);
const ID_SUFFIX = /_(?:id|ids|time|at|ms|seconds|date|token|key|code|type|hash|ts|count)$/;

/** Objects that are a person: their `name` is a person's name. */
const PERSON_CONTAINERS = new Set(['user', 'users', 'sender', 'chat', 'max_info', 'tam_info', 'dialog_with_user', 'members', 'contact', 'owner']);
const PERSON_SIBLINGS = [
  'first_name', 'last_name', 'second_name', 'username', 'user_id', 'phone', 'email', 'gender', 'sex',
  'vcf_info', 'vcf_phone', 'contact_id', 'is_bot',
];
const FILE_CONTAINERS = new Set(['files', 'file', 'attachments', 'attachment']);
const FILE_SIBLINGS = ['size', 'sizef', 'mime', 'mime_type', 'link', 'url', 'extension', 'download_url'];
/** `{code, message}` (MAX errors), `{success, message}`: the API's words, not a client's. */
const SYSTEM_MESSAGE_SIBLINGS = ['code', 'success', 'error', 'error_code', 'error_description'];

function keyRule(k: string): KeyRule {
  if (k === 'name') return 'name?';
  if (k === 'message') return 'message?';
  if (k === 'value') return 'value?';
  if (k === 'cmd') return 'cmd';
  if (PHONE_KEYS.has(k) || PHONE_SUFFIX.test(k)) return 'phone';
  if (EMAIL_KEYS.has(k) || EMAIL_SUFFIX.test(k)) return 'email';
  if (ID_KEYS.has(k) || ID_SUFFIX.test(k)) return 'id';
  if (FILE_KEYS.has(k) || FILE_SUFFIX.test(k)) return 'file';
  if (NAME_KEYS.has(k)) return 'name';
  if (TEXT_KEYS.has(k)) return 'text';
  if (BODY_KEYS.has(k) || k.endsWith('_body')) return 'body';
  return undefined;
}

const keyCache = new Map<string, { key: string; rule: KeyRule }>();

/** `firstName`, `FIRST_NAME` and `first_name` are one key. Cached: the same few hundred keys come by on every row. */
function readKey(raw: string): { key: string; rule: KeyRule } {
  let hit = keyCache.get(raw);
  if (hit) return hit;
  const key = raw.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  hit = { key, rule: keyRule(key) };
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(raw, hit);
  return hit;
}

/**
 * The rule for a value at `rule`'s key, given the keys of the objects around it
 * (`ancestors`, outermost first, array indices left out) and its siblings.
 */
function resolveRule(rule: KeyRule, ancestors: readonly string[], hasSibling: (k: string) => boolean): ValueRule {
  const parent = ancestors[ancestors.length - 1];
  switch (rule) {
    case 'name?':
      if (parent !== undefined && PERSON_CONTAINERS.has(parent)) return 'name';
      if (PERSON_SIBLINGS.some(hasSibling)) return 'name';
      if (ancestors.some((a) => FILE_CONTAINERS.has(a)) || FILE_SIBLINGS.some(hasSibling)) return 'file';
      return 'name';
    case 'message?':
      return SYSTEM_MESSAGE_SIBLINGS.some(hasSibling) ? undefined : 'text';
    case 'value?': {
      // Bitrix24 multifields: PHONE: [{VALUE, VALUE_TYPE}], EMAIL: [{VALUE, VALUE_TYPE}].
      const outer = parent === undefined ? undefined : keyRule(parent);
      return outer === 'phone' || outer === 'email' ? outer : undefined;
    }
    case undefined:
      return parent === 'cmd' ? 'cmd' : undefined;
    default:
      return rule;
  }
}

// ---------------------------------------------------------------------------
// Helpers for values
// ---------------------------------------------------------------------------

const DROP: unique symbol = Symbol('drop');
/** A masked value, or DROP when its key is to leave the object. */
type Walked = unknown;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `[REDACTED]`, `[redacted]`, `[multipart]`, `[…]`: markers the bridge wrote itself, never masked again. */
const MARKER = /^\[[\p{L}\p{N} _:…-]{1,40}\]$/u;

/** Big integers are carried through JSON.parse as strings with this prefix, and put back bare by stringify. */
const BIG_INTEGER_MARK = '\u0000masking-big-integer:';
/** The same scan as src/domain/big-json.ts: a string literal (kept) or a 16+ digit integer literal (marked). */
const STRING_OR_BIG_INTEGER = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;
const SIXTEEN_DIGITS = /\d{16}/;
const MARKED_BIG_INTEGER = /"\\u0000masking-big-integer:(-?\d+)"/g;

function parseJsonKeepingBigIntegers(text: string): unknown {
  if (!SIXTEEN_DIGITS.test(text)) return JSON.parse(text);
  return JSON.parse(text.replace(STRING_OR_BIG_INTEGER, (t) => (t.charCodeAt(0) === 34 /* " */ ? t : `"\\u0000masking-big-integer:${t}"`)));
}

function stringifyKeepingBigIntegers(value: unknown): string {
  return JSON.stringify(value).replace(MARKED_BIG_INTEGER, '$1');
}

/** Sets a key on a fresh object, `__proto__` included (a parsed body may carry one as an own key). */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

const FORM_START = /^[^&=\s]+=/;
const WHITESPACE = /\s/;
const BATCH_COMMAND = /^([\w.]+)\?(.*)$/s;
const VCARD = /BEGIN:VCARD/i;
/** One vCard property line: group, name, parameters, value. */
const VCARD_LINE = /^((?:[A-Za-z0-9-]+\.)?)([A-Za-z][A-Za-z0-9-]*)((?:;[^:\r\n]*)?):(.*)$/gm;
const VCARD_CLASS: Record<string, FieldClass> = {
  FN: 'name', N: 'name', NICKNAME: 'name', TEL: 'phone', EMAIL: 'email', PHOTO: 'file', URL: 'file', LOGO: 'file',
};

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** `data[MESSAGES][0][message][text]` → ['data', 'MESSAGES', '0', 'message', 'text']. */
function formSegments(key: string): string[] {
  return key.replace(/\]/g, '').split('[');
}

const isIndex = (segment: string): boolean => segment === '' || /^\d+$/.test(segment);

// ---------------------------------------------------------------------------
// The masker
// ---------------------------------------------------------------------------

/** What every step needs: the modes and the hashing key. */
interface Policy {
  modes: MaskingPolicy;
  hashKey: string | Buffer;
  /** While one body is masked: the words of the person names met in its name fields (see `maskNamesSeen`). */
  seen?: Set<string>;
}

/** A word of a person's name worth looking for elsewhere: capitalised (keys and plain words are not), 3+ letters. */
const NAME_WORD = /^\p{Lu}\p{Ll}{2,}(?:-\p{Lu}\p{Ll}{2,})?$/u;

function noteName(p: Policy, s: string): void {
  if (!p.seen) return;
  for (const word of s.split(/[\s,;]+/u)) if (NAME_WORD.test(word)) p.seen.add(word);
}

/**
 * A client's name written by the bridge or the client into a text of the same body (the line
 * gets "Контакт: Иван Петров, +7…" for a shared contact; a dialog's title repeats the name):
 * once the body is masked, every word of a name met in its name fields is masked wherever
 * else it stands in that body, as a whole word (in a form, within each decoded value).
 * Names that never stood in a name field of the body are not known here.
 */
function maskNamesSeen(p: Policy, text: string, seen: Set<string>): string {
  const trimmed = text.trim();
  // A form: each value decoded, its words replaced, encoded again when changed.
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[') && !WHITESPACE.test(trimmed) && FORM_START.test(trimmed)) {
    let changed = false;
    const pairs = trimmed.split('&').map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const value = safeDecode(pair.slice(eq + 1));
      const next = replaceNameWords(p, value, seen);
      if (next === value) return pair;
      changed = true;
      return `${pair.slice(0, eq + 1)}${encodeURIComponent(next)}`;
    });
    return changed ? pairs.join('&') : text;
  }
  return replaceNameWords(p, text, seen);
}

/** Each known name word, standing as a whole word in `text`, by the name class's mode. */
function replaceNameWords(p: Policy, text: string, seen: Set<string>): string {
  let out = text;
  for (const word of seen) {
    if (!out.includes(word)) continue;
    const replacement = p.modes.name === 'drop' ? DROPPED_IN_TEXT : p.modes.name === 'hashed' ? hash(p, 'name', word) : maskName(word);
    out = out.replace(new RegExp(`(?<![\\p{L}])${word}(?![\\p{L}])`, 'gu'), replacement);
  }
  return out;
}

/**
 * Whole bodies masked — a request and its answer together, since an answer often echoes the
 * request's texts — then the names any of them holds masked wherever else they appear in them.
 */
function maskBodiesWithNames<T extends string | undefined>(p: Policy, texts: readonly T[]): T[] {
  if (p.modes.name === 'none') return texts.map((t) => (t === undefined ? t : maskBody(p, t))) as T[];
  const outer = p.seen;
  const seen = new Set<string>();
  p.seen = seen;
  try {
    const out = texts.map((t) => (t === undefined ? t : maskBody(p, t)));
    return (seen.size === 0 ? out : out.map((t) => (t === undefined ? t : maskNamesSeen(p, t, seen)))) as T[];
  } finally {
    p.seen = outer;
  }
}

function hash(p: Policy, cls: FieldClass, s: string): string {
  const normalised = cls === 'phone' ? phoneDigits(s) || s.trim()
    : cls === 'email' ? s.trim().toLowerCase()
      : cls === 'name' ? s.trim().replace(/\s+/gu, ' ').toLowerCase()
        : s.trim();
  // The class is part of the input: a name and a file that happen to be spelled alike do not match.
  const hex = createHmac('sha256', p.hashKey).update(`${cls}\u0000${normalised}`).digest('hex');
  return `${HASH_PREFIX}${hex.slice(0, HASH_HEX_CHARS)}`;
}

function shape(cls: FieldClass, s: string): string {
  switch (cls) {
    case 'phone': return maskPhone(s);
    case 'email': return maskEmail(s);
    case 'name': return maskName(s);
    case 'file': return URL_LIKE.test(s.trim()) ? maskLink(s) : maskFileName(s);
    case 'text': return `[text: ${Array.from(s).length} chars]`;
  }
}

/** A phone or email found inside a string, by its class's mode (never `none` here). */
function inText(p: Policy, cls: 'phone' | 'email', m: string): string {
  const mode = p.modes[cls];
  return mode === 'drop' ? DROPPED_IN_TEXT : mode === 'hashed' ? hash(p, cls, m) : shape(cls, m);
}

/** Phones and emails inside a string, each by its own mode. `loose`: a bare 89161234567 counts (free text only). */
function scan(p: Policy, s: string, loose: boolean): string {
  let out = s;
  if (p.modes.email !== 'none' && out.includes('@')) out = out.replace(EMAIL_IN_TEXT, (m) => inText(p, 'email', m));
  if (p.modes.phone !== 'none' && HAS_DIGIT.test(out)) out = out.replace(PHONE_IN_TEXT, (m) => (isPhoneMatch(m, loose) ? inText(p, 'phone', m) : m));
  return out;
}

/** A vCard with `text: none`: its name, phone, email and link lines by their own class, the rest scanned. */
function maskVcard(p: Policy, s: string): string {
  return s.replace(VCARD_LINE, (_line: string, group: string, prop: string, params: string, value: string) => {
    const cls = VCARD_CLASS[prop.toUpperCase()];
    if (cls === undefined) return `${group}${prop}${params}:${scan(p, value, true)}`;
    const parts = prop.toUpperCase() === 'N' ? value.split(';') : [value];
    const masked = parts.map((part) => (part.trim() === '' ? part : (maskField(p, cls, part) ?? DROPPED_IN_TEXT)));
    return `${group}${prop}${params}:${masked.join(';')}`;
  });
}

function maskField(p: Policy, cls: FieldClass, s: string): string | undefined {
  if (MARKER.test(s)) return s;
  const mode = p.modes[cls];
  if (cls === 'name' && mode !== 'none') noteName(p, s);
  if (mode === 'drop') return undefined;
  if (mode === 'hashed') return hash(p, cls, s);
  if (mode === 'masked') return shape(cls, s);
  if (cls === 'phone' || cls === 'email') return s;
  return cls === 'text' && VCARD.test(s) ? maskVcard(p, s) : scan(p, s, true);
}

/** One string or number at a key whose rule is known; DROP when the key is to leave its object. */
function maskScalar(p: Policy, v: unknown, rule: ValueRule): Walked {
  if (typeof v === 'number' && rule === 'phone') return maskField(p, 'phone', String(v)) ?? DROP;
  if (typeof v !== 'string' || v.startsWith(BIG_INTEGER_MARK)) return v;
  switch (rule) {
    case 'id': return v;
    case 'body': return maskBody(p, v);
    case 'cmd': {
      // Bitrix24 batch commands: "method?PARAM=…" with the same bracket keys as a form body.
      const command = BATCH_COMMAND.exec(v);
      return command ? `${command[1]}?${maskForm(p, command[2] ?? '')}` : scan(p, v, false);
    }
    case undefined: return scan(p, v, false);
    default: return maskField(p, rule, v) ?? DROP;
  }
}

function walk(p: Policy, v: unknown, rule: ValueRule, ancestors: readonly string[], depth: number): Walked {
  if (Array.isArray(v)) return depth > MAX_DEPTH ? v : walkArray(p, v, rule, ancestors, depth);
  if (isPlainObject(v)) return depth > MAX_DEPTH ? v : walkObject(p, v, ancestors, depth);
  return maskScalar(p, v, rule);
}

/** Items take the array's rule (`PHONE: ['+7…']`); dropped items leave the array. Copy on the first change only. */
function walkArray(p: Policy, items: readonly unknown[], rule: ValueRule, ancestors: readonly string[], depth: number): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const next = walk(p, items[i], rule, ancestors, depth + 1);
    if (next !== items[i] && out === undefined) out = items.slice(0, i);
    if (out !== undefined && next !== DROP) out.push(next);
  }
  return out ?? (items as unknown[]);
}

/** Each key by its rule in context; the same object back when nothing changed (log lines are not copied for nothing). */
function walkObject(p: Policy, obj: Record<string, unknown>, ancestors: readonly string[], depth: number): Record<string, unknown> {
  let siblings: Set<string> | undefined;
  const hasSibling = (k: string): boolean => (siblings ??= new Set(Object.keys(obj).map((raw) => readKey(raw).key))).has(k);
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const raw = keys[i] as string;
    const { key, rule } = readKey(raw);
    const value = obj[raw];
    // The path grows only where it is read (inside a container), and not by map keys that are
    // ids (`users: {"27": {…}}` of Bitrix24): like array indices, they say nothing of the content.
    const path = value !== null && typeof value === 'object' && !isIndex(key) ? [...ancestors, key] : ancestors;
    const next = walk(p, value, resolveRule(rule, ancestors, hasSibling), path, depth + 1);
    if (next !== value && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, keys[j] as string, obj[keys[j] as string]);
    }
    if (out !== undefined && next !== DROP) setOwn(out, raw, next);
  }
  return out ?? obj;
}

interface FormPair {
  raw: string;
  rawKey: string;
  /** Index of `=` in raw; -1 for a key without a value. */
  eq: number;
  segments: string[];
}

/** A form body: each pair by its bracket key; only changed values re-encoded, dropped pairs left out. */
function maskForm(p: Policy, text: string): string {
  const pairs: FormPair[] = text.split('&').map((raw) => {
    const eq = raw.indexOf('=');
    const rawKey = eq < 0 ? raw : raw.slice(0, eq);
    return { raw, rawKey, eq, segments: formSegments(safeDecode(rawKey)) };
  });
  // Siblings of a pair: the last segments of the pairs under the same parent (`data[USER][…]`).
  const children = new Map<string, Set<string>>();
  for (const pair of pairs) {
    const parent = pair.segments.slice(0, -1).join('[');
    const set = children.get(parent) ?? new Set<string>();
    set.add(readKey(pair.segments[pair.segments.length - 1] ?? '').key);
    children.set(parent, set);
  }
  let changed = false;
  const out: string[] = [];
  for (const pair of pairs) {
    const next = pair.eq < 0 ? pair.raw : maskFormPair(p, pair, children.get(pair.segments.slice(0, -1).join('[')));
    if (next !== undefined) out.push(next);
    changed ||= next !== pair.raw;
  }
  return changed ? out.join('&') : text;
}

/** One `key=value` of a form: the same text when unchanged, re-encoded when masked, undefined when dropped. */
function maskFormPair(p: Policy, pair: FormPair, siblings: Set<string> | undefined): string | undefined {
  const names = pair.segments.filter((segment) => !isIndex(segment)).map((segment) => readKey(segment));
  const own = names[names.length - 1];
  const ancestors = names.slice(0, -1).map((n) => n.key);
  const rule = own === undefined ? undefined : resolveRule(own.rule, ancestors, (k) => siblings?.has(k) ?? false);
  const decoded = safeDecode(pair.raw.slice(pair.eq + 1));
  const next = maskScalar(p, decoded, rule);
  if (next === decoded) return pair.raw;
  return next === DROP ? undefined : `${pair.rawKey}=${encodeURIComponent(String(next))}`;
}

/** JSON (big integers kept exact), a form, or plain text masked as a text. */
function maskBody(p: Policy, text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let parsed: unknown = DROP;
    try {
      parsed = parseJsonKeepingBigIntegers(trimmed);
    } catch {
      // not JSON after all
    }
    if (parsed !== DROP) {
      const out = walk(p, parsed, undefined, [], 0);
      return out === parsed ? text : stringifyKeepingBigIntegers(out);
    }
  }
  if (!WHITESPACE.test(trimmed) && FORM_START.test(trimmed)) {
    const masked = maskForm(p, trimmed);
    return masked === trimmed ? text : masked;
  }
  return MARKER.test(trimmed) ? text : (maskField(p, 'text', text) ?? DROPPED_IN_TEXT);
}

export function createMasker(policy: MaskingPolicy, hashKey: string | Buffer): Masker {
  const p: Policy = { modes: { ...policy }, hashKey };
  const modes = Object.values(p.modes);
  if (modes.includes('hashed') && hashKey.length === 0) {
    // A hash without a secret key is a lookup table away from the phone itself.
    throw new TypeError('createMasker: a privacy mode is "hashed" but the hash key is empty; pass privacyHashKey(secret key) from src/journal/hash-key.ts');
  }
  // All `none`: every entry point hands its input back without looking at it.
  const active = modes.some((m) => m !== 'none');
  return {
    policy: p.modes,
    value: (v) => {
      if (!active) return v;
      const out = walk(p, v, undefined, [], 0);
      return out === DROP ? undefined : out;
    },
    body: (text) => (active ? (maskBodiesWithNames(p, [text])[0] as string) : text),
    exchange: (request, response) => {
      if (!active) return [request, response];
      const [req, res] = maskBodiesWithNames(p, [request, response]);
      return [req, res];
    },
    text: (s) => (active ? (maskField(p, 'text', s) ?? DROPPED_IN_TEXT) : s),
    field: (cls, s) => (active ? maskField(p, cls, s) : s),
    logFields: (fields) => (active ? walkObject(p, fields, [], 0) : fields),
  };
}
