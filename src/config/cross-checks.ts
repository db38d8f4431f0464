/**
 * Checks that span keys: unique ids, every portal with app credentials (routes
 * against bots and portals: src/domain/routing/check-routes.ts, after the shape
 * is valid). They read the merged
 * input defensively so that they report alongside the per-key errors, not after.
 */
import type { Json } from './env.ts';
import { DEFAULT_CRM_MODE } from './crm-schema.ts';
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

const BRIDGE_MODES = new Set(['lead', 'contact_deal']);

/** The lines a route writes as its targets and fallback: `portal:line` (`portal:` for the portal's own line). */
function routeLines(route: Json): string[] {
  const targets = [...(Array.isArray(route.to) ? list(route.to) : route.to && typeof route.to === 'object' ? [route.to as Json] : []),
    ...(route.fallback && typeof route.fallback === 'object' ? [route.fallback as Json] : [])];
  if (text(route.portal)) targets.push({ portal: route.portal, line_id: route.line_id });
  return targets.flatMap((t) => (text(t.portal) ? [`${String(t.portal)}:${t.line_id === undefined ? '' : String(t.line_id)}`] : []));
}

/**
 * A line either creates CRM objects itself (`crm.mode: line`) or leaves it to the bridge (lead,
 * contact_deal: the bridge switches the line's creation off). Routes that disagree about one
 * line would leave the `line` route's conversations with nothing, or get duplicates.
 */
function crmModesPerLine(routes: Json[], defaults: Json, problems: ConfigProblem[]): void {
  const defaultMode = text(defaults.mode) ?? DEFAULT_CRM_MODE;
  const byLine = new Map<string, { index: number; name: string; mode: string }>();
  routes.forEach((route, i) => {
    const crm = route.crm && typeof route.crm === 'object' ? (route.crm as Json) : {};
    const mode = text(crm.mode) ?? defaultMode;
    if (mode === 'none') return;
    const name = text(route.name) ?? `route-${i + 1}`;
    for (const line of routeLines(route)) {
      const first = byLine.get(line);
      if (!first) {
        byLine.set(line, { index: i, name, mode });
        continue;
      }
      if (BRIDGE_MODES.has(first.mode) !== BRIDGE_MODES.has(mode)) {
        problems.push({ path: ['routes', i, 'crm', 'mode'], problem: `is ${mode}, but routes[${first.index}] (${first.name}) sends to the same line ${line.replace(/:$/, ' (its own line)')} with crm.mode ${first.mode}: a line either creates CRM objects itself (line) or leaves it to the bridge (lead, contact_deal); fix: give both routes the same kind of crm.mode, or send them to different lines` });
      }
    }
  });
}

/** Webhooks are named in the delivery log (their `name`, else their URL's host), checks by `name`: each must be unique. */
function hookNames(hooks: Json, problems: ConfigProblem[]): void {
  const seen = new Set<string>();
  list(hooks.webhooks).forEach((w, i) => {
    let name = text(w.name);
    if (name === undefined && text(w.url) !== undefined) {
      try {
        name = new URL(String(w.url)).host.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
      } catch {
        return;
      }
    }
    if (name === undefined) return;
    if (seen.has(name)) problems.push({ path: ['hooks', 'webhooks', i, 'name'], problem: `"${name}" names two webhooks (a webhook without a name is named after its URL's host); fix: give each its own name, e.g. name: erp-orders` });
    seen.add(name);
  });
  const checks = new Set<string>();
  list(hooks.checks).forEach((c, i) => {
    const name = text(c.name);
    if (name === undefined) return;
    if (checks.has(name)) problems.push({ path: ['hooks', 'checks', i, 'name'], problem: `"${name}" is used twice in hooks.checks; fix: give each check its own name` });
    checks.add(name);
  });
}

export function crossCheck(raw: Json): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const bots = list(raw.bots);
  const portals = list(raw.portals);
  const app = raw.bitrix24 !== null && typeof raw.bitrix24 === 'object' ? (raw.bitrix24 as Json) : {};
  duplicateIds(bots, 'bots', problems);
  crmModesPerLine(list(raw.routes), raw.crm !== null && typeof raw.crm === 'object' ? (raw.crm as Json) : {}, problems);
  duplicateIds(portals, 'portals', problems);
  portalCredentials(portals, app, problems);
  hookNames(raw.hooks !== null && typeof raw.hooks === 'object' ? (raw.hooks as Json) : {}, problems);
  return problems;
}
