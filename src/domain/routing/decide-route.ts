/**
 * The routing decision for a new conversation: the first route, in configured order,
 * whose conditions all hold, then one of its targets (src/domain/routing/pick-target.ts).
 * The decision carries every route it looked at and why each did or did not match, so
 * "why did this conversation land on that line" is answered from the record, not
 * reconstructed later against a configuration that may have changed.
 */
import { matchRoute, type RouteCheck } from './match-route.ts';
import { pickTarget, type PauseCheck, type SkippedTarget, type TargetPick, type TargetStats } from './pick-target.ts';
import type { RoutePick, RouteRule, RouteTarget } from './route-rule.ts';
import type { RoutingInput } from './routing-input.ts';

export interface ConsideredRoute {
  route: string;
  matched: boolean;
  checks: RouteCheck[];
}

export interface RouteDecision {
  /** The name of the route that matched. */
  route: string;
  target: RouteTarget;
  via: TargetPick['via'];
  /** How the route chooses among its targets. */
  pick: RoutePick;
  /** The routes tried, in order, ending with the one that matched. */
  considered: ConsideredRoute[];
  skipped: SkippedTarget[];
  /** Non-null when the chosen target is paused too: messages wait there, for this reason. */
  pausedReason: string | null;
}

/**
 * Null when no route matches: it cannot happen once checkRoutes passes (every bot has a
 * default route), but the engine does not rely on that.
 */
export function decideRoute(rules: readonly RouteRule[], input: RoutingInput, stats: TargetStats, isPaused: PauseCheck): RouteDecision | null {
  const considered: ConsideredRoute[] = [];
  for (const rule of rules) {
    const { matched, checks } = matchRoute(rule, input);
    considered.push({ route: rule.name, matched, checks });
    if (!matched) continue;
    const { target, via, skipped, pausedReason } = pickTarget(rule, stats, isPaused);
    return { route: rule.name, target, via, pick: rule.pick, considered, skipped, pausedReason };
  }
  return null;
}
