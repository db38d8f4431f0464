/**
 * scripts/run-test-files.ts, the runner `npm test` uses, never lets one file hold the run:
 * a file over its time is killed and fails; a file stuck at exit after its tests (a Node.js
 * shutdown deadlock, played here by an exit handler blocked on a futex) is killed, and does not
 * fail the run when its tests passed. Each case runs the real runner on fixture files.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { describe, test } from 'node:test';

const FIXTURES = 'test/fixtures/test-runner';

interface RunResult { code: number | null; stdout: string; stderr: string; tookMs: number }

function runFiles(files: string[], env: Record<string, string>, concurrency = 2): Promise<RunResult> {
  const startedMs = Date.now();
  // Started as `npm test` starts it: outside a test file, whose NODE_TEST_* variables would make run() report to it instead.
  const outside = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NODE_TEST_')));
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/test-exit-marker.mjs', '--import', './scripts/test-exit-flush.mjs', 'scripts/run-test-files.ts', String(concurrency), ...files.map((f) => (isAbsolute(f) ? f : `${FIXTURES}/${f}`))], {
    env: { ...outside, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, tookMs: Date.now() - startedMs })));
}

describe('the test runner (scripts/run-test-files.ts)', () => {
  test('a file stuck at exit after its tests passed is killed; the run passes and says so', { timeout: 150_000 }, async () => {
    // The file's limit (60 + 30 s) far from the exit grace (1 s): a loaded machine's slow start cannot blur them.
    const r = await runFiles(['passes.mjs', 'passes-then-sticks.mjs'], { TEST_FILE_TIMEOUT_MS: '60000', TEST_EXIT_GRACE_MS: '1000' });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /ok \d+ - passes/);
    assert.doesNotMatch(r.stdout, /said again from above/);
    assert.match(r.stderr, /passes-then-sticks\.mjs finished its tests, all passed, but its process did not exit .*killed; not counted as a failure/);
    assert.ok(r.tookMs < 60_000, `killed after the exit grace, not at the file's limit: ${r.tookMs} ms`);
  });

  test('a file stuck at exit after a test failed is killed, and the run fails', { timeout: 150_000 }, async () => {
    const r = await runFiles(['fails-then-sticks.mjs'], { TEST_FILE_TIMEOUT_MS: '60000', TEST_EXIT_GRACE_MS: '1000' });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /this test fails on purpose/);
    // Said again at the end of the report, where a CI log's tail shows it.
    const summaryAt = r.stdout.indexOf('failed (said again from above):');
    assert.ok(summaryAt >= 0, r.stdout);
    const summary = r.stdout.slice(summaryAt);
    assert.match(summary, /✖ fails \(.*fails-then-sticks\.mjs:\d+\)/);
    assert.match(summary, /#\s+Error: this test fails on purpose/);
    assert.match(r.stderr, /fails-then-sticks\.mjs finished its tests but its process did not exit .*killed$/m);
  });

  test('a file that blocks past TEST_FILE_TIMEOUT_MS is killed and fails; the file beside it still passes', { timeout: 60_000 }, async () => {
    const r = await runFiles(['blocks-forever.mjs', 'passes.mjs'], { TEST_FILE_TIMEOUT_MS: '3000' });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /not ok \d+ - .*blocks-forever\.mjs/);
    assert.match(r.stdout, /ok \d+ - passes/);
    assert.ok(r.tookMs < 30_000, `ended by the limit, not by the test's own timeout: ${r.tookMs} ms`);
  });

  test('every test of a file forceExit ends is reported: none lost on its way to the runner (nodejs/node#64833)', { timeout: 150_000 }, async () => {
    // Twelve files of 200 tests with long names, each leaving a timer open, six at a time: without
    // scripts/test-exit-flush.mjs every run of this lost some (2,267 to 2,396 of 2,400 reported,
    // exit 0, on Node 20 and 24).
    const dir = mkdtempSync(join(tmpdir(), 'bridge-forced-exit-'));
    try {
      const files = Array.from({ length: 12 }, (_, f) => {
        const path = join(dir, `file-${f}.test.mjs`);
        writeFileSync(path, [
          "import { test } from 'node:test';",
          'setInterval(() => {}, 1_000); // what forceExit is for',
          `for (let t = 0; t < 200; t++) test(\`file ${f} test \${t} ${'x'.repeat(300)}\`, () => {});`,
        ].join('\n'));
        return path;
      });
      const r = await runFiles(files, {}, 6);
      assert.equal(r.code, 0, r.stderr);
      const reported = r.stdout.match(/^ok \d+ - file \d+ test \d+ /gm) ?? [];
      assert.equal(reported.length, 12 * 200, 'every test ran is reported');
      assert.match(r.stdout, /^# tests 2400$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a TEST_FILE_TIMEOUT_MS that is not a positive number is refused, naming the variable', async () => {
    const r = await runFiles(['passes.mjs'], { TEST_FILE_TIMEOUT_MS: 'soon' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /TEST_FILE_TIMEOUT_MS must be a positive number/);
  });
});
