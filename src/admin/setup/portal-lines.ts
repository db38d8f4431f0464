/**
 * Portals on the Setup page: each configured portal's install addresses (what the Bitrix24
 * local application is given), whether the app is installed, the portal's Open Lines
 * (`imopenlines.config.list.get` through its client) and choosing the line MAX clients write to.
 *
 * Choosing a line does what picking it in the Contact Center does (bitrix24-settings.ts): a
 * `bitrix24.setup` job for that line (connector activated on it, its data set, the line
 * recorded as the portal's and its conversations moved to it), waited for a little. A line
 * fixed in the configuration (`portals[].line_id` or `bitrix24.line_id`) is changed where it is
 * fixed: in CONFIG_FILE when the bridge may write it and the file lists the portal (then the
 * configuration is reloaded), else the YAML or the variable to change is shown.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { parsePortalId } from '../../domain/ids.ts';
import { settledJob, SETTINGS_SETUP_WAIT_MS } from '../../http/plugins/bitrix24-settings.ts';
import { codeOf } from '../../log/logger.ts';
import { BITRIX24_SETUP_JOB, portalSetupQueue } from '../../queue/job-kinds.ts';
import type { AdminUiDeps } from '../deps.ts';
import { configPlaceOf } from './config-place.ts';
import { fileListsPortal, portalLineYaml, withPortalLine } from './config-yaml.ts';
import type { AdminSetupDeps } from './setup-deps.ts';

type Deps = Pick<AdminUiDeps, 'store' | 'config' | 'log' | 'poke' | 'nowMs'> & { setup: AdminSetupDeps };

/** An Open Line of a portal as the Setup page lists it. */
export interface PortalLine {
  id: number;
  name: string;
  /** The line itself is switched on in Bitrix24. */
  active: boolean;
  /** Our connector is active on it (as the bridge's setup recorded it). */
  connected: boolean;
}

export interface PortalSetupView {
  id: string;
  /** portals[].url, when configured. */
  url: string | null;
  /** What the local application is given as its handler and initial installation path. */
  installUrl: string;
  /** The app's install on the portal (its domain), or null when not installed (or uninstalled). */
  installed: { domain: string } | null;
  /** The line fixed in the configuration, or null when it is picked (here or in the Contact Center). */
  pinnedLineId: number | null;
  /** The portal's own line as the setup recorded it. */
  ownLine: { lineId: number; active: boolean } | null;
  /** The portal's Open Lines; null when not installed; `error`: the code of why they could not be read. */
  lines: PortalLine[] | { error: string } | null;
}

/** How long listing a portal's lines may take before the page shows without them. */
const LIST_TIMEOUT_MS = 10_000;

/** The install address of a portal (bitrix24-install.ts serves it, both the event and the page form). */
export function installUrlOf(publicUrl: string, portalId: string): string {
  return `${publicUrl}/bitrix24/install/${portalId}`;
}

async function listLines(deps: Deps, portalId: string): Promise<PortalLine[] | { error: string }> {
  const client = deps.setup.bitrixFor(portalId);
  if (!client) return { error: 'BRG_ERR_NOT_FOUND' };
  try {
    const rows = await client.call<Array<{ ID: string | number; LINE_NAME?: string; ACTIVE?: string }>>(
      portalId, 'imopenlines.config.list.get', { PARAMS: { select: ['ID', 'LINE_NAME', 'ACTIVE'] } }, { idempotent: true, signal: AbortSignal.timeout(LIST_TIMEOUT_MS) },
    );
    const connected = new Set(await deps.store.lines.activeLineIds(parsePortalId(portalId)));
    return (Array.isArray(rows) ? rows : []).map((r) => ({ id: Number(r.ID), name: r.LINE_NAME ?? '', active: r.ACTIVE !== 'N', connected: connected.has(Number(r.ID)) }))
      .filter((l) => Number.isInteger(l.id) && l.id > 0).sort((a, b) => a.id - b.id);
  } catch (err) {
    deps.log.info({ err, code: codeOf(err), portalId }, 'the Setup page could not list the portal\'s open lines');
    return { error: codeOf(err) };
  }
}

