/**
 * The bridge bundle for tests that run it as a child process (fuzz, chaos,
 * production start): built once per test file into a directory of its own
 * inside the project (so its package imports resolve), removed by the caller.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export function buildBundle(): { dir: string; bridgeServer: string; start: string } {
  mkdirSync('.data', { recursive: true });
  const dir = mkdtempSync(join('.data', 'dist-'));
  execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', dir]);
  return { dir, bridgeServer: join(dir, 'bench-bridge-server.mjs'), start: join(dir, 'start.mjs') };
}
