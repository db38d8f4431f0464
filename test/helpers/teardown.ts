/**
 * Teardown steps with a deadline. An after() hook has no timeout of its own, so a close that
 * never settles (a server waiting on a connection, a pool on a query) would hold the file, and
 * the whole run, until CI kills it; here it fails instead, naming the step that hung.
 *
 *   after(() => teardown([
 *     ['the bridge closes', () => bridge?.close()],
 *     ['the emulators close', () => sandbox?.close()],
 *   ]));
 */
export const TEARDOWN_STEP_LIMIT_MS = 60_000;

export type TeardownStep = readonly [label: string, run: () => Promise<unknown> | unknown];

/**
 * Runs the steps in order, each within `limitMs`. Every step runs even when an earlier one
 * failed or hung (so what can be freed is freed); the first failure is thrown at the end.
 */
export async function teardown(steps: readonly TeardownStep[], limitMs = TEARDOWN_STEP_LIMIT_MS): Promise<void> {
  let firstError: unknown = null;
  for (const [label, run] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`teardown: "${label}" did not finish within ${limitMs} ms`)), limitMs);
    });
    try {
      await Promise.race([Promise.resolve().then(run), deadline]);
    } catch (err) {
      firstError ??= err;
    } finally {
      clearTimeout(timer);
    }
  }
  if (firstError !== null) throw firstError;
}
