/**
 * The router: which line a new conversation goes to (docs/configuration.md,
 * "Routes"). The rules are pure (src/domain/routing/); this reads what they
 * need from the store — each target's line (a route's `line_id`, or the
 * portal's own line as the setup recorded it), whether it takes conversations
 * (a line paused: connector switched off, deleted, app uninstalled, could not
 * be set up; or not set up yet) and how many conversations each target holds —
 * and answers with the line and a record of why, kept on the conversation.
 *
 * Never a guess and never a silent drop: a target whose line is paused is
 * passed over for the next, then for the route's fallback, and the operator on
 * the line it lands on is told why (`notice`); when even that line is paused
 * the conversation waits there, and /ready says so. A target whose portal has
 * not been set up yet (no own line recorded) makes the decision wait
 * (`not-set-up`): the message is retried until the setup job has run.
 */
import { decideRoute, type RouteDecision } from '../domain/routing/decide-route.ts';
import { matchRoute } from '../domain/routing/match-route.ts';
import { pickTarget } from '../domain/routing/pick-target.ts';
import { describeDecision } from '../domain/routing/describe-decision.ts';
import { targetLabel, type RouteRule, type RouteTarget } from '../domain/routing/route-rule.ts';
import type { RoutingInput } from '../domain/routing/routing-input.ts';
import { makeLineRef, parsePortalId, type LineRef } from '../domain/ids.ts';
import type { Store } from '../store/open-store.ts';
import type { RouteChoice } from '../store/repos/conversation-repo.ts';

export interface RouterDeps {
  store: Store;
  /** The routes in force (a reload swaps them: new conversations take the new ones). */
  rules: () => readonly RouteRule[];
  nowMs: () => number;
  /** Since when a portal has been unreachable (its calls held: side-hold.ts), or null. */
  portalDownSinceMs?: (portalId: string) => number | null;
  /** A portal unreachable this long takes no new conversations (`bitrix24.route_around_after_ms`). */
  routeAroundAfterMs?: number;
}

/** What a conversation keeps of its routing decision (`conversations.route_json`). */
export interface RouteRecord {
  route: string;
  /** `<portal>:<line>`. */
  line: string;
  via: RouteDecision['via'] | 'moved';
  /** The decision in words, Russian then English (describeDecision). */
  why: { ru: string[]; en: string[] };
  atMs: number;
}

export type RouteOutcome =
  | { kind: 'routed'; choice: RouteChoice; record: RouteRecord; decision: RouteDecision; notice: string | null }
  /** A target's portal has no line recorded yet (its setup job has not run): try again later. */
  | { kind: 'not-set-up'; portalId: string }
  | { kind: 'no-route' };

const NOT_SET_UP = 'линия ещё не подключена / the line is not set up yet';

export class Router {
  constructor(private readonly deps: RouterDeps) {}

  /** The line of a target: its own `line_id`, or the portal's own line; null before the portal's setup. */
  async lineRefOf(target: Pick<RouteTarget, 'portalId' | 'lineId'>): Promise<LineRef | null> {
    const portalId = parsePortalId(target.portalId);
    if (target.lineId !== null) return makeLineRef(portalId, target.lineId);
    const own = await this.deps.store.lines.latestOf(portalId);
    return own === null ? null : makeLineRef(portalId, own.lineId);
  }

  /** The route in force with this name (a check's answer may name one: src/bridge/checks/), or undefined. */
  rule(name: string): RouteRule | undefined {
    return this.deps.rules().find((r) => r.name === name);
  }

  /** Where a new conversation (or one whose session closed) goes now, and why. Reads; changes nothing. */
  async decide(input: RoutingInput): Promise<RouteOutcome> {
    const rules = this.deps.rules();
    const probe = decideRoute(rules, input, { assigned: () => 0, open: () => 0 }, () => null);
    if (probe === null) return { kind: 'no-route' };
    const rule = rules.find((r) => r.name === probe.route) as RouteRule;
    return this.pickIn(rule, input, probe.considered.slice(0, -1));
  }

