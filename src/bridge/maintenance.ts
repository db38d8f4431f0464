/**
 * Periodic checks that repair what drifted (spec: MAX drops a webhook after 8 h
 * of failed deliveries; lines can be switched off without an event reaching us):
 * - each webhook bot: our subscription exists (recreated if MAX dropped it) and
 *   stale subscriptions of ours (other bridge paths, or ours written with a
 *   doubled slash by an older PUBLIC_URL ending in "/") are removed;
 * - each set-up portal whose addresses changed since they were registered (a new
 *   PUBLIC_URL, or an install made while it ended in "/"): the connector's settings
 *   page and links re-registered, events bound to the right address and our
 *   bindings to the same address spelled differently removed;
 * - each paused line: `imconnector.status`; re-activated when the connector is
 *   registered and the line exists, reported on /ready otherwise.
 */
import { createHash } from 'node:crypto';
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { reconcileEventBindings, registerConnector, setConnectorData } from '../bitrix24/connector-setup.ts';
import { canonicalPublicUrl } from '../domain/endpoint-address.ts';
import { codeOf, silentLogger, type Logger } from '../log/logger.ts';
import type { MaxClient } from '../max/client.ts';
import type { Store } from '../store/open-store.ts';
import { portalAddresses, portalAddressesFingerprint, portalAddressesKey, WAITING_FOR_A_LINE } from './setup.ts';
import type { PortalId } from '../domain/ids.ts';

export interface MaintenanceDeps {
  store: Store;
  publicUrl: string;
  connectorId: string;
  updateTypes: string[];
  bots: Array<{ id: string; secret: string; client: MaxClient }>;
  bitrixFor: (portalId: string) => Bitrix24Client | undefined;
  nowMs: () => number;
  /** `{ component: 'maintenance' }`: each check that fails is logged and tried again next time. */
  log?: Logger;
}

export interface MaintenanceReport {
  resubscribed: string[];
  /** Bots whose subscription MAX had dropped (it gives up after 8 h of failed deliveries): what it held may be lost. */
  lostSubscriptions: string[];
  removedStale: string[];
  reactivated: string[];
  /** Portals whose addresses were registered again, with the bindings removed (`portal: EVENT handler`). */
  readdressed: string[];
}

/** The subscription's URL in canonical form, or null when MAX returned something that is not a URL. */
function canonicalOrNull(url: string): string | null {
  try {
    return canonicalPublicUrl(url);
  } catch {
    return null; // not a URL: not one of ours, whatever it is
  }
}

type SubscriptionDeps = Pick<MaintenanceDeps, 'store' | 'publicUrl' | 'updateTypes'>;

async function checkBot(deps: SubscriptionDeps, bot: MaintenanceDeps['bots'][number], report: MaintenanceReport, force: boolean): Promise<void> {
  const ours = `${deps.publicUrl}/max/webhook/${bot.id}`;
  const { subscriptions } = await bot.client.getSubscriptions();
  // MAX does not show a subscription's secret, so what we last subscribed with is remembered
  // (as a hash). At start, subscribe again only when the URL, the update types or the secret
  // changed: re-subscribing an unchanged URL gains nothing and might drop MAX's pending retries.
  const fingerprint = createHash('sha256').update(JSON.stringify([ours, [...deps.updateTypes].sort(), bot.secret])).digest('hex');
  const metaKey = `subscription:${bot.id}`;
  const unchanged = force ? (await deps.store.meta.get(metaKey)) === fingerprint : true;
  const missing = !subscriptions.some((s) => s.url === ours);
  // Subscribed before (a fingerprint is remembered) and gone now: MAX dropped it.
  if (missing && (await deps.store.meta.get(metaKey)) !== null) report.lostSubscriptions.push(bot.id);
  if (missing || !unchanged) {
    await bot.client.subscribe(ours, deps.updateTypes, bot.secret);
    await deps.store.meta.set(metaKey, fingerprint);
    report.resubscribed.push(bot.id);
  }
  for (const s of subscriptions) {
    // `https://host//max/webhook/x` (from a PUBLIC_URL that ended in "/") is ours too.
    if (s.url !== ours && canonicalOrNull(s.url)?.startsWith(`${deps.publicUrl}/max/webhook/`)) {
      await bot.client.unsubscribe(s.url);
      report.removedStale.push(s.url);
    }
  }
}

