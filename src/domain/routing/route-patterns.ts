/**
 * How a route's text conditions read a conversation, in one place so that the schema
 * (which compiles them to refuse a bad one) and the engine agree:
 * - `text` is a regex matched case-insensitively with Unicode case folding (`iu`), so
 *   "ЖАЛОБА" matches `жалоб`; `start_payload` is a regex matched as written (`u`):
 *   payloads are identifiers, and `^vip_` should not take `VIP_`.
 * - `text_contains` compares lower-cased under Russian rules (toLocaleLowerCase('ru')).
 * - a language is compared on its primary subtag, case-insensitively (`ru` ~ `ru-RU`).
 * Regexes never get the `g` or `y` flag: those make `test` remember a position.
 */

export type PatternKind = 'text' | 'start_payload';

export const PATTERN_FLAGS: Readonly<Record<PatternKind, string>> = { text: 'iu', start_payload: 'u' };

/** The compiled regex, or the engine's own reason it is not one. */
export function compilePattern(source: string, kind: PatternKind): RegExp | { problem: string } {
  try {
    return new RegExp(source, PATTERN_FLAGS[kind]);
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Text as `text_contains` compares it. */
export function foldText(text: string): string {
  return text.toLocaleLowerCase('ru');
}

/** Whether `tag` is a well-formed BCP 47 language tag (`ru`, `ru-RU`, `zh-Hant-TW`). */
export function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/** `ru-RU` → `ru`; also takes `ru_RU`, as some clients report it. */
export function primaryLanguage(tag: string): string {
  return (tag.trim().split(/[-_]/)[0] ?? '').toLowerCase();
}
