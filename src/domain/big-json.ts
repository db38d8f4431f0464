/**
 * JSON parsing that keeps integers above 2^53 exact. MAX sends `seq` (and may
 * send ids) as bare integer literals larger than Number.MAX_SAFE_INTEGER;
 * JSON.parse would round them silently. Integer literals of 16 or more digits
 * outside strings are turned into strings before parsing.
 */
const SAFE_DIGITS = 15;

export function quoteBigIntegers(text: string): string {
  let out = '';
  let i = 0;
  let inString = false;
  while (i < text.length) {
    const ch = text[i] as string;
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (ch === '"') inString = false;
      i++;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      i++;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      const token = m ? m[0] : ch;
      const isBigInteger = !m?.[1] && !m?.[2] && token.replace('-', '').length > SAFE_DIGITS;
      out += isBigInteger ? `"${token}"` : token;
      i += token.length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

export function parseJsonKeepingBigIntegers(text: string): unknown {
  return JSON.parse(quoteBigIntegers(text));
}
