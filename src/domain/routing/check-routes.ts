/**
 * Checks across routes, and between routes and the bots and portals configured, that no
 * single route can see: ids that name nothing, a name used twice, a bot whose
 * conversations could match no route, and a route that can never match because a
 * default route above it takes all its conversations. Each problem has the config path
 * of the key to change (`routes[2].to[1].portal`) and says what to write instead.
 */
import { routeCoversBot, type RouteRule, type RouteTarget } from './route-rule.ts';

export interface RouteProblem {
  path: Array<string | number>;
  message: string;
}

export interface ConfiguredIds {
  botIds: readonly string[];
  portalIds: readonly string[];
}

const listOr = (ids: readonly string[], none: string) => (ids.length === 0 ? none : ids.join(', '));

function targetPaths(rule: RouteRule): Array<Array<string | number>> {
  const at = rule.position - 1;
  if (rule.targetForm === 'portal') return [['routes', at, 'portal']];
  if (rule.targetForm === 'object') return [['routes', at, 'to', 'portal']];
  return rule.to.map((_, i) => ['routes', at, 'to', i, 'portal']);
}

function unknownIds(rule: RouteRule, ids: ConfiguredIds, problems: RouteProblem[]): void {
  const at = rule.position - 1;
  const portalFix = `fix: use one of ${listOr(ids.portalIds, '(no portals yet: add one under portals)')}`;
  const badPortal = (target: RouteTarget, path: Array<string | number>) => {
    if (!ids.portalIds.includes(target.portalId)) problems.push({ path, message: `no portal has the id "${target.portalId}"; ${portalFix}` });
  };
  if (rule.bots !== '*') {
    rule.bots.forEach((bot, i) => {
      if (ids.botIds.includes(bot)) return;
      const path = rule.bots.length === 1 ? ['routes', at, 'bot'] : ['routes', at, 'bot', i];
      problems.push({ path, message: `no bot has the id "${bot}"; fix: use one of ${listOr(ids.botIds, '(no bots yet)')} or "*" (any bot)` });
    });
  }
  const paths = targetPaths(rule);
  rule.to.forEach((target, i) => badPortal(target, paths[i] ?? ['routes', at, 'to']));
  if (rule.fallback) badPortal(rule.fallback, ['routes', at, 'fallback', 'portal']);
}

function duplicateNames(rules: readonly RouteRule[], problems: RouteProblem[]): void {
  const first = new Map<string, RouteRule>();
  for (const rule of rules) {
    const earlier = first.get(rule.name);
    if (earlier) {
      problems.push({ path: ['routes', rule.position - 1, 'name'], message: `"${rule.name}" is already the name of routes[${earlier.position - 1}]; fix: give each route its own name` });
    } else first.set(rule.name, rule);
  }
}

function missingDefaults(rules: readonly RouteRule[], ids: ConfiguredIds, problems: RouteProblem[]): void {
  const example = `to: { portal: ${ids.portalIds[0] ?? '<portal id>'}, line_id: <line number> }`;
  for (const bot of ids.botIds) {
    if (rules.some((rule) => rule.isDefault && routeCoversBot(rule, bot))) continue;
    problems.push({
      path: ['routes'],
      message: `bot ${bot} has no default route, so a conversation no condition matches would go nowhere; fix: add a route without \`when\` at the end (e.g. \`- name: default\n  ${example}\`)`,
    });
  }
}

/** The earlier default routes that together take every conversation `rule` could match; null if some escape them. */
function blockersOf(rule: RouteRule, defaults: readonly RouteRule[], botIds: readonly string[]): RouteRule[] | null {
  const anyBot = defaults.find((d) => d.bots === '*');
  if (anyBot) return [anyBot];
  // A route for any bot is cut off only when every configured bot has a default above it.
  const bots = rule.bots === '*' ? botIds : rule.bots;
  if (bots.length === 0) return null;
  const blockers: RouteRule[] = [];
  for (const bot of bots) {
    const blocker = defaults.find((d) => routeCoversBot(d, bot));
    if (!blocker) return null;
    if (!blockers.includes(blocker)) blockers.push(blocker);
  }
  return blockers;
}

function unreachable(rules: readonly RouteRule[], ids: ConfiguredIds, problems: RouteProblem[]): void {
  rules.forEach((rule, i) => {
    const blockers = blockersOf(rule, rules.slice(0, i).filter((r) => r.isDefault), ids.botIds);
    if (blockers === null) return;
    const names = blockers.map((d) => `"${d.name}"`).join(', ');
    const what = blockers.length === 1 ? `the default route ${names} above it has` : `the default routes ${names} above it have`;
    problems.push({
      path: ['routes', rule.position - 1],
      message: `route "${rule.name}" can never match: ${what} no conditions and take${blockers.length === 1 ? 's' : ''} all its conversations; fix: move "${rule.name}" above ${blockers.length === 1 ? 'it' : 'them'}`,
    });
  });
}

/** Every problem found, in config order within each kind; empty when the routes are sound. */
export function checkRoutes(rules: readonly RouteRule[], ids: ConfiguredIds): RouteProblem[] {
  const problems: RouteProblem[] = [];
  for (const rule of rules) unknownIds(rule, ids, problems);
  duplicateNames(rules, problems);
  missingDefaults(rules, ids, problems);
  unreachable(rules, ids, problems);
  return problems;
}
