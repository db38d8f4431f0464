import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../helpers/manual-clock.ts';

test('ManualClock wakes sleepers in order and only when advanced far enough', async () => {
  const clock = new ManualClock(1_000);
  const woke: string[] = [];
  void clock.sleep(300).then(() => woke.push(`b@${clock.nowMs()}`));
  void clock.sleep(100).then(() => woke.push(`a@${clock.nowMs()}`));
  await clock.advance(50);
  assert.deepEqual(woke, []);
  await clock.advance(100);
  assert.deepEqual(woke, ['a@1100']);
  await clock.advance(1_000);
  assert.deepEqual(woke, ['a@1100', 'b@1300']);
  assert.equal(clock.nowMs(), 2_150);
});

test('ManualClock sleep rejects when aborted', async () => {
  const clock = new ManualClock();
  const ctl = new AbortController();
  const p = clock.sleep(1_000, ctl.signal);
  ctl.abort(new Error('stop'));
  await assert.rejects(p, /stop/);
  assert.equal(clock.pendingSleepers, 0);
});
