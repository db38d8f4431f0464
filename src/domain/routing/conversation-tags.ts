/**
 * A conversation's tags: words a check gave it (docs/hooks.md, "Checks") — shown to the operator
 * and asked by routes (`when.tags`). A tag is 1–50 letters, digits, "_", ".", ":" or "-" (any
 * script: `vip`, `постоянный`, `erp:gold`); tags compare case-insensitively, and a conversation
 * keeps each once, in the order it got them.
 */

export const TAG_PATTERN = /^[\p{L}\p{N}_.:-]+$/u;
export const TAG_MAX_CHARS = 50;
/** At most this many tags in one check's answer. */
export const MAX_TAGS_PER_VERDICT = 20;
/** A conversation keeps at most this many tags (later ones are dropped). */
export const MAX_TAGS_PER_CONVERSATION = 100;

/** Null when `tag` is a tag; else what is wrong with it. */
export function tagProblem(tag: string): string | null {
  if (tag === '') return 'is empty';
  if ([...tag].length > TAG_MAX_CHARS) return `is longer than ${TAG_MAX_CHARS} characters`;
  return TAG_PATTERN.test(tag) ? null : 'may hold only letters, digits, "_", ".", ":" and "-" (no spaces)';
}

/** `base` with the tags of `more` it lacks (case-insensitively) appended, up to MAX_TAGS_PER_CONVERSATION. */
export function mergeTags(base: readonly string[], ...more: ReadonlyArray<readonly string[]>): string[] {
  const out = [...base];
  const seen = new Set(base.map((tag) => tag.toLowerCase()));
  for (const list of more) {
    for (const tag of list) {
      if (out.length >= MAX_TAGS_PER_CONVERSATION) return out;
      if (seen.has(tag.toLowerCase())) continue;
      seen.add(tag.toLowerCase());
      out.push(tag);
    }
  }
  return out;
}
