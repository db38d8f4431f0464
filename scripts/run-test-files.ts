/**
 * Runs the test files given, in the order given, `concurrency` at a time, each in its own
 * process (node:test's `run()`): `node --test` sorts the files it is given by name, and
 * scripts/test.ts wants the longest to start first. The report is node's own: spec on a
 * terminal, TAP otherwise, as `node --test` prints it. Exit code 1 when any test failed.
 *
 *   node --import tsx --import ./scripts/test-exit-marker.mjs --import ./scripts/test-exit-flush.mjs scripts/run-test-files.ts <concurrency> <file>…
 *
 * No file can hold the run forever:
 * - forceExit: a file's process exits once its tests are done, even if something it started
 *   (a timer, a socket) would keep it alive. Without it one such leftover, left only on some
 *   runs, kept a CI run waiting until it was killed at 90 minutes (2026-12-04, on Node 24).
 *   Its forced exit used to drop a file's last reports (nodejs/node#64833: fewer tests reported
 *   than ran, exit 0); scripts/test-exit-flush.mjs, loaded into every file's process, holds that
 *   exit until the reports have left.
 * - timeout: a file still running after TEST_FILE_TIMEOUT_MS (default 15 minutes; the longest
 *   file takes about 3 on two cores) fails, and its process is killed — by run() on Node 20, by
 *   the watchdog (scripts/test-file-watchdog.ts) on Node 24, whose run() leaves it running.
 * - the watchdog also kills a file's process stuck at exit after its tests (a rare Node.js
 *   shutdown deadlock); when they all passed the file does not fail the run, and stderr says so.
 */
import process from 'node:process';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestFileWatchdog } from './test-file-watchdog.ts';

const [concurrencyArg, ...files] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
if (!Number.isInteger(concurrency) || concurrency < 1 || files.length === 0) {
  console.error('usage: node --import tsx --import ./scripts/test-exit-marker.mjs --import ./scripts/test-exit-flush.mjs scripts/run-test-files.ts <concurrency ≥ 1> <test file>…');
  process.exit(2);
}

const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 15 * 60_000);
if (!Number.isFinite(fileTimeoutMs) || fileTimeoutMs <= 0) {
  console.error('TEST_FILE_TIMEOUT_MS must be a positive number of milliseconds');
  process.exit(2);
}

// The watchdog acts a little after run()'s own timeout, so that on Node 20 run() reports it first.
// TEST_EXIT_GRACE_MS: how long a file may take to exit after its tests (its own tests shorten it).
const exitGraceMs = Number(process.env.TEST_EXIT_GRACE_MS ?? 30_000);
const markerDir = mkdtempSync(join(tmpdir(), 'bridge-test-exits-'));
process.env.TEST_EXIT_MARKER_DIR = markerDir; // the files' processes inherit it
process.on('exit', () => rmSync(markerDir, { recursive: true, force: true }));
const watchdog = new TestFileWatchdog({
  files, markerDir, fileLimitMs: fileTimeoutMs + Math.min(30_000, fileTimeoutMs), exitGraceMs, warn: (line) => process.stderr.write(`${line}\n`),
});
watchdog.start();

let failed = false;
/** Every failure, said again after the report: a CI log keeps only its tail. */
const failures: string[] = [];
const stream = run({ files, concurrency, timeout: fileTimeoutMs, forceExit: true });
stream.on('test:fail', (data) => {
  // The file's own failure (its process ended by a signal) when the watchdog killed it stuck at
  // exit after every test passed; any test of the file that failed still fails the run.
  const ofTheFileItself = data.file !== undefined && data.nesting === 0 && resolve(data.name) === resolve(data.file);
  if (ofTheFileItself && watchdog.excused(data.file!)) return;
  failed = true;
  failures.push(describeFailure(data));
});
const report = process.stdout.isTTY ? stream.compose(new spec()) : stream.compose(tap);
report.pipe(process.stdout);
report.on('end', () => {
  watchdog.stop();
  if (failures.length > 0) {
    process.stdout.write(`# ${failures.length} failed (said again from above):\n${failures.join('')}`);
  }
  // Exits here: run() sets process.exitCode on any failure, a watchdog's excused kill included.
  const code = failed ? 1 : 0;
  process.stdout.write('', () => process.exit(code));
});

/** A failure in a few comment lines: the file, the test's name, and the first lines of its error. */
function describeFailure(data: { name: string; file?: string; line?: number; details: { error: Error } }): string {
  const where = data.file === undefined ? '' : `${data.file}${data.line === undefined ? '' : `:${data.line}`}`;
  const error = data.details.error;
  const cause = error.cause instanceof Error ? error.cause : error;
  const text = (cause.stack ?? `${cause.name}: ${cause.message}`).split('\n').slice(0, 12);
  return [`#   ✖ ${data.name}${where === '' ? '' : ` (${where})`}`, ...text.map((l) => `#       ${l}`)].join('\n') + '\n';
}
