/**
 * Periodic checks that repair what drifted (spec: MAX drops a webhook after 8 h
 * of failed deliveries; lines can be switched off without an event reaching us):
 * - each webhook bot: our subscription exists (recreated if MAX dropped it) and
 *   stale subscriptions of ours (other bridge paths) are removed;
 * - each paused line: `imconnector.status`; re-activated when the connector is
 *   registered and the line exists, reported on /ready otherwise.
 */
import { createHash } from 'node:crypto';
import type { Bitrix24Client } from '../bitrix24/client.ts';
import type { MaxClient } from '../max/client.ts';
import type { Store } from '../store/open-store.ts';

export interface MaintenanceDeps {
  store: Store;
  publicUrl: string;
  connectorId: string;
  updateTypes: string[];
  bots: Array<{ id: string; secret: string; client: MaxClient }>;
  bitrixFor: (portalId: string) => Bitrix24Client | undefined;
  nowMs: () => number;
}

export interface MaintenanceReport {
  resubscribed: string[];
  removedStale: string[];
  reactivated: string[];
}

async function checkBot(deps: MaintenanceDeps, bot: MaintenanceDeps['bots'][number], report: MaintenanceReport, force: boolean): Promise<void> {
  const ours = `${deps.publicUrl}/max/webhook/${bot.id}`;
  const { subscriptions } = await bot.client.getSubscriptions();
  // MAX does not show a subscription's secret, so what we last subscribed with is remembered
  // (as a hash). At start, subscribe again only when the URL, the update types or the secret
  // changed: re-subscribing an unchanged URL gains nothing and might drop MAX's pending retries.
  const fingerprint = createHash('sha256').update(JSON.stringify([ours, [...deps.updateTypes].sort(), bot.secret])).digest('hex');
  const metaKey = `subscription:${bot.id}`;
  const unchanged = force ? (await deps.store.meta.get(metaKey)) === fingerprint : true;
  if (!subscriptions.some((s) => s.url === ours) || !unchanged) {
    await bot.client.subscribe(ours, deps.updateTypes, bot.secret);
    await deps.store.meta.set(metaKey, fingerprint);
    report.resubscribed.push(bot.id);
  }
  for (const s of subscriptions) {
    if (s.url !== ours && s.url.startsWith(`${deps.publicUrl}/max/webhook/`)) {
      await bot.client.unsubscribe(s.url);
      report.removedStale.push(s.url);
    }
  }
}

async function checkPausedLines(deps: MaintenanceDeps, report: MaintenanceReport): Promise<void> {
  const paused = await deps.store.db.selectFrom('lines').selectAll().where('state', '=', 'paused').execute();
  for (const line of paused) {
    const client = deps.bitrixFor(line.portal_id);
    if (!client) continue;
    try {
      await client.call(line.portal_id, 'imconnector.activate', { CONNECTOR: deps.connectorId, LINE: line.line_id, ACTIVE: 1 });
      const status = await client.call<{ STATUS?: boolean }>(line.portal_id, 'imconnector.status', { CONNECTOR: deps.connectorId, LINE: line.line_id }, { idempotent: true });
      if (!status.STATUS) continue;
      await deps.store.db.transaction().execute(async (trx) => {
        await trx.updateTable('lines').set({ state: 'active', paused_reason: null, updated_at_ms: deps.nowMs() }).where('id', '=', line.id).execute();
        // What waited in the line's outbox goes now.
        if ((await deps.store.outbox.countPending(line.id, trx)) > 0) await deps.store.outbox.ensureFlushJob(line.id, line.portal_id, trx);
      });
      await deps.store.db.updateTable('jobs').set({ run_at_ms: deps.nowMs() }).where('state', '=', 'pending')
        .where('last_error_code', 'in', ['BRG_ERR_NO_ROUTE', 'BRG_ERR_LINE_PAUSED']).execute();
      report.reactivated.push(line.id);
    } catch {
      // Still broken (line deleted, app uninstalled): it stays paused and on /ready.
    }
  }
}

export async function runMaintenance(deps: MaintenanceDeps, options: { atStart?: boolean } = {}): Promise<MaintenanceReport> {
  const report: MaintenanceReport = { resubscribed: [], removedStale: [], reactivated: [] };
  for (const bot of deps.bots) await checkBot(deps, bot, report, options.atStart === true).catch(() => undefined);
  await checkPausedLines(deps, report);
  return report;
}
