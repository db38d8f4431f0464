import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupWriter } from '../../../src/store/group-writer.ts';

test('writes requested together go as one group; each caller gets its own result', async () => {
  const groups: number[][] = [];
  const writer = new GroupWriter<number, number>(async (items) => {
    groups.push(items);
    return items.map((i) => i * 10);
  }, async (i) => i * 10, 100);
  const results = await Promise.all([1, 2, 3].map((i) => writer.write(i)));
  assert.deepEqual(results, [10, 20, 30]);
  assert.deepEqual(groups, [[1, 2, 3]]);
});

test('a failing group is written item by item: one bad item fails only its caller', async () => {
  const writer = new GroupWriter<number, number>(async () => {
    throw new Error('constraint');
  }, async (i) => {
    if (i === 2) throw new Error('bad item');
    return i;
  }, 100);
  const outcomes = await Promise.allSettled([1, 2, 3].map((i) => writer.write(i)));
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
});

test('groups are capped; what arrives while a group is written goes in the next', async () => {
  const groups: number[][] = [];
  let writing!: () => void;
  const firstBeingWritten = new Promise<void>((r) => (writing = r));
  let finish!: () => void;
  const firstWritten = new Promise<void>((r) => (finish = r));
  const writer = new GroupWriter<number, number>(async (items) => {
    groups.push(items);
    if (groups.length === 1) {
      writing();
      await firstWritten; // the first group is being written until the test lets it finish
    }
    return items;
  }, async (i) => i, 2);
  const early = [1, 2, 3].map((i) => writer.write(i));
  await firstBeingWritten;
  const late = [4, 5].map((i) => writer.write(i));
  finish();
  await Promise.all([...early, ...late]);
  assert.deepEqual(groups, [[1, 2], [3, 4], [5]]);
});
