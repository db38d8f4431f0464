/**
 * A route, as the routing engine runs it: conditions → targets. A route sends a new
 * conversation of a bot to one line (DESIGN.md); the conversation then stays on that
 * line (sticky), so routes are consulted once per conversation, never per message.
 *
 * Routes are tried in their configured order and the first whose conditions all hold
 * wins (src/domain/routing/decide-route.ts). A route with no conditions is a default:
 * it takes every conversation of its bots that no route above it took, which is why
 * every bot needs one (src/domain/routing/check-routes.ts) and why a route below a
 * default of the same bots can never match.
 *
 * These are the compiled forms: regexes compiled, hours parsed, names filled. The
 * configuration's own shape (snake_case, as the operator writes it) is
 * src/config/route-schema.ts, and `normalizeRoutes` there turns one into the other.
 */
import type { WorkingHours } from './working-hours.ts';

/** A MAX chat as routes tell them apart: a one-to-one dialog with the bot, or a group chat. */
export type ChatType = 'dialog' | 'chat';

/**
 * How a route with several targets chooses one:
 * - `weight` (default): keep each target's share of this route's conversations at its
 *   weight (3:1 → 75 % / 25 %), deterministically, from the counts the caller supplies;
 * - `round_robin`: the target this route sent fewest conversations to (equal shares);
 * - `fewest_open`: the target with the fewest conversations open now (least loaded).
 */
export type RoutePick = 'weight' | 'round_robin' | 'fewest_open';

/** The conditions a route can ask for, in the order they are checked and explained. */
export type RouteCondition = 'bot' | 'chat_type' | 'start_payload' | 'text' | 'text_contains' | 'language' | 'hours' | 'outside_hours' | 'tags';

/** One Open Line a route can send to. */
export interface RouteTarget {
  portalId: string;
  /** The line's numeric id in the portal; null: the portal's own line (`portals[].line_id`, or the one found or made). */
  lineId: number | null;
  /** Relative share under `pick: weight`, a whole number ≥ 1 (1 when not written or a single target). */
  weight: number;
}

/**
 * The compiled `when` of a route; null = not asked. Every condition given must hold.
 * Regexes carry their flags (src/domain/routing/route-patterns.ts): `text` matches
 * case-insensitively in any script ("ЖАЛОБА" matches "жалоб"), `start_payload` exactly.
 */
export interface RouteConditions {
  chatTypes: ChatType[] | null;
  startPayload: RegExp | null;
  text: RegExp | null;
  /** Plain substrings as written; any one of them found (case-insensitive) holds. */
  textContains: string[] | null;
  /** BCP 47 tags as written; compared on the primary subtag (`ru` holds for `ru-RU`). */
  languages: string[] | null;
  /** Holds inside the working hours (not on holidays). */
  hours: WorkingHours | null;
  /** Holds outside the working hours, holidays included. */
  outsideHours: WorkingHours | null;
  /**
   * Tags a check gave the conversation (docs/hooks.md, "Checks"), as written; holds when the
   * conversation has any one of them (compared case-insensitively).
   */
  tags: string[] | null;
}

/**
 * What a route does to a conversation's messages, passed through as written; the
 * transform step reads it (the routing engine only carries it to the decision).
 */
export interface RouteTransformConfig {
  /** The card the operator sees first, with {{placeholders}}; at most 1 000 characters. */
  card?: string;
  /** Put before each client message in the line; at most 200 characters. */
  prefix?: string;
  /** Put before each operator reply in MAX; at most 200 characters. */
  outbound_prefix?: string;
  /** A JavaScript module with a transform function (a file path). */
  module?: string;
  attachments?: {
    max_bytes?: number;
    allowed_types?: Array<'image' | 'video' | 'audio' | 'file' | 'sticker' | 'location' | 'contact'>;
    /** Sent instead of an attachment that is refused. */
    instead_text?: string;
  };
}

/** How a route's target was written, so a problem points at the key the operator wrote. */
export type RouteTargetForm = 'portal' | 'object' | 'list';

export interface RouteRule {
  /** Unique among the routes; `route-<position>` when not written. */
  name: string;
  /** 1-based place in `routes` (the route is `routes[position - 1]`); routes are tried in this order. */
  position: number;
  /** The bots whose conversations this route takes; '*' = any bot. */
  bots: string[] | '*';
  when: RouteConditions;
  /** At least one target. */
  to: RouteTarget[];
  pick: RoutePick;
  /** Where conversations go when every target is paused; null: they wait on the first target. */
  fallback: RouteTarget | null;
  transform: RouteTransformConfig | null;
  /** No `when` conditions at all: takes every conversation of its bots that reaches it. */
  isDefault: boolean;
  /** `portal` (top-level portal/line_id, the first config shape), `object` (to: {…}) or `list` (to: [- …]). */
  targetForm: RouteTargetForm;
}

/** Raised when a route given to the engine is malformed (a caller's bug: the schema refuses these). */
export const BAD_ROUTE = 'BRG_ERR_BAD_ROUTE';

/** `msk:3`, or `msk` for the portal's own line: how problems and explanations name a target. */
export function targetLabel(target: Pick<RouteTarget, 'portalId' | 'lineId'>): string {
  return target.lineId === null ? target.portalId : `${target.portalId}:${target.lineId}`;
}

/** Whether a route takes conversations of `botId` at all (before its `when`). */
export function routeCoversBot(rule: Pick<RouteRule, 'bots'>, botId: string): boolean {
  return rule.bots === '*' || rule.bots.includes(botId);
}