/** Every configured portal as the Setup page shows it; without `setup` (a bridge that cannot change anything) its lines are not read. */
export async function portalSetupViews(deps: Omit<Deps, 'setup'> & { setup?: AdminSetupDeps }): Promise<PortalSetupView[]> {
  const config = deps.config();
  const setup = deps.setup;
  const publicUrl = setup?.publicUrl() ?? config.server.public_url ?? '';
  return Promise.all(config.portals.map(async (p): Promise<PortalSetupView> => {
    const portalId = parsePortalId(p.id);
    const tokens = await deps.store.portals.load(p.id).catch(() => null);
    return {
      id: p.id, url: p.url ?? null, installUrl: installUrlOf(publicUrl, p.id),
      installed: tokens ? { domain: tokens.domain } : null,
      pinnedLineId: p.line_id ?? null,
      ownLine: await deps.store.lines.latestOf(portalId),
      lines: tokens && setup ? await listLines({ ...deps, setup }, p.id) : null,
    };
  }));
}

export type ChooseLineOutcome =
  | { kind: 'invalid' }
  | { kind: 'unknown-portal'; portalId: string }
  | { kind: 'not-installed'; portalId: string }
  | { kind: 'lines-unavailable'; portalId: string; code: string }
  | { kind: 'no-such-line'; portalId: string; lineId: number }
  /** Fixed in the configuration where the bridge cannot change it: what to change, by hand. */
  | { kind: 'pinned'; portalId: string; lineId: number; configuredLineId: number; paste: { yaml: string; file: string } | { envLine: string } }
  /** Written to CONFIG_FILE but not applied (no reload here, or the reload refused it). */
  | { kind: 'written-restart'; portalId: string; lineId: number; writtenTo: string; reloadErrors: string[] }
  | { kind: 'config-refused'; portalId: string; errors: string[] }
  | { kind: 'activated'; portalId: string; lineId: number; previousLineId: number | null; writtenTo: string | null }
  | { kind: 'failed'; portalId: string; lineId: number; code: string }
  | { kind: 'pending'; portalId: string; lineId: number; lastErrorCode: string | null };

/** One choice at a time (the file and the portal's setup queue). */
let serial: Promise<unknown> = Promise.resolve();

export function chooseLine(deps: Deps, portalIdInput: string, lineIdInput: string, by: string): Promise<ChooseLineOutcome> {
  const run = serial.then(() => chooseLineNow(deps, portalIdInput, lineIdInput, by));
  serial = run.catch(() => undefined);
  return run;
}

async function chooseLineNow(deps: Deps, portalIdInput: string, lineIdInput: string, by: string): Promise<ChooseLineOutcome> {
  const lineId = /^\d{1,9}$/.test(lineIdInput.trim()) ? Number(lineIdInput.trim()) : Number.NaN;
  if (!Number.isInteger(lineId) || lineId <= 0) return { kind: 'invalid' };
  const portal = deps.config().portals.find((p) => p.id === portalIdInput);
  if (!portal) return { kind: 'unknown-portal', portalId: portalIdInput.slice(0, 63) };
  const portalId = portal.id;
  if (!(await deps.store.portals.load(portalId))) return { kind: 'not-installed', portalId };
  const lines = await listLines(deps, portalId);
  if (!Array.isArray(lines)) return { kind: 'lines-unavailable', portalId, code: lines.error };
  if (!lines.some((l) => l.id === lineId)) return { kind: 'no-such-line', portalId, lineId };
  let writtenTo: string | null = null;
  const configuredLineId = portal.line_id ?? null;
  if (configuredLineId !== null && configuredLineId !== lineId) {
    const changed = await changePinnedLine(deps, portalId, lineId, configuredLineId);
    if (changed.kind !== 'applied') return changed;
    writtenTo = changed.writtenTo;
  }
  const before = await deps.store.lines.latestOf(parsePortalId(portalId));
  const recorded = await deps.store.events.record({
    source: `admin-setup:${portalId}`, kind: 'SETUP_LINE', dedupeKey: `line:${lineId}:${deps.nowMs()}`, raw: JSON.stringify({ line: lineId, by }),
    jobs: [{ kind: BITRIX24_SETUP_JOB, conversationKey: portalSetupQueue(portalId), resourceKey: `portal:${portalId}`, payload: { portalId, lineId } }],
  });
  deps.poke();
  deps.log.info({ portalId, lineId, by }, 'a line was chosen on the Setup page; the portal\'s setup runs for it');
  const jobId = recorded.jobIds[0];
  const job = jobId === undefined ? undefined : await settledJob(deps.store.jobs, jobId, deps.setup.setupWaitMs ?? SETTINGS_SETUP_WAIT_MS);
  if (job?.state === 'done') return { kind: 'activated', portalId, lineId, previousLineId: before && before.lineId !== lineId ? before.lineId : null, writtenTo };
  if (job?.state === 'dead') return { kind: 'failed', portalId, lineId, code: job.last_error_code ?? 'BRG_ERR_INTERNAL' };
  return { kind: 'pending', portalId, lineId, lastErrorCode: job?.last_error_code ?? null };
}

