/**
 * The `bitrix24.setup` job: connector registration, the portal's own line activated, event
 * bindings; then every other line a route names activated and given the connector's data. The
 * lines are recorded; a named line that cannot be set up is recorded paused with why (routes
 * pass it over for their fallback, /ready and the log name it) and the others go on.
 */
import { createHash } from 'node:crypto';
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { activateOnLine, BRIDGE_DRIVEN_LINE_CRM, setUpConnector, setUpConnectorWithoutLine } from '../bitrix24/connector-setup.ts';
import { Bitrix24ApiError } from '../bitrix24/errors.ts';
import { codeOf, silentLogger, type Logger } from '../log/logger.ts';
import type { PortalId } from '../domain/ids.ts';
import { BITRIX24_SETUP_JOB, parseJobPayload } from '../queue/job-kinds.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';

/** Errors of jobs that waited for a line: they run at once when one is set up or restored. */
export const WAITING_FOR_A_LINE = ['BRG_ERR_NO_ROUTE', 'BRG_ERR_LINE_PAUSED'];

export interface SetupDeps {
  store: Store;
  bitrix: Bitrix24Client;
  connectorId: string;
  publicUrl: string;
  lineIdFor: (portalId: string) => number | null;
  /**
   * Whether that line is the portal's own (configured, picked on the settings page, or the MAX
   * line found or created; it replaces an earlier own line) or only the first line its routes
   * name (recorded as named: it replaces nothing). Default: own.
   */
  isOwnLine?: (portalId: string) => boolean;
  /** Lines of this portal that routes name (targets and fallbacks), besides its own line. */
  namedLinesFor?: (portalId: string) => number[];
  /**
   * Whether a route whose CRM mode makes the objects itself (lead, contact_deal) sends to this
   * line (null: the portal's own line): its own creation is then switched off (crm-policy.ts).
   */
  bridgeDrivenCrm?: (portalId: string, lineId: number | null) => boolean;
  nowMs: () => number;
  log?: Logger;
}

/** The addresses a portal is given for this bridge (publicUrl is canonical: src/config/schema.ts). */
export function portalAddresses(publicUrl: string, portalId: string): { eventsUrl: string; settingsUrl: string; publicUrl: string } {
  return { eventsUrl: `${publicUrl}/bitrix24/events/${portalId}`, settingsUrl: `${publicUrl}/bitrix24/settings`, publicUrl };
}

/** Meta key under which the addresses last given to a portal are remembered (as a hash). */
export const portalAddressesKey = (portalId: string): string => `portal-addresses:${portalId}`;

export function portalAddressesFingerprint(publicUrl: string, portalId: string): string {
  return createHash('sha256').update(JSON.stringify(portalAddresses(publicUrl, portalId))).digest('hex');
}

export function setupHandler(deps: SetupDeps): JobHandler {
  return async (job) => {
    const { portalId } = parseJobPayload(BITRIX24_SETUP_JOB, job.payload);
    const addresses = { portalId, connectorId: deps.connectorId, connectorName: 'MAX', ...portalAddresses(deps.publicUrl, portalId) };
    // Routes that name their lines need no line of the portal's own: the connector is registered
    // and its events bound, and each named line is set up on its own (one that fails, alone).
    const own = deps.isOwnLine?.(portalId) ?? true;
    const set = own ? await setUpConnector(deps.bitrix, { ...addresses, lineId: deps.lineIdFor(portalId) }) : null;
    const ownLineId = set?.lineId ?? null;
    const bindings = set?.bindings ?? await setUpConnectorWithoutLine(deps.bitrix, addresses);
    if (bindings.refused.length > 0) {
      (deps.log ?? silentLogger()).warn({ portalId, refused: bindings.refused },
        'the portal refused the CRM events (does the app have the crm scope?): a converted lead\'s identity is not carried to its contact and deal; fix: add the crm scope to the app and reinstall it');
    }
    // Maintenance re-registers the addresses only when they change (maintenance.ts).
    await deps.store.meta.set(portalAddressesKey(portalId), portalAddressesFingerprint(deps.publicUrl, portalId));
    const named = await setUpNamedLines(deps, portalId, ownLineId);
    await switchOffLineCrm(deps, portalId, ownLineId, named);
    return async (trx) => {
      for (const id of named) {
        const ref = await deps.store.lines.setUp(portalId, id, deps.connectorId, trx, false);
        // Conversations routed here before the line was set up waited in its outbox: they go now.
        if ((await deps.store.outbox.countPending(ref, trx)) > 0) await deps.store.outbox.ensureFlushJob(ref, portalId, trx);
      }
      if (ownLineId !== null) {
        // The portal's own line replaces any earlier own line (deleted, switched off, or another
        // picked): those are forgotten, and their conversations and outbox items move to it.
        const lineRef = await deps.store.lines.setUp(portalId, ownLineId, deps.connectorId, trx, true);
        if ((await deps.store.outbox.countPending(lineRef, trx)) > 0) await deps.store.outbox.ensureFlushJob(lineRef, portalId, trx);
      }
      // Messages that were waiting for a line go now rather than at their next backoff.
      await deps.store.jobs.runNowAfter(WAITING_FOR_A_LINE, trx);
    };
  };
}

/** Lines a bridge-driven CRM route sends to stop creating CRM objects themselves (idempotent). */
async function switchOffLineCrm(deps: SetupDeps, portalId: PortalId, ownLineId: number | null, named: number[]): Promise<void> {
  if (!deps.bridgeDrivenCrm) return;
  const lines = new Map<number, boolean>();
  if (ownLineId !== null) lines.set(ownLineId, deps.bridgeDrivenCrm(portalId, null) || deps.bridgeDrivenCrm(portalId, ownLineId));
  for (const id of named) lines.set(id, (lines.get(id) ?? false) || deps.bridgeDrivenCrm(portalId, id));
  for (const [lineId, driven] of lines) {
    if (!driven) continue;
    await deps.bitrix.call(portalId, 'imopenlines.config.update', { CONFIG_ID: lineId, PARAMS: { ...BRIDGE_DRIVEN_LINE_CRM } });
    (deps.log ?? silentLogger()).info({ portalId, lineId }, 'line set to create no CRM objects itself: a route\'s crm.mode makes them (docs/crm.md)');
  }
}

/** Activates the connector on each named line; returns those set up (the others are recorded paused). */
async function setUpNamedLines(deps: SetupDeps, portalId: PortalId, ownLineId: number | null): Promise<number[]> {
  const done: number[] = [];
  for (const lineId of new Set(deps.namedLinesFor?.(portalId) ?? [])) {
    if (lineId === ownLineId) continue;
    try {
      await activateOnLine(deps.bitrix, { portalId, connectorId: deps.connectorId, connectorName: 'MAX', publicUrl: deps.publicUrl }, lineId);
      done.push(lineId);
    } catch (err) {
      // Passing trouble (limits, timeouts) fails the job, which runs again; a refusal pauses this line only.
      if (!(err instanceof Bitrix24ApiError) || err.retryable) throw err;
      const reason = `не удалось подключить линию / cannot be set up: ${err.bitrixCode || err.code}`;
      await deps.store.lines.setUpFailed(portalId, lineId, deps.connectorId, reason);
      (deps.log ?? silentLogger()).warn({ portalId, lineId, code: codeOf(err) }, 'a line named by a route cannot be set up; its routes use their fallback');
    }
  }
  return done;
}

/** The line of a portal as recorded by the setup job, active or paused; null before setup. */
export async function lineOf(store: Store, portalId: PortalId): Promise<{ lineId: number; active: boolean } | null> {
  return store.lines.latestOf(portalId);
}
