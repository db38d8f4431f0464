/**
 * Checks that span keys: unique ids, every portal with app credentials (routes
 * against bots and portals: src/domain/routing/check-routes.ts, after the shape
 * is valid). They read the merged
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

export function crossCheck(raw: Json): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const bots = list(raw.bots);
  const portals = list(raw.portals);
  const app = raw.bitrix24 !== null && typeof raw.bitrix24 === 'object' ? (raw.bitrix24 as Json) : {};
  duplicateIds(bots, 'bots', problems);
  duplicateIds(portals, 'portals', problems);
  portalCredentials(portals, app, problems);
  return problems;
}