async function checkPausedLines(deps: MaintenanceDeps, report: MaintenanceReport): Promise<void> {
  const paused = await deps.store.lines.paused();
  for (const line of paused) {
    const client = deps.bitrixFor(line.portalId);
    if (!client) continue;
    try {
      await client.call(line.portalId, 'imconnector.activate', { CONNECTOR: deps.connectorId, LINE: line.lineId, ACTIVE: 1 });
      const status = await client.call<{ STATUS?: boolean }>(line.portalId, 'imconnector.status', { CONNECTOR: deps.connectorId, LINE: line.lineId }, { idempotent: true });
      if (!status.STATUS) continue;
      await deps.store.transaction(async (trx) => {
        await deps.store.lines.reactivate(line.ref, trx);
        // What waited in the line's outbox goes now.
        if ((await deps.store.outbox.countPending(line.ref, trx)) > 0) await deps.store.outbox.ensureFlushJob(line.ref, line.portalId, trx);
      });
      await deps.store.jobs.runNowAfter(WAITING_FOR_A_LINE);
      report.reactivated.push(line.ref);
    } catch (err) {
      // Still broken (line deleted, app uninstalled): it stays paused and on /ready.
      (deps.log ?? silentLogger()).info({ err, code: codeOf(err), portalId: line.portalId, lineId: line.lineId }, 'paused line still not active; checked again at the next maintenance');
    }
  }
}

/** One portal: bindings first (operator replies depend on them), then the settings page and each active line's links. */
async function readdressPortal(deps: MaintenanceDeps, client: Bitrix24Client, portalId: PortalId, report: MaintenanceReport): Promise<void> {
  const addresses = portalAddresses(deps.publicUrl, portalId);
  const bindings = await reconcileEventBindings(client, portalId, addresses.eventsUrl);
  await registerConnector(client, { portalId, connectorId: deps.connectorId, connectorName: 'MAX', settingsUrl: addresses.settingsUrl });
  for (const lineId of await deps.store.lines.activeLineIds(portalId)) {
    await setConnectorData(client, { portalId, connectorId: deps.connectorId, connectorName: 'MAX', publicUrl: addresses.publicUrl }, lineId).catch((err: unknown) => {
      // The links are cosmetic (the connector's page in the line); the other lines still get theirs.
      (deps.log ?? silentLogger()).warn({ err, code: codeOf(err), portalId, lineId }, 'registering the connector links of a line failed');
    });
  }
  await deps.store.meta.set(portalAddressesKey(portalId), portalAddressesFingerprint(deps.publicUrl, portalId));
  report.readdressed.push(portalId, ...bindings.unbound.map((b) => `${portalId}: ${b}`));
}

async function checkPortalAddresses(deps: MaintenanceDeps, report: MaintenanceReport): Promise<void> {
  for (const portalId of await deps.store.lines.portalIds()) {
    const client = deps.bitrixFor(portalId);
    if (!client || (await deps.store.meta.get(portalAddressesKey(portalId))) === portalAddressesFingerprint(deps.publicUrl, portalId)) continue;
    // Not reachable now (limits, uninstalled): tried again at the next maintenance.
    await readdressPortal(deps, client, portalId, report).catch((err: unknown) => {
      (deps.log ?? silentLogger()).warn({ err, code: codeOf(err), portalId }, 'registering the portal\'s new addresses failed; tried again at the next maintenance');
    });
  }
}

/**
 * One webhook bot's subscription checked now, made when missing (what every maintenance run does
 * for each bot; the admin UI's Setup page calls it for a bot it just added). Errors go to the caller.
 */
export async function ensureSubscription(deps: SubscriptionDeps, bot: MaintenanceDeps['bots'][number]): Promise<{ url: string; made: boolean }> {
  const report: MaintenanceReport = { resubscribed: [], lostSubscriptions: [], removedStale: [], reactivated: [], readdressed: [] };
  await checkBot(deps, bot, report, false);
  return { url: `${deps.publicUrl}/max/webhook/${bot.id}`, made: report.resubscribed.includes(bot.id) };
}

export async function runMaintenance(deps: MaintenanceDeps, options: { atStart?: boolean } = {}): Promise<MaintenanceReport> {
  const report: MaintenanceReport = { resubscribed: [], lostSubscriptions: [], removedStale: [], reactivated: [], readdressed: [] };
  for (const bot of deps.bots) {
    await checkBot(deps, bot, report, options.atStart === true).catch((err: unknown) => {
      // MAX not reachable now: the subscription is checked again at the next maintenance.
      (deps.log ?? silentLogger()).warn({ err, code: codeOf(err), botId: bot.id }, 'checking the bot\'s webhook subscription failed; tried again at the next maintenance');
    });
  }
  await checkPortalAddresses(deps, report);
  await checkPausedLines(deps, report);
  return report;
}
