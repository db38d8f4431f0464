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
 * The files under test/chaos/ and those named `*.alone.test.ts` (the routing
 * run of 2,000 new conversations) run last, one at a time: the bounded chaos plays
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
  const concurrency = env.TEST_CONCURRENCY ?? '3';
  const alone = files.filter(isChaos);
  const together = files.filter((f) => !isChaos(f));
  let code = together.length > 0 ? await runFiles(together, concurrency, env) : 0;
  if (alone.length > 0 && !interrupted) code = Math.max(code, await runFiles(alone, '1', env));
  stop();
  return code;
}

/** Run after the others, one file at a time: the bounded chaos, and files named `*.alone.test.ts` (heavy loads). */
const isChaos = (file: string): boolean => /(^|[\\/])test[\\/]chaos[\\/]/.test(file) || file.endsWith('.alone.test.ts');

let running: ReturnType<typeof spawn> | null = null;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted = true;
    running?.kill(sig);
  });
}

async function runFiles(files: string[], concurrency: string, env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit', env });
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
