/** The `bitrix24.setup` job: connector registration, line activation, event bindings; the line recorded. */
import { createHash } from 'node:crypto';
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { setUpConnector } from '../bitrix24/connector-setup.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';

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
    const { portalId } = job.payload as { portalId: string };
    const { lineId } = await setUpConnector(deps.bitrix, {
      portalId, connectorId: deps.connectorId, connectorName: 'MAX', lineId: deps.lineIdFor(portalId), ...portalAddresses(deps.publicUrl, portalId),
    });
    // Maintenance re-registers the addresses only when they change (maintenance.ts).
    await deps.store.meta.set(portalAddressesKey(portalId), portalAddressesFingerprint(deps.publicUrl, portalId));
    return async (trx) => {
      const now = deps.nowMs();
      await trx.insertInto('lines').values({ id: `${portalId}:${lineId}`, portal_id: portalId, line_id: lineId, connector_id: deps.connectorId, state: 'active', paused_reason: null, updated_at_ms: now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ state: 'active', paused_reason: null, updated_at_ms: now })).execute();
      // This line replaces any earlier line of the portal (deleted or switched off): forget them,
      // and move their conversations and whatever still waits in their outbox to it.
      const lineRef = `${portalId}:${lineId}`;
      const earlier = (await trx.selectFrom('lines').select('id').where('portal_id', '=', portalId).where('id', '!=', lineRef).execute()).map((r) => r.id);
      if (earlier.length > 0) {
        await trx.updateTable('conversations').set({ line_ref: lineRef, updated_at_ms: now }).where('line_ref', 'in', earlier).execute();
        await trx.updateTable('line_outbox').set({ line_ref: lineRef, updated_at_ms: now }).where('line_ref', 'in', earlier).where('state', '=', 'pending').execute();
        await trx.deleteFrom('lines').where('id', 'in', earlier).execute();
      }
      if ((await deps.store.outbox.countPending(lineRef, trx)) > 0) await deps.store.outbox.ensureFlushJob(lineRef, portalId, trx);
      // Messages that were waiting for a line go now rather than at their next backoff.
      await trx.updateTable('jobs').set({ run_at_ms: now }).where('state', '=', 'pending')
        .where('last_error_code', 'in', ['BRG_ERR_NO_ROUTE', 'BRG_ERR_LINE_PAUSED']).execute();
    };
  };
}

/** The line of a portal as recorded by the setup job, active or paused; null before setup. */
export async function lineOf(store: Store, portalId: string): Promise<{ lineId: number; active: boolean } | null> {
  const row = await store.db.selectFrom('lines').select(['line_id', 'state']).where('portal_id', '=', portalId).orderBy('updated_at_ms', 'desc').executeTakeFirst();
  return row ? { lineId: Number(row.line_id), active: row.state === 'active' } : null;
}

/** The active line of a portal, as recorded by the setup job. */
export async function activeLineOf(store: Store, portalId: string): Promise<number | null> {
  const row = await store.db.selectFrom('lines').select('line_id').where('portal_id', '=', portalId).where('state', '=', 'active').orderBy('updated_at_ms', 'desc').executeTakeFirst();
  return row ? Number(row.line_id) : null;
}
