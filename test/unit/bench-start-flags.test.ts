/**
 * The benchmarks run the bridge with the Node flags `npm start` uses: the two
 * lists must not drift apart, or the figures stop describing what runs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { START_NODE_FLAGS } from '../../bench/child-process.ts';

test('npm start runs dist/start.mjs with the flags the benchmarks use', () => {
  const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? '';
  const run = /node ((?:--\S+ )*)dist\/start\.mjs/.exec(start);
  assert.ok(run, `unexpected start script: ${start}`);
  assert.deepEqual(run[1]!.trim().split(/\s+/), START_NODE_FLAGS);
});
