/** The `bitrix24.setup` job: connector registration, line activation, event bindings; the line recorded. */
import { createHash } from 'node:crypto';
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { setUpConnector } from '../bitrix24/connector-setup.ts';
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
  nowMs: () => number;
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
    const { lineId } = await setUpConnector(deps.bitrix, {
      portalId, connectorId: deps.connectorId, connectorName: 'MAX', lineId: deps.lineIdFor(portalId), ...portalAddresses(deps.publicUrl, portalId),
    });
    // Maintenance re-registers the addresses only when they change (maintenance.ts).
    await deps.store.meta.set(portalAddressesKey(portalId), portalAddressesFingerprint(deps.publicUrl, portalId));
    return async (trx) => {
      // This line replaces any earlier line of the portal (deleted or switched off): they are
      // forgotten, and their conversations and whatever still waits in their outbox move to it.
      const lineRef = await deps.store.lines.setUp(portalId, lineId, deps.connectorId, trx);
      if ((await deps.store.outbox.countPending(lineRef, trx)) > 0) await deps.store.outbox.ensureFlushJob(lineRef, portalId, trx);
      // Messages that were waiting for a line go now rather than at their next backoff.
      await deps.store.jobs.runNowAfter(WAITING_FOR_A_LINE, trx);
    };
  };
}

/** The line of a portal as recorded by the setup job, active or paused; null before setup. */
export async function lineOf(store: Store, portalId: PortalId): Promise<{ lineId: number; active: boolean } | null> {
  return store.lines.latestOf(portalId);
}
