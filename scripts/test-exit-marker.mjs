/**
 * Loaded into every test file's process (`--import`, by scripts/test.ts): when the process
 * begins to exit, it leaves a marker, TEST_EXIT_MARKER_DIR/<pid>, holding its exit code.
 * scripts/test-file-watchdog.ts reads it: a process that left its marker and is still there
 * long after is stuck in Node's shutdown, past all of its tests (nodejs/node#54918).
 *
 * Plain JavaScript: worker threads inherit the `--import` flags, and a worker starts without
 * tsx's loader, so a .ts file here failed every worker (the transform hooks' pool). Only the
 * main thread leaves a marker: a worker shares the process id, and its exit is not the process's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.TEST_EXIT_MARKER_DIR;
if (dir && isMainThread) {
  process.on('exit', (code) => {
    try {
      writeFileSync(join(dir, String(process.pid)), String(code));
    } catch {
      // The run that made the folder is gone: nobody reads the marker.
    }
  });
}
