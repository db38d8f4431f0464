/** Shared builders for the routing engine tests: rules without the config schema, moments as UTC wall times. */
import type { RouteConditions, RouteRule, RouteTarget } from '../../../../src/domain/routing/route-rule.ts';
import type { RoutingInput } from '../../../../src/domain/routing/routing-input.ts';
import type { TargetStats } from '../../../../src/domain/routing/pick-target.ts';
import { targetLabel } from '../../../../src/domain/routing/route-rule.ts';
import { parseWorkingHours, type WorkingHours, type WorkingHoursSpec } from '../../../../src/domain/routing/working-hours.ts';

export const NO_CONDITIONS: RouteConditions = {
  chatTypes: null, startPayload: null, text: null, textContains: null, languages: null, hours: null, outsideHours: null, tags: null,
};

export function target(portalId: string, lineId: number | null, weight = 1): RouteTarget {
  return { portalId, lineId, weight };
}

export function rule(over: Partial<Omit<RouteRule, 'when'>> & { when?: Partial<RouteConditions> } = {}): RouteRule {
  const when = { ...NO_CONDITIONS, ...over.when };
  return {
    name: 'r', position: 1, bots: '*', to: [target('msk', 1)], pick: 'weight', fallback: null, transform: null, targetForm: 'object',
    ...over,
    when,
    isDefault: over.isDefault ?? Object.values(when).every((c) => c === null),
  };
}

export function hours(spec: WorkingHoursSpec): WorkingHours {
  const parsed = parseWorkingHours(spec);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('; '));
  return parsed.hours;
}

/** ms of a UTC wall time: utc('2026-03-27T06:30') (Moscow is 3 h ahead, all year). */
export const utc = (iso: string): number => Date.parse(`${iso}:00Z`);

/** 2026-03-27 is a Friday; 10:30 in Moscow. */
export const FRIDAY_MORNING_MSK = utc('2026-03-27T07:30');

export function input(over: Partial<RoutingInput> = {}): RoutingInput {
  return { botId: 'sales', chatType: 'dialog', startPayload: null, firstText: null, language: null, nowMs: FRIDAY_MORNING_MSK, ...over };
}

/** Counts a test keeps, as the store would: `assigned` grows with each pick the test records. */
export class CountingStats implements TargetStats {
  readonly assignedBy = new Map<string, number>();
  readonly openBy = new Map<string, number>();
  assigned(t: RouteTarget): number {
    return this.assignedBy.get(targetLabel(t)) ?? 0;
  }
  open(t: RouteTarget): number {
    return this.openBy.get(targetLabel(t)) ?? 0;
  }
  record(t: RouteTarget): void {
    this.assignedBy.set(targetLabel(t), this.assigned(t) + 1);
  }
}

export const nothingPaused = (): string | null => null;

/** Pauses the targets named `portal:line` with the given reasons. */
export function pausedWhere(reasons: Record<string, string>) {
  return (t: RouteTarget): string | null => reasons[targetLabel(t)] ?? null;
}
