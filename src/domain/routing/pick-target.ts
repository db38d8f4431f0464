/**
 * Which of a route's targets a new conversation goes to. Deterministic, from counts the
 * caller supplies (no randomness, no state here): given the same counts the same target
 * comes out, so a replayed decision agrees with the first and a weighted split is exact
 * rather than right on average (2 000 conversations at 3:1 are 1 500 and 500).
 *
 * A paused target (its connector inactive, its portal down, switched off by an operator:
 * the caller says why) is passed over. When all are paused the conversation goes to the
 * route's fallback, paused or not, or else to the first target: it is never dropped. The
 * caller holds its messages there and shows the reason (`pausedReason`).
 */
import { BridgeError } from '../errors.ts';
import { BAD_ROUTE, type RouteRule, type RouteTarget } from './route-rule.ts';

/** Counts the caller keeps (the store): both are for the target as a whole, now. */
export interface TargetStats {
  /** Conversations the route (named second, for callers that keep counts per route) has sent to the target so far. */
  assigned(target: RouteTarget, route: string): number;
  /** Conversations open on the target's line now. */
  open(target: RouteTarget): number;
}

/** Why a target takes no new conversations now, or null when it does. */
export type PauseCheck = (target: RouteTarget) => string | null;

export interface SkippedTarget {
  target: RouteTarget;
  why: 'paused';
  /** The caller's pause reason (e.g. "connector inactive"). */
  reason: string;
}

export interface TargetPick {
  target: RouteTarget;
  /** `only`: the route has one target and it is open; `pick`: chosen among several (or, all paused and no fallback, the first); `fallback`: every target was paused. */
  via: 'pick' | 'fallback' | 'only';
  skipped: SkippedTarget[];
  /** Non-null when the chosen target is paused too (everything was): messages wait there, for this reason. */
  pausedReason: string | null;
}

interface Candidate {
  target: RouteTarget;
  assigned: number;
}

/** Whether `a` goes before `b` (earlier in the list wins ties: candidates arrive in list order). */
type Better = (a: Candidate, b: Candidate) => boolean;

function better(rule: Pick<RouteRule, 'pick' | 'name'>, stats: TargetStats): Better {
  switch (rule.pick) {
    case 'weight':
      // (assigned + 1) / weight, compared by cross-multiplying: whole numbers, no rounding.
      return (a, b) => (a.assigned + 1) * b.target.weight < (b.assigned + 1) * a.target.weight;
    case 'round_robin':
      return (a, b) => a.assigned < b.assigned;
    case 'fewest_open':
      return (a, b) => {
        const openA = stats.open(a.target);
        const openB = stats.open(b.target);
        return openA < openB || (openA === openB && a.assigned < b.assigned);
      };
  }
}

export function pickTarget(rule: Pick<RouteRule, 'name' | 'to' | 'pick' | 'fallback'>, stats: TargetStats, isPaused: PauseCheck): TargetPick {
  const skipped: SkippedTarget[] = [];
  const pool: Candidate[] = [];
  for (const target of rule.to) {
    const reason = isPaused(target);
    if (reason !== null) skipped.push({ target, why: 'paused', reason });
    else pool.push({ target, assigned: stats.assigned(target, rule.name) });
  }
  const first = pool[0];
  if (first === undefined) {
    if (rule.fallback) return { target: rule.fallback, via: 'fallback', skipped, pausedReason: isPaused(rule.fallback) };
    const head = skipped[0];
    if (head === undefined) throw new BridgeError(BAD_ROUTE, `route ${rule.name} has no targets`, { retryable: false });
    return { target: head.target, via: 'pick', skipped, pausedReason: head.reason };
  }
  const goesBefore = better(rule, stats);
  let best = first;
  for (const candidate of pool.slice(1)) if (goesBefore(candidate, best)) best = candidate;
  return { target: best.target, via: rule.to.length === 1 ? 'only' : 'pick', skipped, pausedReason: null };
}
