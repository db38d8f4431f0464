/**
 * `npm run fuzz` — malformed, oversized, wrongly typed, unauthenticated and
 * replayed requests against every public endpoint (run-fuzz.ts). Prints a
 * table by endpoint, then exactly:
 *   fuzz: requests=N crashes=N 5xx=N stored=N
 * and exits 1 if crashes, 5xx or stored is not 0 (or a request got an
 * uncoded or wrong answer). Flags: --requests 50000 --seed 1 --database <url>
 * (default: a fresh SQLite file; postgres://… works too).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFuzz } from './run-fuzz.ts';

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
const requests = Number(arg('requests') ?? 50_000);
const seed = Number(arg('seed') ?? 1);
if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(seed)) {
  console.error('fuzz: --requests and --seed take whole numbers, e.g. npm run fuzz -- --requests 50000 --seed 1');
  process.exit(2);
}
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'bridge-fuzz-'));
try {
  const result = await runFuzz({ databaseUrl: arg('database') ?? join(dir, 'fuzz.sqlite'), requests, seed, log: (l) => console.log(l) });
  console.log(`endpoint            requests      2xx      4xx      5xx  wrong answers`);
  for (const [name, t] of result.byEndpoint) {
    console.log(`${name.padEnd(18)} ${String(t.requests).padStart(9)} ${String(t.ok2xx).padStart(8)} ${String(t.client4xx).padStart(8)} ${String(t.server5xx).padStart(8)} ${String(t.violations).padStart(14)}`);
  }
  for (const v of result.violations.slice(0, 20)) console.log(`  ! ${v}`);
  console.log(`fuzz took ${result.seconds.toFixed(0)} s (seed ${seed})`);
  console.log(`fuzz: requests=${result.requests} crashes=${result.crashes} 5xx=${result.fiveXX} stored=${result.stored}`);
  process.exitCode = result.crashes === 0 && result.fiveXX === 0 && result.stored === 0 && result.violations.length === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
