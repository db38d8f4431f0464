/**
 * Loaded into every test file's process (`--import`, by scripts/test.ts): a `process.exit()`
 * waits until what the process has written to its stdout has left it.
 *
 * Why: run({ forceExit }) ends a file's process with process.exit() as soon as its tests are
 * done, while the last of their reports can still sit in the reporter's stream on its way to
 * the pipe the parent reads. They were lost: the parent reported fewer tests than ran, and
 * still passed (nodejs/node#64833; seen here as a whole file's 7 tests missing from a CI run on
 * Node 24, and reproduced on Node 20 too). Without forceExit, a timer or socket a file left
 * open would keep its process, and the run, alive.
 *
 * So an exit is put off a moment (the reporter's stream runs on the microtask and nextTick
 * queues, before any timer), then until stdout has nothing queued, for EXIT_FLUSH_LIMIT_MS at
 * most. The exit code asked for is kept. Only the test runner's own exit is put off (it does
 * nothing after it); any other caller's exit is at once. Main thread only, as test-exit-marker.mjs.
 */
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { isMainThread } from 'node:worker_threads';

const FIRST_LOOK_MS = 20;
const LOOK_EVERY_MS = 10;
const EXIT_FLUSH_LIMIT_MS = 5_000;

if (isMainThread) {
  const exitNow = process.exit.bind(process);
  let exiting = false;
  process.exit = (code) => {
    // Anyone else's exit is at once: their code after it counts on it not returning.
    if (!calledByTheTestRunner()) return exitNow(code);
    if (code !== undefined && code !== null) process.exitCode = code;
    if (exiting) return undefined;
    exiting = true;
    const giveUpAtMs = Date.now() + EXIT_FLUSH_LIMIT_MS;
    const look = () => {
      if (process.stdout.writableLength === 0 || Date.now() > giveUpAtMs) exitNow();
      else setTimeout(look, LOOK_EVERY_MS);
    };
    setTimeout(look, FIRST_LOOK_MS);
    return undefined;
  };
}

/** Whether process.exit() was called from node:test's own code (its forced exit). */
function calledByTheTestRunner() {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return stack.split('\n').slice(2).some((line) => line.includes('node:internal/test_runner/'));
}
