/**
 * A hook's error (or a worker's) as one bounded line for a HookResult's reason:
 * hooks are the integrator's code and may throw anything, of any length, or a
 * value whose conversion to text itself throws.
 */

/** Longest reason passed on. */
export const HOOK_REASON_MAX_CHARS = 500;

export function hookErrorText(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : `thrown ${typeof error}: ${String(error)}`;
  } catch {
    text = `thrown ${typeof error}`;
  }
  return text.length > HOOK_REASON_MAX_CHARS ? `${text.slice(0, HOOK_REASON_MAX_CHARS - 1)}…` : text;
}
