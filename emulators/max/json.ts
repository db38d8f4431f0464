/**
 * JSON for the MAX emulator. MAX sends `seq` values above 2^53 as bare integer
 * literals; JS numbers cannot hold them, so the emulator keeps them as BigInt and
 * writes them unquoted. A client that uses plain JSON.parse then loses precision
 * exactly as it would against the real API.
 */
const BIGINT_MARK = '\u0000bigint:';

export function stringifyMax(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? `${BIGINT_MARK}${v.toString()}` : v,
  );
  // The marker contains a NUL, which JSON.stringify escapes as \u0000.
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
