/**
 * The progress of a long command: a bar on a terminal, plain lines (at most every two
 * seconds, and one at the end) anywhere else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startProgress } from '../../../src/cli/progress.ts';

/** A stream that keeps what is written; a terminal when `tty`. */
function sink(tty: boolean) {
  const written: string[] = [];
  const stream = {
    isTTY: tty, columns: 100,
    write: (chunk: string) => {
      written.push(String(chunk));
      return true;
    },
    cursorTo: () => true, clearLine: () => true, moveCursor: () => true, on: () => stream, removeListener: () => stream,
  };
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

test('off a terminal: a plain line at most every two seconds, and one at the end with the total', () => {
  const { stream, written } = sink(false);
  let nowMs = 0;
  const progress = startProgress({ label: 'удаление / purge', total: 10, stream, nowMs: () => nowMs });
  progress.advance(3, 'journal');
  assert.deepEqual(written, [], 'nothing within the first two seconds');
  nowMs = 2_500;
  progress.advance(4);
  assert.deepEqual(written, ['удаление / purge: 7/10 journal\n']);
  progress.setTotal(12);
  progress.advance(5, 'events');
  progress.stop();
  assert.equal(written.at(-1), 'удаление / purge: 12/12 events\n');
  assert.equal(written.length, 2);
});

test('on a terminal: a bar with the label, the percentage and the counts', () => {
  const { stream, written } = sink(true);
  const progress = startProgress({ label: 'журнал / journal', total: 4, stream });
  progress.advance(2, 'rows');
  progress.advance(2);
  progress.stop();
  const out = written.join('');
  assert.match(out, /журнал \/ journal \[/);
  assert.match(out, /100% 4\/4 rows/);
  assert.ok(!out.includes('\n журнал / journal: '), 'no plain lines on a terminal');
});