  /**
   * Where `rule` sends a conversation now, its conditions not asked (a conversation moved to
   * the route by hand: conversation-move.ts). `before`: routes tried first, for the record.
   */
  async pickIn(rule: RouteRule, input: RoutingInput, before: RouteDecision['considered'] = []): Promise<RouteOutcome> {
    // What the rule's targets need, read before the (synchronous) decision.
    const refs = new Map<string, LineRef | null>();
    const paused = new Map<string, string | null>();
    const assigned = new Map<string, number>();
    const open = new Map<string, number>();
    const key = (t: Pick<RouteTarget, 'portalId' | 'lineId'>) => targetLabel(t);
    for (const target of [...rule.to, ...(rule.fallback ? [rule.fallback] : [])]) {
      const k = key(target);
      if (refs.has(k)) continue;
      const ref = await this.lineRefOf(target);
      refs.set(k, ref);
      if (ref === null) {
        paused.set(k, NOT_SET_UP);
        continue;
      }
      const state = await this.deps.store.lines.stateWithReason(ref);
      paused.set(k, state === null ? NOT_SET_UP : state.state === 'paused' ? state.pausedReason ?? 'paused' : this.unreachable(target.portalId));
      assigned.set(k, await this.deps.store.conversations.countRouted(rule.name, ref));
      open.set(k, await this.deps.store.conversations.countOpen(ref));
    }
    const picked = pickTarget(rule, {
      assigned: (t) => assigned.get(key(t)) ?? 0,
      open: (t) => open.get(key(t)) ?? 0,
    }, (t) => paused.get(key(t)) ?? null);
    // The routes tried before this one belong to the record too.
    const decision: RouteDecision = {
      route: rule.name, target: picked.target, via: picked.via, pick: rule.pick, skipped: picked.skipped, pausedReason: picked.pausedReason,
      considered: [...before, { route: rule.name, matched: true, checks: matchRoute(rule, input).checks }],
    };
    const lineRef = refs.get(key(decision.target)) ?? null;
    if (lineRef === null) return { kind: 'not-set-up', portalId: decision.target.portalId };
    const record: RouteRecord = {
      route: decision.route, line: key(decision.target), via: decision.via,
      why: { ru: describeDecision(decision, 'ru'), en: describeDecision(decision, 'en') }, atMs: this.deps.nowMs(),
    };
    // Told only where the conversation landed elsewhere: on a paused line itself it just waits (/ready says so).
    const landedElsewhere = decision.skipped.length > 0 && !decision.skipped.some((s) => key(s.target) === key(decision.target));
    const notice = landedElsewhere ? routedAroundText(decision) : null;
    return { kind: 'routed', choice: { lineRef, routeName: decision.route, routeJson: JSON.stringify(record) }, record, decision, notice };
  }

  /** Why a portal takes no new conversations: unreachable longer than routeAroundAfterMs; else null. */
  private unreachable(portalId: string): string | null {
    const sinceMs = this.deps.portalDownSinceMs?.(portalId) ?? null;
    const afterMs = this.deps.routeAroundAfterMs;
    if (sinceMs === null || afterMs === undefined) return null;
    const downMs = this.deps.nowMs() - sinceMs;
    return downMs >= afterMs ? `портал недоступен ${Math.round(downMs / 60_000)} мин / portal unreachable for ${Math.round(downMs / 60_000)} min` : null;
  }
}

/** What the operator on the line sees when a conversation came to it because another line was paused. */
export function routedAroundText(decision: RouteDecision): string {
  const skipped = decision.skipped.map((s) => `${targetLabel(s.target)} (${s.reason})`).join(', ');
  const where = decision.via === 'fallback' ? 'запасную линию' : 'линию';
  return `[b]Маршрут «${decision.route}»:[/b] ${skipped ? `линия ${skipped} сейчас не принимает диалоги — ` : ''}диалог направлен на ${where} ${targetLabel(decision.target)}.`
    + (decision.pausedReason ? ` Эта линия тоже приостановлена (${decision.pausedReason}): сообщения ждут, пока её не восстановят.` : '');
}

/** A conversation's stored record (null when routed before records were kept, or unreadable). */
export function routeRecordOf(json: string | null): RouteRecord | null {
  if (!json) return null;
  try {
    const parsed = JSON.parse(json) as RouteRecord;
    return typeof parsed.route === 'string' && typeof parsed.line === 'string' ? parsed : null;
  } catch {
    return null;
  }
}
