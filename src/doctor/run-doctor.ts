/**
 * One run of `doctor`: every check, in the order an administrator reads them — the
 * configuration, the database, each MAX bot (token, TLS of the API, subscription), the public
 * address, each Bitrix24 portal (install, tokens, connectors), then the clock against both
 * sides. MAX, the public address and Bitrix24 are asked at the same time; each call has its
 * time limit (DoctorDeps.timeoutMs). The clients are the doctor's own, with one attempt per
 * call, and every exchange goes to the journal like the bridge's own.
 *
 * Shared by the CLI (src/cli/doctor.ts) and the admin UI's page (src/admin/pages/doctor.ts,
 * wired in src/runtime/start-bridge.ts).
 */
import { Bitrix24Client } from '../bitrix24/client.ts';
import type { JournalWriter } from '../domain/ports.ts';
import { MaxClient } from '../max/client.ts';
import { clockSkewChecks } from './checks/clock-skew.ts';
import { connectorChecks } from './checks/connector.ts';
import { databaseChecks } from './checks/database.ts';
import { maxTlsCheck } from './checks/max-tls.ts';
import { maxTokenCheck } from './checks/max-token.ts';
import { portalChecks } from './checks/portal.ts';
import { publicUrlAddressCheck } from './checks/public-url-address.ts';
import { publicUrlReachableCheck } from './checks/public-url-reachable.ts';
import { subscriptionCheck } from './checks/subscription.ts';
import { DateHeaders } from './date-headers.ts';
import { isStore, type DoctorContext, type DoctorDeps } from './deps.ts';
import type { CheckResult, DoctorReport } from './result.ts';

/** Each network call of a check: long enough for a slow portal, short enough to wait for. */
export const DOCTOR_TIMEOUT_MS = 10_000;

/** One attempt per call: the doctor reports what happens now, it does not wait out an outage. */
const ONE_ATTEMPT = { baseDelayMs: 0, maxDelayMs: 0, maxAttempts: 1 };

function contextOf(deps: DoctorDeps, journal: JournalWriter | undefined): DoctorContext {
  const timeoutMs = deps.timeoutMs ?? DOCTOR_TIMEOUT_MS;
  const dateHeaders = new DateHeaders();
  const maxClients = new Map<string, MaxClient>();
  const bitrixClients = new Map<string, Bitrix24Client>();
  return {
    ...deps, timeoutMs, dateHeaders,
    maxClient(botId) {
      let client = maxClients.get(botId);
      if (!client) {
        const bot = deps.config.bots.find((b) => b.id === botId);
        if (!bot) throw new Error(`doctor: no bot ${botId} in the configuration`);
        client = new MaxClient({
          baseUrl: bot.api_url, token: bot.token, botId, clock: deps.clock, journal, timeoutMs, retry: ONE_ATTEMPT,
          fetchFn: dateHeaders.observingFetch('max', deps.clock),
        });
        maxClients.set(botId, client);
      }
      return client;
    },
    bitrixClient(portalId) {
      let client = bitrixClients.get(portalId);
      if (!client) {
        const portal = deps.config.portals.find((p) => p.id === portalId);
        if (!portal || !isStore(deps.store)) throw new Error(`doctor: no portal ${portalId} in the configuration, or no database`);
        client = new Bitrix24Client({
          tokens: deps.store.portals, credentials: { clientId: portal.client_id, clientSecret: portal.client_secret }, clock: deps.clock, journal,
          timeoutMs, retry: ONE_ATTEMPT, fetchFn: dateHeaders.observingFetch('bitrix24', deps.clock),
        });
        bitrixClients.set(portalId, client);
      }
      return client;
    },
  };
}

async function maxChecks(ctx: DoctorContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const apiUrls = [...new Set(ctx.config.bots.map((b) => new URL(b.api_url).origin))];
  for (const apiUrl of apiUrls) results.push(await maxTlsCheck(ctx, apiUrl));
  for (const bot of ctx.config.bots) {
    const token = await maxTokenCheck(ctx, bot);
    results.push(token, await subscriptionCheck(ctx, bot, token.status === 'ok'));
  }
  return results;
}

async function bitrix24Checks(ctx: DoctorContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const portal of ctx.config.portals) {
    const found = await portalChecks(ctx, portal);
    results.push(...found.results, ...(await connectorChecks(ctx, portal, found.usable)));
  }
  return results;
}

/**
 * Runs every check. `journal`: where the doctor's exchanges are recorded (the bridge's own
 * writer; none when the database is not the one this version expects).
 */
export async function runDoctor(deps: DoctorDeps, options: { journal?: JournalWriter } = {}): Promise<DoctorReport> {
  const startedAtMs = deps.clock.nowMs();
  const ctx = contextOf(deps, options.journal);
  const database = await databaseChecks(ctx);
  const [max, publicUrl, bitrix24] = await Promise.all([
    maxChecks(ctx),
    publicUrlReachableCheck(ctx).then((reachable) => [publicUrlAddressCheck(ctx.config), reachable]),
    bitrix24Checks(ctx),
  ]);
  const results = [...deps.configResults, ...database, ...max, ...publicUrl, ...bitrix24, ...clockSkewChecks(ctx.dateHeaders)];
  return { mode: deps.mode, startedAtMs, durationMs: deps.clock.nowMs() - startedAtMs, results };
}
