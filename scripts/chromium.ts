/**
 * Debian's Chromium driven by playwright-core, for the browser tests and `npm run screenshots`
 * (Playwright downloads no browser here; .ci/run installs the `chromium` package). The flags keep
 * it from reaching out to the network this machine does not have: without them it opens many
 * refused connections at every start.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** For `describe(…, { skip })`: false when Chromium is installed, else why and the fix. */
export const CHROMIUM_MISSING: false | string = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`;

/** A headless Chromium with a fresh temporary profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
