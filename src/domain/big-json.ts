/**
 * JSON parsing that keeps integers above 2^53 exact. MAX sends `seq` (and may
 * send ids) as bare integer literals larger than Number.MAX_SAFE_INTEGER;
 * JSON.parse would round them silently. Integer literals of 16 or more digits
 * outside strings are turned into strings before parsing.
 */

/**
 * One pass with one regular expression: a string literal (kept as it is, so
 * digits inside strings are never touched) or an integer literal of 16+ digits
 * that is not part of a fraction or an exponent (quoted).
 */
const STRING_OR_BIG_INTEGER = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;
const SIXTEEN_DIGITS = /\d{16}/;

export function quoteBigIntegers(text: string): string {
  if (!SIXTEEN_DIGITS.test(text)) return text;
  return text.replace(STRING_OR_BIG_INTEGER, (token) => (token.charCodeAt(0) === 34 /* " */ ? token : `"${token}"`));
}

export function parseJsonKeepingBigIntegers(text: string): unknown {
  return JSON.parse(quoteBigIntegers(text));
}
