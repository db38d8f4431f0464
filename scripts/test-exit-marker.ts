/**
 * Loaded into every test file's process (`--import`, after tsx, by scripts/test.ts): when the
 * process begins to exit, it leaves a marker, TEST_EXIT_MARKER_DIR/<pid>, holding its exit code.
 * scripts/test-file-watchdog.ts reads it: a process that left its marker and is still there
 * long after is stuck in Node's shutdown, past all of its tests (nodejs/node#54918).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const dir = process.env.TEST_EXIT_MARKER_DIR;
if (dir) {
  process.on('exit', (code) => {
    try {
      writeFileSync(join(dir, String(process.pid)), String(code));
    } catch {
      // The run that made the folder is gone: nobody reads the marker.
    }
  });
}