type PinChange = { kind: 'applied'; writtenTo: string } | Extract<ChooseLineOutcome, { kind: 'pinned' | 'written-restart' | 'config-refused' }>;

/** The line fixed in the configuration, changed where it is fixed (the file, reloaded), or what to change by hand. */
async function changePinnedLine(deps: Deps, portalId: string, lineId: number, configuredLineId: number): Promise<PinChange> {
  const place = configPlaceOf(deps.setup.configFile);
  let text: string | null = null;
  if (place.kind === 'file') {
    try {
      text = readFileSync(place.path, 'utf8');
    } catch (err) {
      return { kind: 'config-refused', portalId, errors: [`CONFIG_FILE: cannot read it (${codeOf(err)})`] };
    }
  }
  const listed = text !== null && fileListsPortal(text, portalId);
  if (place.kind !== 'file' || !listed || text === null) {
    // The portal comes from BITRIX24_CLIENT_ID (no entry in a file): its line from BITRIX24_LINE_ID.
    return { kind: 'pinned', portalId, lineId, configuredLineId, paste: { envLine: `BITRIX24_LINE_ID=${lineId}` } };
  }
  const paste = { yaml: portalLineYaml(portalId, lineId), file: place.path };
  if (!place.writable) return { kind: 'pinned', portalId, lineId, configuredLineId, paste };
  const next = withPortalLine(text, portalId, lineId);
  if (next === null) return { kind: 'pinned', portalId, lineId, configuredLineId, paste };
  const env = deps.setup.env;
  const trial = loadConfig({ ...env, CONFIG_FILE: place.path }, (p) => (resolve(p) === place.path ? next : readFileSync(p, 'utf8')));
  if (!trial.ok) return { kind: 'config-refused', portalId, errors: trial.errors };
  try {
    writeFileSync(place.path, next);
  } catch (err) {
    deps.log.warn({ err, code: codeOf(err), file: place.path }, 'CONFIG_FILE could not be written from the Setup page; its YAML is shown to paste');
    return { kind: 'pinned', portalId, lineId, configuredLineId, paste };
  }
  deps.log.info({ portalId, lineId, file: place.path }, 'a portal\'s line was changed in CONFIG_FILE from the Setup page');
  const reload = deps.setup.reloadConfig;
  if (!reload) return { kind: 'written-restart', portalId, lineId, writtenTo: place.path, reloadErrors: [] };
  const result = await reload('a line chosen on the Setup page').catch((err: unknown) => ({ applied: false as const, errors: [`reloading the configuration failed: ${codeOf(err)}`] }));
  if (!result.applied) return { kind: 'written-restart', portalId, lineId, writtenTo: place.path, reloadErrors: result.errors };
  return { kind: 'applied', writtenTo: place.path };
}
