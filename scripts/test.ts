/**
 * `npm test`: provides a PostgreSQL server (a throwaway one from the installed
 * binaries, or TEST_DATABASE_URL when set), then runs every test file under
 * test/ with node's own test runner on both storage engines.
 *
 *   npm test                       all tests
 *   npm test -- test/unit/x.test.ts   only the files named
 *
 * TEST_SKIP_POSTGRES=1 runs the SQLite half only (for machines without
 * PostgreSQL); CI never sets it.
 *
 * Files run TEST_CONCURRENCY at a time (default 6): most of a file's time is spent
 * waiting on the emulators' limits, timers and retries, not on the CPU (a run at 3
 * kept two cores about 40 % busy), so six share two cores without starving each
 * other. The longest files start first (LONGEST_FIRST; scripts/run-test-files.ts keeps the
 * order), so that none is left running alone at the end.
 *
 * The files under test/chaos/ run last, one at a time: the bounded chaos plays
 * the portal and MAX in the test process, and with other files sharing two
 * cores the emulated portal starved (its loop up to 0.5 s late) and posted a
 * chat's operator events out of order by more than a real portal's event
 * sender does — an inversion made by the test machine, not by the path a
 * deployment has (docs/performance.md, "The bounded chaos runs alone").
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureEmulatorCertificate } from '../emulators/shared/tls.ts';
import { startPostgresServer, type PostgresServer } from './postgres-server.ts';

function findTestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTestFiles(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out.sort();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const files = args.length > 0 ? args : findTestFiles('test');
  let server: PostgresServer | null = null;
  const env = { ...process.env };
  if (!env.TEST_DATABASE_URL && env.TEST_SKIP_POSTGRES !== '1') {
    server = await startPostgresServer();
    env.TEST_DATABASE_URL = server.url;
    console.log(`test: throwaway PostgreSQL at ${server.url}`);
  }
  // The emulators' HTTPS certificate must exist before the runner starts:
  // Node reads NODE_EXTRA_CA_CERTS only at process start.
  const cert = await ensureEmulatorCertificate();
  env.NODE_EXTRA_CA_CERTS = cert.certPath;
  env.EMULATOR_TLS_DIR = cert.certPath.replace(/\/emulator-cert\.pem$/, '');
  const stop = (): void => server?.stop();
  process.on('exit', stop);
  const concurrency = env.TEST_CONCURRENCY ?? '6';
  const alone = files.filter(isChaos);
  const together = longestFirst(files.filter((f) => !isChaos(f)));
  let code = together.length > 0 ? await runFiles(together, concurrency, env) : 0;
  if (alone.length > 0 && !interrupted) code = Math.max(code, await runFiles(alone, '1', env));
  stop();
  return code;
}

/** Run after the others, one file at a time: the bounded chaos. */
const isChaos = (file: string): boolean => /(^|[\\/])test[\\/]chaos[\\/]/.test(file);

/**
 * The files that take longest (both engines, seconds measured in a full run on two cores,
 * 2026-12-04), started first; a scheduling hint only: a file missing here runs after them.
 */
const LONGEST_FIRST = [
  'test/e2e/routing.test.ts', // 195: 2,000 new conversations
  'test/e2e/crm-rules.test.ts', // 154
  'test/e2e/long-outage.test.ts', // 110
  'test/e2e/outbound-cases.test.ts', // 89
  'test/e2e/client-wait-notice.test.ts', // 76
  'test/e2e/metrics-health.test.ts', // 50
  'test/e2e/crm-crash.test.ts', // 47
  'test/e2e/line-portal-faults.test.ts', // 40
  'test/e2e/downtime-catchup.test.ts', // 39
  'test/e2e/crm-steps.test.ts', // 37
  'test/e2e/erasure.test.ts', // 36
  'test/e2e/hooks-crash.test.ts', // 35
];

function longestFirst(files: string[]): string[] {
  const rank = (f: string): number => {
    const i = LONGEST_FIRST.findIndex((l) => f.replaceAll('\\', '/').endsWith(l));
    return i < 0 ? LONGEST_FIRST.length : i;
  };
  return [...files].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

let running: ReturnType<typeof spawn> | null = null;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted = true;
    running?.kill(sig);
  });
}

async function runFiles(files: string[], concurrency: string, env: NodeJS.ProcessEnv): Promise<number> {
  // Not `node --test`: it sorts the files by name, and the longest must start first.
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/test-exit-marker.mjs', '--import', './scripts/test-exit-flush.mjs', 'scripts/run-test-files.ts', concurrency, ...files], { stdio: 'inherit', env });
  running = child;
  return new Promise((resolve) => child.on('exit', (c) => {
    running = null;
    resolve(c ?? 1);
  }));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`test: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
