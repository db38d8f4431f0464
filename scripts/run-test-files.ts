/**
 * Runs the test files given, in the order given, `concurrency` at a time, each in its own
 * process (node:test's `run()`): `node --test` sorts the files it is given by name, and
 * scripts/test.ts wants the longest to start first. The report is node's own: spec on a
 * terminal, TAP otherwise, as `node --test` prints it. Exit code 1 when any test failed.
 *
 *   node --import tsx scripts/run-test-files.ts <concurrency> <file>…
 *
 * No file can hold the run forever:
 * - forceExit: a file's process exits once its tests are done, even if something it started
 *   (a timer, a socket) would keep it alive. Without it one such leftover, left only on some
 *   runs, kept a CI run waiting until it was killed at 90 minutes (2026-12-04, on Node 24).
 * - timeout: a file still running after TEST_FILE_TIMEOUT_MS (default 15 minutes; the longest
 *   file takes about 3 on two cores) fails, and its process is killed.
 */
import process from 'node:process';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';

const [concurrencyArg, ...files] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
if (!Number.isInteger(concurrency) || concurrency < 1 || files.length === 0) {
  console.error('usage: node --import tsx scripts/run-test-files.ts <concurrency ≥ 1> <test file>…');
  process.exit(2);
}

const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 15 * 60_000);
if (!Number.isFinite(fileTimeoutMs) || fileTimeoutMs <= 0) {
  console.error('TEST_FILE_TIMEOUT_MS must be a positive number of milliseconds');
  process.exit(2);
}

let failed = false;
const stream = run({ files, concurrency, timeout: fileTimeoutMs, forceExit: true });
stream.on('test:fail', () => {
  failed = true;
});
const report = process.stdout.isTTY ? stream.compose(new spec()) : stream.compose(tap);
report.pipe(process.stdout);
report.on('end', () => {
  process.exitCode = failed ? 1 : 0;
});
