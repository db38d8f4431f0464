import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickTarget, type PauseCheck } from '../../../../src/domain/routing/pick-target.ts';
import { targetLabel, type RouteRule } from '../../../../src/domain/routing/route-rule.ts';
import { CountingStats, nothingPaused, pausedWhere, rule, target } from './helpers.ts';

/** Picks `n` new conversations in a row, recording each as the store would; the count per target. */
function split(r: RouteRule, n: number, isPaused: PauseCheck = nothingPaused, stats = new CountingStats()): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i += 1) {
    const { target: chosen } = pickTarget(r, stats, isPaused);
    stats.record(chosen);
    counts[targetLabel(chosen)] = (counts[targetLabel(chosen)] ?? 0) + 1;
  }
  return counts;
}

test('weight 3:1 splits 2 000 new conversations exactly 1 500 / 500', () => {
  const r = rule({ to: [target('msk', 1, 3), target('spb', 1, 1)] });
  assert.deepEqual(split(r, 2_000), { 'msk:1': 1_500, 'spb:1': 500 });
});

test('weight 3:1 is interleaved, not 1 500 in a row: every 4 conversations are 3 and 1', () => {
  const r = rule({ to: [target('msk', 1, 3), target('spb', 1, 1)] });
  for (const n of [4, 8, 400]) assert.deepEqual(split(r, n), { 'msk:1': (n * 3) / 4, 'spb:1': n / 4 });
});

test('weight 5:3:2 over 2 000 keeps each share within ±5 %', () => {
  const r = rule({ to: [target('a', 1, 5), target('b', 1, 3), target('c', 1, 2)] });
  const counts = split(r, 2_000);
  for (const [label, expected] of [['a:1', 1_000], ['b:1', 600], ['c:1', 400]] as const) {
    const got = counts[label] ?? 0;
    assert.ok(Math.abs(got - expected) <= expected * 0.05, `${label}: ${got}, expected ${expected} ±5 %`);
  }
});

test('weight continues from the counts the caller has, not from zero', () => {
  const r = rule({ to: [target('msk', 1, 1), target('spb', 1, 1)] });
  const stats = new CountingStats();
  stats.assignedBy.set('msk:1', 10);
  assert.deepEqual(split(r, 10, nothingPaused, stats), { 'spb:1': 10 });
});

test('the route name reaches the stats, for counts kept per route', () => {
  const seen: string[] = [];
  const stats = { assigned: (_t: unknown, route: string) => (seen.push(route), 0), open: () => 0 };
  pickTarget(rule({ name: 'vip', to: [target('msk', 1), target('spb', 1)] }), stats, nothingPaused);
  assert.deepEqual(seen, ['vip', 'vip']);
});

test('round_robin takes the targets in turn, the earlier first on a tie', () => {
  const r = rule({ pick: 'round_robin', to: [target('a', 1, 9), target('b', 1), target('c', 1)] });
  const stats = new CountingStats();
  const order: string[] = [];
  for (let i = 0; i < 6; i += 1) {
    const { target: chosen, via } = pickTarget(r, stats, nothingPaused);
    assert.equal(via, 'pick');
    stats.record(chosen);
    order.push(targetLabel(chosen));
  }
  assert.deepEqual(order, ['a:1', 'b:1', 'c:1', 'a:1', 'b:1', 'c:1'], 'weights do not count');
});

test('fewest_open takes the least loaded line; ties go to fewer assigned, then the earlier', () => {
  const r = rule({ pick: 'fewest_open', to: [target('a', 1), target('b', 1), target('c', 1)] });
  const stats = new CountingStats();
  stats.openBy.set('a:1', 5).set('b:1', 2).set('c:1', 2);
  stats.assignedBy.set('b:1', 3).set('c:1', 1);
  assert.equal(targetLabel(pickTarget(r, stats, nothingPaused).target), 'c:1');
  stats.assignedBy.set('c:1', 3);
  assert.equal(targetLabel(pickTarget(r, stats, nothingPaused).target), 'b:1');
  stats.openBy.set('a:1', 0);
  assert.equal(targetLabel(pickTarget(r, stats, nothingPaused).target), 'a:1');
});

test('a single open target is taken "only"', () => {
  assert.deepEqual(pickTarget(rule({ to: [target('msk', 3)] }), new CountingStats(), nothingPaused), {
    target: target('msk', 3), via: 'only', skipped: [], pausedReason: null,
  });
});

test('a paused target is passed over for the next, and listed with its reason', () => {
  const r = rule({ to: [target('msk', 1, 3), target('spb', 1, 1)], fallback: target('spb', 2) });
  const isPaused = pausedWhere({ 'msk:1': 'connector inactive' });
  assert.deepEqual(pickTarget(r, new CountingStats(), isPaused), {
    target: target('spb', 1, 1), via: 'pick', skipped: [{ target: target('msk', 1, 3), why: 'paused', reason: 'connector inactive' }], pausedReason: null,
  });
  assert.deepEqual(split(r, 100, isPaused), { 'spb:1': 100 }, 'the open targets share the conversations');
});

test('every target paused: the fallback takes the conversation, paused or not', () => {
  const r = rule({ to: [target('msk', 3)], fallback: target('spb', 2) });
  const pick = pickTarget(r, new CountingStats(), pausedWhere({ 'msk:3': 'connector inactive' }));
  assert.deepEqual(pick, {
    target: target('spb', 2), via: 'fallback', skipped: [{ target: target('msk', 3), why: 'paused', reason: 'connector inactive' }], pausedReason: null,
  });
  const both = pickTarget(r, new CountingStats(), pausedWhere({ 'msk:3': 'connector inactive', 'spb:2': 'portal down' }));
  assert.equal(both.via, 'fallback');
  assert.deepEqual(both.target, target('spb', 2));
  assert.equal(both.pausedReason, 'portal down', 'held on the fallback with a visible reason, never dropped');
});

test('every target paused and no fallback: the first target, with all of them listed', () => {
  const r = rule({ to: [target('msk', 1, 3), target('spb', 1, 1)] });
  const pick = pickTarget(r, new CountingStats(), pausedWhere({ 'msk:1': 'a', 'spb:1': 'b' }));
  assert.deepEqual(pick, {
    target: target('msk', 1, 3),
    via: 'pick',
    skipped: [{ target: target('msk', 1, 3), why: 'paused', reason: 'a' }, { target: target('spb', 1, 1), why: 'paused', reason: 'b' }],
    pausedReason: 'a',
  });
});

test('a route without targets is a caller bug, refused with BRG_ERR_BAD_ROUTE', () => {
  assert.throws(() => pickTarget(rule({ to: [] }), new CountingStats(), nothingPaused), { code: 'BRG_ERR_BAD_ROUTE' });
});
