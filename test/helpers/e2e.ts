/** Shared steps of the end-to-end tests (bridge + emulators over HTTP). */

/** Polls `probe` until it returns something other than undefined; generous deadline for loaded machines. */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('until: timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the app's setup job bound its last event on the emulated portal 0 (setup is done). */
export async function waitForSetup(bitrix24ControlUrl: string): Promise<void> {
  await until(async () => ((await (await fetch(`${bitrix24ControlUrl}/portals/0/bindings`)).json()) as { bindings: Array<{ event: string }> })
    .bindings.some((b) => b.event === 'ONAPPUNINSTALL') ? true : undefined);
}
