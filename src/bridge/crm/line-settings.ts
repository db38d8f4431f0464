/**
 * Whether the line a bridge-driven route sends to creates CRM objects itself (CRM=Y and
 * CRM_CREATE other than none). The bridge switches creation off on such lines when it sets
 * them up (setup.ts); someone may switch it back on. Then the bridge must not create beside
 * the line: the session adopts the line's object, and the log says how to fix the line.
 * Read once a minute per line.
 */
import type { CrmSession } from './context.ts';

const CACHE_MS = 60_000;

/** What was read of each line (`<portal>:<line>`), per bridge (CrmDeps.lineSettings). */
export type LineSettingsCache = Map<string, { createsItself: boolean; atMs: number }>;

export async function lineCreatesItself(s: CrmSession): Promise<boolean> {
  const key = `${s.portalId}:${s.lineId}`;
  const nowMs = s.deps.nowMs();
  const seen = s.deps.lineSettings;
  const cached = seen.get(key);
  if (cached && nowMs - cached.atMs < CACHE_MS) return cached.createsItself;
  const config = await s.crm.lineConfig(s.lineId);
  const createsItself = String(config.CRM ?? 'N') === 'Y' && !['none', ''].includes(String(config.CRM_CREATE ?? 'none'));
  seen.set(key, { createsItself, atMs: nowMs });
  if (createsItself) {
    s.log.warn({ portalId: s.portalId, lineId: s.lineId, crmCreate: config.CRM_CREATE },
      `line ${s.lineId} creates CRM objects itself, so the bridge adopts them instead of creating (crm.mode ${s.policy.mode}); fix: set the line's CRM "create" option to "do not create" (CRM_CREATE=none) in the line's CRM settings`);
  }
  return createsItself;
}
