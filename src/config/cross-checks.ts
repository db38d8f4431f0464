/**
 * Checks that span keys: unique ids, routes that name existing bots and portals,
 * every portal with app credentials, every bot with a route. They read the merged
 * input defensively so that they report alongside the per-key errors, not after.
 */
import type { Json } from './env.ts';
import type { ConfigProblem } from './problem.ts';

const list = (value: unknown): Json[] =>
  Array.isArray(value) ? value.map((item) => (item !== null && typeof item === 'object' ? (item as Json) : {})) : [];
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function duplicateIds(items: Json[], section: string, problems: ConfigProblem[]): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const id = text(item.id);
    if (id === undefined) return;
    if (seen.has(id)) problems.push({ path: [section, i, 'id'], problem: `"${id}" is used twice in ${section}; fix: give each entry its own id` });
    seen.add(id);
  });
}

function portalCredentials(portals: Json[], app: Json, problems: ConfigProblem[]): void {
  const pairs = [['client_id', 'BITRIX24_CLIENT_ID'], ['client_secret', 'BITRIX24_CLIENT_SECRET']] as const;
  portals.forEach((portal, i) => {
    for (const [key, envName] of pairs) {
      if (portal[key] !== undefined || text(app[key]) !== undefined) continue;
      const problem = `is missing and bitrix24.${key} is not set either; fix: set ${envName} (one app for all portals) or ${key} in this portal's entry`;
      problems.push({ path: ['portals', i, key], problem });
    }
  });
}

function routeTargets(routes: Json[], botIds: Set<string>, portalIds: Set<string>, problems: ConfigProblem[]): void {
  routes.forEach((route, i) => {
    const bot = text(route.bot);
    const portal = text(route.portal);
    if (bot !== undefined && bot !== '*' && !botIds.has(bot)) {
      problems.push({ path: ['routes', i, 'bot'], problem: `no bot has the id "${bot}"; fix: use one of ${[...botIds].join(', ') || '(no bots yet)'} or "*"` });
    }
    if (portal !== undefined && !portalIds.has(portal)) {
      problems.push({ path: ['routes', i, 'portal'], problem: `no portal has the id "${portal}"; fix: use one of ${[...portalIds].join(', ') || '(no portals yet)'}` });
    }
  });
}

function unroutedBots(routes: Json[], portals: Json[], botIds: Set<string>, problems: ConfigProblem[]): void {
  // One portal and no routes: the default route sends every bot there (src/config/schema.ts).
  if (routes.length === 0 && portals.length > 1) {
    problems.push({ path: ['routes'], problem: `${portals.length} portals but no routes, so nothing says where conversations go; fix: add routes (- bot: <bot id or "*">, portal: <portal id>), see config/example.yaml` });
    return;
  }
  if (routes.length === 0 || routes.some((r) => r.bot === '*' || r.bot === undefined)) return;
  const routed = new Set(routes.map((r) => text(r.bot)));
  for (const bot of botIds) {
    if (!routed.has(bot)) problems.push({ path: ['routes'], problem: `bot "${bot}" has no route, so its conversations would go nowhere; fix: add "- bot: ${bot}" with its portal, or a route with bot: "*"` });
  }
}

export function crossCheck(raw: Json): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const bots = list(raw.bots);
  const portals = list(raw.portals);
  const routes = list(raw.routes);
  const app = raw.bitrix24 !== null && typeof raw.bitrix24 === 'object' ? (raw.bitrix24 as Json) : {};
  duplicateIds(bots, 'bots', problems);
  duplicateIds(portals, 'portals', problems);
  portalCredentials(portals, app, problems);
  const botIds = new Set(bots.map((b) => text(b.id)).filter((id) => id !== undefined));
  const portalIds = new Set(portals.map((p) => text(p.id)).filter((id) => id !== undefined));
  routeTargets(routes, botIds, portalIds, problems);
  unroutedBots(routes, portals, botIds, problems);
  return problems;
}
