/**
 * The running bridge: store, side clients, job runner and HTTP server, wired
 * from the configuration (the composition root). It sits above every layer:
 * it may import the pipelines (src/bridge/) and the HTTP plugins (src/http/),
 * which never import each other's way up (test/unit/architecture.test.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { Bitrix24Client } from '../bitrix24/client.ts';
import { blockedPortalProblem, degradedPortalProblem } from '../bitrix24/portal-hold.ts';
import { degradedBotProblem, downBotProblem } from '../max/bot-down.ts';
import { deriveWebhookSecret, type BotConfig, type BridgeConfigData, type PortalConfig } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import { buildApp } from '../http/app.ts';
import { closeWithin } from '../http/close-within.ts';
import { CertificateReload } from '../http/certificate-reload.ts';
import { certificateNotices, filesSignature, readCertificatePair, tlsFilesOf } from '../http/tls-certificate.ts';
import { adminApiPlugin } from '../http/plugins/admin-api.ts';
import { adminJournalPlugin } from '../http/plugins/admin-journal.ts';
import { adminExportPlugin } from '../http/plugins/admin-export.ts';
import { adminErasuresPlugin } from '../http/plugins/admin-erasures.ts';
import { adminChecksPlugin } from '../http/plugins/admin-checks.ts';
import { messageIdsOf } from '../bitrix24/event-shape.ts';
import { bitrix24EventsPlugin } from '../http/plugins/bitrix24-events.ts';
import { bitrix24InstallPlugin } from '../http/plugins/bitrix24-install.ts';
import { bitrix24SettingsPlugin } from '../http/plugins/bitrix24-settings.ts';
import { healthPlugin } from '../http/plugins/health.ts';
import { metricsPlugin } from '../http/plugins/metrics.ts';
import { readyPlugin } from '../http/plugins/ready.ts';
import { maxWebhookPlugin, type MaxWebhookBot } from '../http/plugins/max-webhook.ts';
import { MaxClient } from '../max/client.ts';
import { BridgeMetrics } from '../metrics/bridge-metrics.ts';
import { exposition } from '../metrics/exposition.ts';
import { registerSideGauges } from '../metrics/side-gauges.ts';
import { registerAnalyticsGauges } from '../metrics/analytics-gauges.ts';
import { computeReport } from '../analytics/compute-report.ts';
import { analyticsSettingsOf, workingTimeOf } from '../analytics/report-settings.ts';
import { registerStoreGauges } from '../metrics/store-gauges.ts';
import { rehostAttachments } from '../media/rehost.ts';
import { MediaSigner } from '../media/signed-url.ts';
import { mediaPlugin } from '../http/plugins/media.ts';
import { loggedJournal } from '../journal/logged-writer.ts';
import { maskedJournal } from '../journal/masked-writer.ts';
import { createMasker } from '../journal/masking.ts';
import { privacyHashKey } from '../journal/hash-key.ts';
import { codeOf, silentLogger, type Logger } from '../log/logger.ts';
import { makeLineRef, parseBotId, parsePortalId, portalOfLine } from '../domain/ids.ts';
import { BITRIX24_EVENT_JOB, BITRIX24_SETUP_JOB, CONVERSATION_MOVE_JOB, HOOK_DELIVERY_JOB, CRM_PHONE_JOB, CRM_SESSION_JOB, crmQueue, LINE_FLUSH_JOB, portalResource, portalSetupQueue, MAX_CATCHUP_JOB, MAX_UPDATE_JOB, parseJobPayload } from '../queue/job-kinds.ts';
import { JobRunner } from '../queue/runner.ts';
import { DEFAULT_RETRY_POLICY } from '../queue/retry-policy.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { backupReminder } from '../store/migration-plan.ts';
import { catchUpHandler, inboundHandler, type InboundDeps } from '../bridge/inbound.ts';
import { lifecycleHandler, pausedLineProblems, pauseLines } from '../bridge/lifecycle.ts';
import { InFlightRequests } from '../domain/in-flight.ts';
import { OrderGate } from '../bridge/order/gate.ts';
import { runMaintenance, type MaintenanceReport } from '../bridge/maintenance.ts';
import { DEFAULT_CLIENT_WAIT_NOTICE_TEXT, noticeWaitingClients, type ClientWaitNoticeReport } from '../bridge/client-wait-notice.ts';
import { CatchUpWindow, scheduleCatchUps } from '../bridge/catch-up.ts';
import { DowntimeReport, markAlive, planAfterDowntime, scheduleDowntimeCatchUps, type DowntimeCatchUpPlan } from '../bridge/downtime-catch-up.ts';
import { lineFlushHandler } from '../bridge/line-flush.ts';
import { Peers } from '../bridge/peers.ts';
import { leaseMarginMs, limitersStartFullOnTakeover } from '../bridge/resource-leases.ts';
import { PollingLoop } from '../bridge/polling.ts';
import { applyOperatorChanges } from '../bridge/outbound-edits.ts';
import { reconcileOperatorReplies, type ReconcileReport } from '../bridge/reconcile.ts';
import { deliverOperatorMessages, type OutboundDeps } from '../bridge/outbound.ts';
import { lineOf, setupHandler } from '../bridge/setup.ts';
import { Router } from '../bridge/router.ts';
import { adminRoutingOf } from './admin-routing.ts';
import { conversationMoveHandler } from '../bridge/conversation-move.ts';
import { RouteTransforms } from '../bridge/route-transform.ts';
import { TransformHookRunner } from '../transform/hook-runner.ts';
import { normalizeRoutes, routeName } from '../config/route-schema.ts';
import { crmPolicyFor } from '../config/crm-schema.ts';
import { bridgeCreates, type CrmPolicy } from '../domain/crm/crm-policy.ts';
import type { CrmDeps } from '../bridge/crm/context.ts';
import type { LineSettingsCache } from '../bridge/crm/line-settings.ts';
import { crmSessionHandler } from '../bridge/crm/session-job.ts';
import { crmPhoneHandler } from '../bridge/crm/phone-job.ts';
import { carryConvertedLead } from '../bridge/crm/converted-lead.ts';
import { observedJournal } from '../bridge/observed-journal.ts';
import { readiness } from '../bridge/readiness.ts';
import { RetentionSchedule, type PurgeRun } from '../bridge/retention.ts';
import { hookEmitter } from '../bridge/hook-events.ts';
import { onClientErased } from '../bridge/client-erased.ts';
import { hookDeliveryHandler, WebhookHealth } from '../bridge/hook-delivery.ts';
import { onDeadLetter } from '../bridge/hook-dead-letters.ts';
import { HOOK_FAILED, HOOK_UNREACHABLE } from '../hooks/hook-call.ts';
import { adminHooksPlugin } from '../http/plugins/admin-hooks.ts';
import { adminUiPlugin } from '../http/plugins/admin-ui.ts';
import { doctorChallengePlugin } from '../http/plugins/doctor-challenge.ts';
import { challengeKey, randomChallengeKey } from '../domain/doctor-challenge.ts';
import { loadConfig } from '../config/load.ts';
import { configInForceCheck } from '../doctor/checks/config.ts';
import type { DoctorReport } from '../doctor/result.ts';
import { runDoctor } from '../doctor/run-doctor.ts';
import { readFileSync } from 'node:fs';
import type { AdminSetupDeps } from '../admin/setup/setup-deps.ts';
import type { Env } from '../config/env.ts';
import type { ReloadOutcome } from './config-reload.ts';
import type { LiveStates } from '../admin/deps.ts';


/** Connections the kernel queues for the bridge while it is busy (see the listen call). */
const LISTEN_BACKLOG = 4_096;
export const CONNECTOR_ID = 'max_bridge';
/** The update types the bridge subscribes to. */
export const SUBSCRIBED_UPDATES = [
  'message_created', 'message_edited', 'message_removed', 'message_callback', 'bot_started', 'bot_stopped',
  'dialog_removed', 'bot_added', 'bot_removed', 'user_added', 'user_removed', 'chat_title_changed',
];

export interface Bridge {
  url: string;
  app: FastifyInstance;
  store: Store;
  runner: JobRunner;
  /** Runs the periodic checks now (also every MAINTENANCE_INTERVAL_MS). */
  maintain(): Promise<MaintenanceReport>;
  /** Looks for operator replies the bridge never received (also at start and every MAINTENANCE_INTERVAL_MS). */
  reconcile(): Promise<ReconcileReport>;
  /** Tells clients whose messages the line has not taken for a while (also every CLIENT_WAIT_LOOK_MS). */
  noticeWaitingClients(): Promise<ClientWaitNoticeReport>;
  /** Purges what is older than its retention now (also every retention.purge_interval_minutes; retention.ts). */
  purge(): Promise<PurgeRun>;
  /** Long-polling loops, one per bot with `updates: polling`. */
  pollers: PollingLoop[];
  /** The requests this process is taking in (domain/in-flight.ts): what the order gate waits for. */
  inFlight: InFlightRequests;
  /** Applies a new, valid configuration without a restart (routes, bots, portals; config-reload.ts). */
  reload(next: BridgeConfigData): Promise<ReloadReport>;
  /** The built-in HTTPS listener's certificate (server.tls): the pair served now, a look at its files now; absent without TLS. */
  certificate?: CertificateReload;
  /** Runs every check of `doctor` now, from inside this bridge (the admin UI's Diagnostics page; docs/operations.md). */
  doctor(): Promise<DoctorReport>;
  close(): Promise<void>;
}

/** Sections a running bridge cannot change: its address, database, keys, workers, logging; a reload names them. */
const RESTART_ONLY_KEYS = ['server', 'database', 'security', 'workers', 'log_level', 'log_format', 'media', 'journal', 'privacy', 'retention'] as const;

/** What a reload changed (`changed`), which portals' lines it sets up, and what takes a restart. */
export interface ReloadReport {
  changed: string[];
  setUp: string[];
  restartNeeded: string[];
}

/** Every 10 minutes: far inside MAX's 8-hour drop window, cheap for the portal's limit. */
export const MAINTENANCE_INTERVAL_MS = 600_000;
/** How often the bridge looks for clients to tell that the line has not taken their messages (client-wait-notice.ts). */
export const CLIENT_WAIT_LOOK_MS = 60_000;
/** A running job's lease (renewed every third of it); a handler acts on its portal with half of it left (resource-leases.ts). */
const JOB_LEASE_MS = 30_000;
/** How long a stopping bridge waits for the HTTP requests in flight before cutting their connections. */
const CLOSE_REQUESTS_WAIT_MS = 10_000;
/** At start the bridge waits at most this long for the reconciliation before it starts its jobs. */
const RECONCILE_AT_START_MAX_MS = 30_000;
/** How far back the reconciliation looks for conversations with activity (reconcile.ts's default). */
const RECONCILE_LOOKBACK_MS = 86_400_000;

/** The configured portal whose url names this domain; the only portal when just one is configured and has no url. */
export function portalIdForDomain(portals: BridgeConfigData['portals'], domain: string): string | undefined {
  const host = domain.toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const byUrl = portals.find((p) => p.url !== undefined && new URL(p.url).host.toLowerCase() === host);
  if (byUrl) return byUrl.id;
  const only = portals.length === 1 ? portals[0] : undefined;
  return only && only.url === undefined ? only.id : undefined;
}

/** Tries the reconciliation until it succeeds for every chat (the portal may answer limits or errors), for at most `budgetMs`. */
async function reconcileAtStart(reconcile: () => Promise<ReconcileReport>, budgetMs: number, log: Logger): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    const outcome = await Promise.race([
      // A chat whose history could not be read counts as a failure: its missed replies must go first.
      reconcile().then((report) => (report.unread > 0 ? 'failed' as const : 'done' as const), (err: unknown) => {
        log.warn({ err, code: codeOf(err) }, 'reading the operator replies missed while away failed; trying again');
        return 'failed' as const;
      }),
      new Promise<'late'>((r) => setTimeout(() => r('late'), left).unref()),
    ]);
    if (outcome === 'late') log.warn({ budgetMs }, 'the operator replies missed while away are not all read yet; starting anyway (they are read again every maintenance)');
    if (outcome !== 'failed') return;
    await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(0, deadline - Date.now()))).unref());
  }
}

export async function startBridge(initialConfig: BridgeConfigData, options: {
  clock: Clock; host?: string; logger?: Logger;
  /** Where the configuration file is: routes' transform modules are relative to it (default: the working directory). */
  configDir?: string;
  /**
   * Where the configuration came from, for the admin UI's Setup page (src/admin/setup/): CONFIG_FILE (null: environment
   * variables alone), the environment it is read with, and the reload SIGHUP runs (config-reload.ts). Absent: no file, no reload.
   */
  configSource?: { file: string | null; env: Env; reload?: (why: string) => Promise<ReloadOutcome> };
  /** What `doctor` reports this bridge as (src/cli/sandbox.ts says 'sandbox'); default production. */
  mode?: 'sandbox' | 'production';
}): Promise<Bridge> {
  const { clock } = options;
  // A reload (reload below) replaces it: closures read `config` when they run.
  let config = initialConfig;
  // Silent unless the caller made one (src/cli/start.ts and sandbox.ts do, from log_level).
  const logger = options.logger ?? silentLogger();
  const log = logger.child({ component: 'runtime' });
  // Built-in HTTPS (server.tls, docs/tls.md): the pair is read before anything is opened, so an
  // unusable one stops the start with its fix (TlsFilesError); the signature is taken first, so a
  // change made while it is read is seen by the reload.
  const tlsFiles = tlsFilesOf(config.server.tls);
  const tlsSignature = tlsFiles ? filesSignature(tlsFiles) : '';
  const tlsPair = tlsFiles ? readCertificatePair(tlsFiles) : null;
  const scheme = tlsPair ? 'https' : 'http';
  // PostgreSQL: connections for the workers plus the intake's group commits and the heartbeat
  // (most workers wait on the network, not the database), at most 30 so three processes stay
  // under PostgreSQL's default 100 connections.
  const store = await openStore({
    databaseUrl: config.database.url, secretKey: config.security.secret_key ?? '', previousSecretKeys: config.security.previous_secret_keys,
    clock, poolSize: Math.min(config.workers.concurrency + 6, 30),
    // Migrations about to change a database that holds data: a reminder to back it up first (docs/deployment.md, "Upgrading").
    beforeMigrate: (plan, engine) => {
      const reminder = backupReminder(plan, engine);
      if (reminder !== null) log.warn({ appliedLatest: plan.applied.at(-1), pending: plan.pending.map((m) => m.id) }, reminder);
    },
  });
  // One registry per bridge; every outgoing call is counted where the clients journal it.
  const metrics = new BridgeMetrics();
  // A failed journal write never fails the exchange; it is logged (logged-writer.ts).
  // Every row's bodies pass the personal-data policy as they are written (masked-writer.ts, docs/privacy.md).
  const masker = createMasker(config.privacy, privacyHashKey(config.security.secret_key));
  const journal = observedJournal(loggedJournal(maskedJournal(store.journal, masker), logger.child({ component: 'journal' })), metrics);
  const portalClient = (p: PortalConfig) => new Bitrix24Client({
    tokens: store.portals, credentials: { clientId: p.client_id, clientSecret: p.client_secret }, clock, journal,
    limitFor: () => ({ drainPerSecond: p.limits?.drain_per_second ?? 2, burst: p.limits?.burst ?? 50 }),
    timeoutMs: p.request_timeout_ms, logger,
  });
  const botEntry = (b: BotConfig): MaxWebhookBot & { client: MaxClient } => ({
    // Derived from BRIDGE_SECRET_KEY by the config when not set, so every process agrees on it.
    id: b.id, secret: b.webhook_secret ?? randomBytes(24).toString('base64url'), userId: null,
    // While the key changes, the secret derived from either key is taken (docs/operations.md).
    alsoAccepted: config.security.previous_secret_keys?.length
      ? [config.security.secret_key, ...config.security.previous_secret_keys].flatMap((k) => (k ? [deriveWebhookSecret(k, b.id)] : []))
      : undefined,
    client: new MaxClient({ baseUrl: b.api_url, token: b.token, botId: b.id, clock, journal, logger }),
  });
  // Maps, not lists: a reload (reload below) adds, replaces and removes bots and portals live.
  const bitrix = new Map(config.portals.map((p) => [p.id, portalClient(p)]));
  const bots = new Map<string, MaxWebhookBot & { client: MaxClient }>(config.bots.map((b) => [b.id, botEntry(b)]));
  // The routes in force: new conversations are routed by them (router.ts); a reload swaps them.
  let routeRules = normalizeRoutes(config.routes);
  /** A route's CRM policy (its `crm:` over the top-level defaults), read from the configuration in force. */
  const crmPolicyOfRoute = (name: string | null): CrmPolicy => {
    const index = config.routes.findIndex((r, i) => routeName(r, i) === name);
    return crmPolicyFor(index >= 0 ? config.routes[index]?.crm : undefined, config.crm);
  };
  const anyCrm = (): boolean => crmPolicyFor(undefined, config.crm).mode !== 'none' || config.routes.some((r) => crmPolicyFor(r.crm, config.crm).mode !== 'none');
  /** Whether a route making CRM objects itself sends conversations to this line (null: the portal's own line). */
  const bridgeDrivenCrm = (portalId: string, lineId: number | null): boolean => config.routes.some((r, i) => {
    if (!bridgeCreates(crmPolicyOfRoute(routeName(r, i)).mode)) return false;
    const rule = routeRules[i];
    return rule !== undefined && [...rule.to, ...(rule.fallback ? [rule.fallback] : [])].some((t) => t.portalId === portalId && t.lineId === lineId);
  });
  const router = new Router({
    store, rules: () => routeRules, nowMs: () => clock.nowMs(), routeAroundAfterMs: config.bitrix24.route_around_after_ms,
    portalDownSinceMs: (id) => bitrix.get(id)?.holds.states().find((h) => h.side === id)?.sinceMs ?? null,
  });
  /** Lines of a portal that routes name (targets and fallbacks): each is set up by the portal's setup job. */
  const namedLinesFor = (portalId: string): number[] => [...new Set(routeRules.flatMap((r) => [...r.to, ...(r.fallback ? [r.fallback] : [])])
    .filter((t) => t.portalId === portalId && t.lineId !== null).map((t) => t.lineId as number))];
  /**
   * Whether a portal has a line of its own (set up as before routes named lines): configured on
   * the portal, or some route sends conversations to "the portal's line" (a line named MAX found
   * or created), or no route names a line of it. Else its lines are only those its routes name.
   */
  const usesOwnLine = (portalId: string): boolean => config.portals.find((p) => p.id === portalId)?.line_id !== undefined
    || routeRules.some((r) => [...r.to, ...(r.fallback ? [r.fallback] : [])].some((t) => t.portalId === portalId && t.lineId === null))
    || namedLinesFor(portalId).length === 0;
  // Links are signed with the current key; those signed under a previous one still check until they expire.
  const mediaSigner = new MediaSigner(config.security.secret_key ?? randomBytes(32).toString('hex'), config.security.previous_secret_keys);
  let listeningUrl = '';
  const publicUrl = () => config.server.public_url ?? listeningUrl;
  // The routes' code hooks run off the main thread, each call within its time limit (route-transform.ts).
  const newHookRunner = () => new TransformHookRunner({
    timeoutMs: config.workers.transform_timeout_ms, onOutcome: (o) => metrics.transformHook(o.route, o.direction, o.outcome),
  });
  let hookRunner = routeRules.some((r) => r.transform?.module) ? newHookRunner() : null;
  const transforms = new RouteTransforms({
    rules: () => routeRules, runner: () => hookRunner, baseDir: options.configDir ?? process.cwd(), log: logger.child({ component: 'transforms' }),
  });
  // Hook events (docs/hooks.md): written with the facts they tell, delivered by `hook.deliver` jobs.
  // Reads `config.hooks` when it runs: a reload changes the webhooks at once.
  const hookEvents = hookEmitter({ store, hooks: () => config.hooks, nowMs: () => clock.nowMs(), onQueued: () => runner.poke() });
  const webhookHealth = new WebhookHealth();
  const outboundDeps: OutboundDeps = {
    store, bitrixFor: (id) => bitrix.get(id), maxFor: (id) => bots.get(id)?.client, connectorId: CONNECTOR_ID,
    operatorName: config.messages.operator_name, systemMessages: config.messages.system_messages, nowMs: () => clock.nowMs(), outageNotices: config.messages.outage_notices,
    transforms, hookEvents,
  };
  const catchUpWindow = new CatchUpWindow(store, config.max.catchup_window_ms, () => clock.nowMs());
  // Away long enough for MAX's retries to lag by hours (or to stop): every recently active chat's
  // history is read before its newer messages go (downtime-catch-up.ts).
  const downtimeWindowMs = Math.round(config.max.downtime_catchup_days * 86_400_000);
  const downtimeReport = new DowntimeReport(logger.child({ component: 'catch-up' }));
  const downtimeLog = logger.child({ component: 'catch-up' });
  const catchUpAfterDowntime = async (plan: DowntimeCatchUpPlan, botIds?: ReadonlySet<string>) => {
    const scheduled = await scheduleDowntimeCatchUps(store, plan, clock.nowMs() - downtimeWindowMs, botIds);
    downtimeReport.begin(plan, scheduled);
    downtimeLog.warn({ reason: plan.reason, downtimeMs: plan.downtimeMs, chats: scheduled, bots: botIds ? [...botIds] : undefined },
      `${plan.reason === 'subscription_lost' ? 'MAX had dropped the webhook subscription' : plan.downtimeMs === null ? 'the bridge was away for an unknown time' : `the bridge was away for ${Math.round(plan.downtimeMs / 60_000)} min`}: `
      + `reading the history of ${scheduled} chat(s) active in the last ${config.max.downtime_catchup_days} day(s) for client messages not yet taken`);
  };
  const downtimePlan = await planAfterDowntime(store, clock.nowMs(), config.max.downtime_catchup_after_ms, downtimeWindowMs);
  if (downtimePlan) await catchUpAfterDowntime(downtimePlan);
  const stopMarkingAlive = markAlive(store, () => clock.nowMs(), downtimeLog);
  await catchUpWindow.recordStart();
  await scheduleCatchUps(store);
  const firstClient = (portalId: string) => bitrix.get(portalId) as Bitrix24Client;
  /** What the inbound jobs of one bot need (its MAX client, routes, media re-hosting, catch-up). */
  const inboundDepsFor = (botId: string): InboundDeps => {
    const max = bots.get(botId)?.client as MaxClient;
    return {
      store, max, router, transforms,
      filesFor: ({ conversationId, message }) => rehostAttachments({
        media: store.media, signer: mediaSigner, max, publicUrl: publicUrl(), maxBytes: config.media.max_bytes, ttlMs: config.media.url_ttl_hours * 3_600_000,
      }, conversationId, message),
      catchUp: { window: catchUpWindow, windowMs: config.max.catchup_window_ms },
      downtimeReport,
      groupChats: config.max.group_chats, hookEvents,
      ...(anyCrm() ? { crm: { ownPhones: config.crm.own_phones } } : {}),
      // Synchronous checks (docs/hooks.md, "Checks"): read when a job runs, so a reload changes them at once.
      checks: { list: () => config.hooks.checks, clock, journal },
    };
  };
  /** What the CRM steps need (src/bridge/crm/): the route's policy, read from the configuration in force. */
  const lineSettings: LineSettingsCache = new Map();
  const crmDeps = (log: Logger): CrmDeps => ({
    store, bitrixFor: (id) => bitrix.get(id), maxFor: (id) => bots.get(id)?.client,
    policyFor: (conversation) => crmPolicyOfRoute(conversation.routeName),
    ownPhones: config.crm.own_phones, verifyTimeoutMs: config.crm.verify_timeout_seconds * 1_000, phoneWaitMs: config.crm.ask_phone_wait_seconds * 1_000,
    nowMs: () => clock.nowMs(), log, lineSettings, hookEvents,
  });
  const workerId = `bridge-${process.pid}-${randomBytes(3).toString('hex')}`;
  // Several processes may share PostgreSQL: each sees the others die (peers.ts).
  let recoverFromPeer: (deadWorkerId: string) => Promise<void> = async () => undefined;
  // What this process is taking in: the order gate holds a later item until every request begun
  // with or before it is settled; with several processes, each heartbeat says the same to the others.
  const inFlight = new InFlightRequests(clock);
  const peers = store.engine === 'postgres'
    ? new Peers({ store, workerId, clock, recover: (id) => recoverFromPeer(id), inFlight, log: logger.child({ component: 'peers' }) })
    : null;
  // The one place that decides whether a message may go yet (order/gate.ts): the line flush and
  // the reply jobs ask it; the event intake teaches it how late operator events come.
  const gate = new OrderGate({
    store, clock, intake: inFlight, peers: peers ?? undefined,
    lineReorderWindowMs: config.workers.line_reorder_window_ms, operatorReorderWindowMs: config.workers.operator_reorder_window_ms,
  });
  const runner = new JobRunner({
    store, workerId, clock, concurrency: config.workers.concurrency, leaseMs: JOB_LEASE_MS, logger,
    // A passing failure is retried for as long as the outage lasts, up to the configured days (retry-policy.ts).
    retryPolicy: { ...DEFAULT_RETRY_POLICY, transientForMs: Math.round(config.workers.transient_retry_days * 86_400_000) },
    // Each job's lines name the component that handles it, with the job's correlation ids (runner.ts).
    components: { [MAX_UPDATE_JOB]: 'inbound', [MAX_CATCHUP_JOB]: 'catch-up', [LINE_FLUSH_JOB]: 'line-flush', [BITRIX24_EVENT_JOB]: 'outbound', [BITRIX24_SETUP_JOB]: 'setup', [CONVERSATION_MOVE_JOB]: 'routing', [CRM_SESSION_JOB]: 'crm', [CRM_PHONE_JOB]: 'crm', [HOOK_DELIVERY_JOB]: 'hooks' },
    // A message given up on tells `delivery.failed`; a dead webhook delivery is marked failed in its log (hook-dead-letters.ts).
    onDead: onDeadLetter(store, hookEvents),
    // Webhook deliveries take at most half the workers: slow receivers never hold up the messages.
    kindLimits: { [HOOK_DELIVERY_JOB]: Math.max(1, Math.floor(config.workers.concurrency / 2)) },
    // Several processes may share PostgreSQL: a portal's or bot's jobs run in the one holding its lease.
    resourceLeases: store.engine === 'postgres',
    handlers: {
      [MAX_UPDATE_JOB]: async (job, ctx) => inboundHandler({ ...inboundDepsFor(parseJobPayload(MAX_UPDATE_JOB, job.payload).botId), log: ctx.log })(job, ctx),
      [MAX_CATCHUP_JOB]: async (job, ctx) => catchUpHandler({ ...inboundDepsFor(parseJobPayload(MAX_CATCHUP_JOB, job.payload).botId), log: ctx.log })(job, ctx),
      [LINE_FLUSH_JOB]: lineFlushHandler({
        store, bitrixFor: (id) => bitrix.get(id), connectorId: CONNECTOR_ID, clock,
        pauseLine: (portalId, lineId, reason) => pauseLines({ store, nowMs: () => clock.nowMs() }, parsePortalId(portalId), lineId, reason),
        maxItemsPerCall: config.workers.line_batch_max, lingerMs: config.workers.line_linger_ms, gate, leaseMarginMs: leaseMarginMs(JOB_LEASE_MS),
        onDelivered: (arrivedMs) => metrics.delivered('inbound', clock.nowMs() - arrivedMs), hookEvents,
        // A new Open Lines session: its CRM step (crm/session-job.ts), in the conversation's CRM queue.
        onNewSession: async ({ conversationId, chatId, sessionId }, trx) => {
          if (!anyCrm()) return;
          const conversation = await store.conversations.get(conversationId, trx);
          if (!conversation || crmPolicyOfRoute(conversation.routeName).mode === 'none') return;
          await store.jobs.enqueue({
            kind: CRM_SESSION_JOB, conversationKey: crmQueue(conversationId), resourceKey: portalResource(portalOfLine(conversation.lineRef)),
            payload: { conversationId, chatId, sessionId },
          }, trx);
        },
      }),
      [CRM_SESSION_JOB]: async (job, ctx) => crmSessionHandler(crmDeps(ctx.log))(job, ctx),
      [CRM_PHONE_JOB]: async (job, ctx) => crmPhoneHandler(crmDeps(ctx.log))(job, ctx),
      [HOOK_DELIVERY_JOB]: hookDeliveryHandler({
        store, hooks: () => config.hooks, clock, journal, masker,
        // The receiver is back: what waits for its next backoff goes now.
        onRecovered: () => void store.jobs.runNowAfter([HOOK_UNREACHABLE, HOOK_FAILED]).then(() => runner.poke(), () => undefined),
      }, webhookHealth),
      // Made per job (cheap; the gate is shared) so that the delivery logs with the job's ids.
      [BITRIX24_EVENT_JOB]: async (job, ctx) => lifecycleHandler({
        store, nowMs: () => clock.nowMs(), gate, hookEvents,
        onMessagesAdded: async (portalId, data, rerun, receivedAtMs) => {
          await deliverOperatorMessages({ ...outboundDeps, log: ctx.log, jobId: String(job.id) }, portalId, data, rerun);
          if (receivedAtMs !== undefined) metrics.delivered('outbound', clock.nowMs() - receivedAtMs);
        },
        onMessagesChanged: (portalId, event, data) => applyOperatorChanges({ ...outboundDeps, log: ctx.log, jobId: String(job.id) }, portalId, event, data),
        onLeadUpdated: (portalId, data) => carryConvertedLead(crmDeps(ctx.log), portalId, data),
      })(job, ctx),
      [CONVERSATION_MOVE_JOB]: async (job, ctx) => conversationMoveHandler({
        store, router, rules: () => routeRules, bitrixFor: (id) => bitrix.get(id), nowMs: () => clock.nowMs(), log: ctx.log, hookEvents,
      })(job, ctx),
      [BITRIX24_SETUP_JOB]: async (job, ctx) => {
        const payload = parseJobPayload(BITRIX24_SETUP_JOB, job.payload);
        return setupHandler({
          store, bitrix: firstClient(payload.portalId), connectorId: CONNECTOR_ID, publicUrl: config.server.public_url ?? '',
          // A line picked on the settings page (bitrix24-settings.ts) comes in the payload.
          lineIdFor: (id) => payload.lineId ?? config.portals.find((p) => p.id === id)?.line_id ?? null, isOwnLine: (id) => payload.lineId !== undefined || usesOwnLine(id),
          namedLinesFor, bridgeDrivenCrm, nowMs: () => clock.nowMs(), log: ctx.log,
        })(job, ctx);
      },
    },
  });
  metrics.watchRunner(runner);
  registerStoreGauges(metrics.registry, {
    source: store.gauges, nowMs: () => clock.nowMs(), jobKinds: [MAX_UPDATE_JOB, MAX_CATCHUP_JOB, LINE_FLUSH_JOB, BITRIX24_EVENT_JOB, BITRIX24_SETUP_JOB, CONVERSATION_MOVE_JOB, CRM_SESSION_JOB, CRM_PHONE_JOB, HOOK_DELIVERY_JOB],
  });
  registerSideGauges(metrics.registry, {
    sides: [
      ...[...bitrix].map(([id, client]) => ({ holds: client.holds, ids: [id] })),
      ...[...bots.values()].map((b) => ({ holds: b.client.holds, ids: [b.id] })),
    ],
    botReplyQueues: () => store.gauges.botReplyQueues(BITRIX24_EVENT_JOB), botIds: config.bots.map((b) => b.id), nowMs: () => clock.nowMs(),
  });
  registerAnalyticsGauges(metrics.registry, {
    report: (fromMs, toMs, nowMs) => {
      const settings = analyticsSettingsOf(config.analytics);
      return computeReport(store.analytics, { fromMs, toMs, nowMs, by: ['bot'], workingTime: workingTimeOf(settings), sla: settings.sla });
    },
    nowMs: () => clock.nowMs(), botIds: () => config.bots.map((b) => b.id),
  });
  // A portal taken over from another process may have a full bucket: its limiter starts full.
  limitersStartFullOnTakeover(runner, (portalId) => bitrix.get(portalId)?.limiter);
  const pollerOf = (b: BotConfig) => new PollingLoop({
    store, updateTypes: SUBSCRIBED_UPDATES, onStored: () => runner.poke(), sleep: (ms, signal) => clock.sleep(ms, signal), intake: metrics.intake('max_polling'), journal,
    nowMs: () => clock.nowMs(), backlogMaxAgeMs: config.max.polling_backlog_max_age_ms, log: logger.child({ component: 'polling' }),
  }, { id: parseBotId(b.id), name: b.id, token: b.token, client: (bots.get(b.id) as { client: MaxClient }).client, userId: null });
  const pollers = config.bots.filter((b) => b.updates === 'polling').map(pollerOf);
  const pollingIds = config.bots.filter((b) => b.updates === 'polling').map((b) => b.id);
  /** Each bot's state on /ready; a reload refills it (reload below). */
  const botReadinessOf = (configured: BridgeConfigData['bots']) => configured.map((b) => ({
    id: b.id, updates: b.updates,
    problem: () => {
      const holds = bots.get(b.id)?.client.holds;
      const held = holds?.states()[0];
      if (held) return downBotProblem(b.id, held.sinceMs, held.cause);
      const degraded = holds?.degradedStates(clock.nowMs())[0];
      return degraded ? degradedBotProblem(b.id, degraded.sinceMs, degraded.code) : (pollers[pollingIds.indexOf(b.id)]?.problem ?? null);
    },
  }));
  const botReadiness = botReadinessOf(config.bots);
  /** The admin API's and the admin UI's routing: explain, a conversation's route, a move. */
  const adminRouting = adminRoutingOf({ store, router, rules: () => routeRules, nowMs: () => clock.nowMs(), poke: () => runner.poke() });
  /** The /ready report (readiness.ts); the admin UI's overview shows it too. */
  const readinessReport = readiness({
    engine: store.engine, schemaState: () => store.readiness.schemaState(), lineStates: () => store.readiness.lineStates(),
    bots: botReadiness,
    check: async () => [
      ...(await pausedLineProblems(store)), ...pollers.flatMap((p) => (p.problem ? [p.problem] : [])),
      ...[...bitrix.values()].flatMap((client) => client.holds.states().map((h) => blockedPortalProblem(h.side, h.sinceMs, h.cause))),
      ...[...bots.values()].flatMap((b) => b.client.holds.states().map((h) => downBotProblem(h.side, h.sinceMs, h.cause))),
      ...[...bitrix.values()].flatMap((client) => client.holds.degradedStates(clock.nowMs()).map((d) => degradedPortalProblem(d.side, d.sinceMs, d.code))),
      ...[...bots.values()].flatMap((b) => b.client.holds.degradedStates(clock.nowMs()).map((d) => degradedBotProblem(d.side, d.sinceMs, d.code))),
    ],
  });
  /** Each bot's and portal's state now, for the admin UI's overview: the same holds /ready reads, and each portal's limiter. */
  const liveStates = (): LiveStates => ({
    bots: botReadiness.map((b) => ({ id: b.id, problem: b.problem() })),
    portals: [...bitrix].map(([id, client]) => {
      const held = client.holds.states()[0];
      const degraded = client.holds.degradedStates(clock.nowMs())[0];
      return {
        id, problem: held ? blockedPortalProblem(id, held.sinceMs, held.cause) : degraded ? degradedPortalProblem(id, degraded.sinceMs, degraded.code) : null,
        limitLevel: client.limiter.level(id), limitBurst: client.limiter.effective(id).burst,
      };
    }),
  });
  /** The Setup page's view of the running bridge: a bot is checked with MAX once (one attempt, 10 s) before it is added. */
  const adminSetup: AdminSetupDeps = {
    configFile: options.configSource?.file ?? null, env: options.configSource?.env ?? {}, reloadConfig: options.configSource?.reload,
    maxClient: (b) => new MaxClient({ baseUrl: b.apiUrl, token: b.token, botId: b.id, clock, journal, logger, timeoutMs: 10_000, retry: { baseDelayMs: 500, maxDelayMs: 500, maxAttempts: 1 } }),
    bitrixFor: (id) => bitrix.get(id), publicUrl, updateTypes: SUBSCRIBED_UPDATES, connectorId: CONNECTOR_ID,
  };
  // `doctor`'s self-call through PUBLIC_URL is answered with this key (src/domain/doctor-challenge.ts): every process with
  // the same BRIDGE_SECRET_KEY answers alike; without one (a sandbox) only this process can check the answers.
  const doctorKey = config.security.secret_key ? challengeKey(config.security.secret_key) : randomChallengeKey();
  /** `doctor` from inside the bridge: its configuration read again as a reload would, its store, its journal, fresh clients. */
  const runDoctorNow = (): Promise<DoctorReport> => {
    const source = options.configSource;
    const reread = source ? () => loadConfig(source.env, (path) => readFileSync(path, 'utf8')) : null;
    return runDoctor({
      config, mode: options.mode ?? 'production', configResults: configInForceCheck(options.mode ?? 'production', reread, source?.file ?? null),
      store, clock, connectorId: CONNECTOR_ID, challengeKey: doctorKey,
    }, { journal });
  };
  const app = buildApp({
    bodyLimitBytes: config.server.body_limit_bytes, logger: logger.child({ component: 'http' }),
    ...(tlsPair ? { https: { cert: tlsPair.cert, key: tlsPair.key } } : {}),
    plugins: [
      healthPlugin(),
      readyPlugin({ report: readinessReport }),
      doctorChallengePlugin({ key: doctorKey }),
      metricsPlugin({ tokens: [config.security.metrics_token, config.security.admin_token], exposition: exposition(metrics.registry) }),
      maxWebhookPlugin({ bots: (id) => bots.get(id), events: store.events, journal, nowMs: () => clock.nowMs(), onStored: () => runner.poke(), inFlight, intake: metrics.intake('max_webhook') }),
      bitrix24EventsPlugin({
        applicationToken: (id) => store.portals.applicationToken(id).catch((err: unknown) => {
          // Unknown token: the event is refused (401) and Bitrix24 does not resend it — worth an error line.
          log.error({ err, code: codeOf(err), portalId: id }, 'reading the portal\'s application token failed; its event is refused');
          return null;
        }),
        portalIdForMember: (memberId) => store.portals.idForMember(memberId),
        events: store.events, onStored: () => runner.poke(), inFlight, intake: metrics.intake('bitrix24_events'), journal, nowMs: () => clock.nowMs(),
        onReceived: (portalId, envelope, receivedAtMs) => {
          if (envelope.event === 'ONIMCONNECTORMESSAGEADD') gate.observeOperatorEvent(portalId, receivedAtMs ?? clock.nowMs(), envelope.ts, messageIdsOf(envelope.data));
        },
      }),
      bitrix24InstallPlugin({ portals: store.portals, events: store.events, clientIdFor: (id) => config.portals.find((p) => p.id === id)?.client_id,
        portalIdForDomain: (domain) => portalIdForDomain(config.portals, domain), nowMs: () => clock.nowMs(), onStored: () => runner.poke(), journal }),
      bitrix24SettingsPlugin({ portals: store.portals, events: store.events, jobs: store.jobs, connectorId: CONNECTOR_ID, clientIdFor: (id) => config.portals.find((p) => p.id === id)?.client_id,
        configuredLineFor: (id) => config.portals.find((p) => p.id === id)?.line_id ?? null, lineOf: (id) => lineOf(store, parsePortalId(id)), nowMs: () => clock.nowMs(), onStored: () => runner.poke() }),
      mediaPlugin({ media: store.media, signer: mediaSigner, nowMs: () => clock.nowMs() }),
      adminApiPlugin({ adminToken: config.security.admin_token, deadLetters: store.deadLetters, skipped: store.skipped, routing: adminRouting }),
      adminJournalPlugin({ adminToken: config.security.admin_token, store, policy: () => config.privacy, nowMs: () => clock.nowMs() }),
      adminExportPlugin({ adminToken: config.security.admin_token, store, masker, nowMs: () => clock.nowMs() }),
      adminErasuresPlugin({ adminToken: config.security.admin_token, erasure: store.erasure, onErased: onClientErased(hookEvents) }),
      adminChecksPlugin({ adminToken: config.security.admin_token, store, nowMs: () => clock.nowMs(), onWoken: () => runner.poke() }),
      adminHooksPlugin({ adminToken: config.security.admin_token, hooks: store.hooks, webhooks: () => config.hooks.webhooks }),
      // The admin web UI: its own users and sessions, not the admin token (docs/admin-ui.md).
      adminUiPlugin({ deps: {
        store, config: () => config, nowMs: () => clock.nowMs(), journal, policy: () => config.privacy, log: logger.child({ component: 'admin-ui' }),
        readiness: readinessReport, live: liveStates, routing: adminRouting, poke: () => runner.poke(), setup: adminSetup, doctor: runDoctorNow,
      } }),
    ],
  });
  const host = options.host ?? '127.0.0.1';
  // A deep accept queue: while a restarting process is busy with its recovery, webhooks and
  // events wait in the kernel in arrival order instead of overflowing Node's default (511)
  // queue — an overflowing queue drops connection attempts, and the client's retries then
  // land seconds late, after newer messages (capped by net.core.somaxconn).
  await app.listen({ host, port: config.server.port, backlog: LISTEN_BACKLOG });
  const port = (app.server.address() as { port: number }).port;
  listeningUrl = `${scheme}://${host}:${port}`;
  log.info({ url: listeningUrl, engine: store.engine, bots: config.bots.length, portals: config.portals.length }, 'bridge listening');
  // New certificate files are served without a restart; connections in progress keep theirs (certificate-reload.ts).
  const tlsLog = logger.child({ component: 'tls' });
  const certificateReload = tlsFiles && tlsPair ? new CertificateReload({
    files: tlsFiles, served: tlsPair, servedSignature: tlsSignature, publicUrl: () => config.server.public_url, nowMs: () => clock.nowMs(),
    install: (pair) => (app.server as unknown as TlsServer).setSecureContext({ cert: pair.cert, key: pair.key }), log: tlsLog,
  }) : null;
  if (tlsFiles && tlsPair) {
    tlsLog.info({ certFile: tlsFiles.certFile, fingerprint256: tlsPair.fingerprint256, serialNumber: tlsPair.serialNumber, validTo: new Date(tlsPair.validToMs).toISOString() }, 'serving HTTPS with the configured certificate');
    for (const notice of certificateNotices(tlsPair, { publicUrl: config.server.public_url, nowMs: clock.nowMs() })) tlsLog[notice.level]({ certFile: tlsFiles.certFile }, notice.message);
  }
  certificateReload?.start();
  // Operator replies written while the bridge was away are queued before anything newer is
  // handled: events arriving now are stored (not refused — the portal never retries them),
  // and the runner starts once the history has been read.
  const reconcile = (lookbackMs?: number) => reconcileOperatorReplies({ store, bitrixFor: (id) => bitrix.get(id), connectorId: CONNECTOR_ID, nowMs: () => clock.nowMs(), lookbackMs });
  // After a long downtime, replies written in every chat active within the downtime catch-up's
  // window (max.downtime_catchup_days) are looked for, as MAX's side is read (downtime-catch-up.ts).
  const startLookbackMs = downtimePlan ? Math.max(RECONCILE_LOOKBACK_MS, downtimeWindowMs) : undefined;
  await reconcileAtStart(() => reconcile(startLookbackMs), RECONCILE_AT_START_MAX_MS, log);
  // A survivor does for a dead process what its restart would have done, before what came after goes out.
  recoverFromPeer = async () => {
    await catchUpWindow.recordStart();
    await scheduleCatchUps(store);
    await reconcileAtStart(reconcile, RECONCILE_AT_START_MAX_MS, log);
    runner.poke();
  };
  await peers?.start();
  runner.start();
  for (const p of pollers) p.start();
  const webhookBots = [...bots.values()].filter((b) => config.bots.find((c) => c.id === b.id)?.updates === 'webhook');  // a reload refills it
  const maintenanceLog = logger.child({ component: 'maintenance' });
  const maintain = async (atStart = false) => {
    const report = await runMaintenance({
      store, publicUrl: config.server.public_url ?? listeningUrl, connectorId: CONNECTOR_ID, updateTypes: SUBSCRIBED_UPDATES,
      bots: webhookBots, bitrixFor: (id) => bitrix.get(id), nowMs: () => clock.nowMs(), log: maintenanceLog,
    }, { atStart });
    // MAX gave up on our webhook (8 h of failed deliveries): what it held for those bots is read from the chats.
    if (report.lostSubscriptions.length > 0) {
      await catchUpAfterDowntime({ downtimeMs: null, sinceMs: clock.nowMs() - downtimeWindowMs, reason: 'subscription_lost' }, new Set(report.lostSubscriptions));
      runner.poke();
    }
    return report;
  };
  /**
   * Lines the routes name that no setup has recorded yet (a route added by a reload or a
   * restart with a changed file): their portal's setup job runs again (installed portals
   * only; a setup already waiting is not queued twice). Returns the portals queued.
   */
  const setUpNamedLines = async (): Promise<string[]> => {
    const installed = new Set<string>(await store.lines.portalIds());
    const queued: string[] = [];
    for (const p of config.portals) {
      if (!installed.has(p.id)) continue;
      const missing = [];
      for (const lineId of namedLinesFor(p.id)) if ((await store.lines.stateOf(makeLineRef(parsePortalId(p.id), lineId))) === null) missing.push(lineId);
      if (missing.length === 0 || (await store.jobs.hasUnfinished(portalSetupQueue(p.id), BITRIX24_SETUP_JOB))) continue;
      await store.jobs.enqueue({ kind: BITRIX24_SETUP_JOB, conversationKey: portalSetupQueue(p.id), resourceKey: `portal:${p.id}`, payload: { portalId: p.id } });
      log.info({ portalId: p.id, lines: missing }, 'lines named by routes are not set up yet; the portal\'s setup runs');
      queued.push(p.id);
    }
    if (queued.length > 0) runner.poke();
    return queued;
  };
  await maintain(true);
  await setUpNamedLines();

  /**
   * A new configuration, already valid (src/runtime/config-reload.ts checks it first): routes,
   * bots and portals change now, without a restart; what only a restart changes is named.
   * New conversations take the new routes; conversations already routed keep their lines.
   */
  const reload = async (next: BridgeConfigData): Promise<ReloadReport> => {
    const restartNeeded = RESTART_ONLY_KEYS.filter((key) => JSON.stringify(config[key]) !== JSON.stringify(next[key]));
    const changed: string[] = [];
    for (const b of next.bots) {
      const before = config.bots.find((c) => c.id === b.id);
      if (before && JSON.stringify(before) === JSON.stringify(b)) continue;
      const at = pollingIds.indexOf(b.id);
      if (at >= 0) {
        await pollers[at]?.stop();
        pollers.splice(at, 1);
        pollingIds.splice(at, 1);
      }
      bots.set(b.id, botEntry(b));
      changed.push(`bot ${b.id} ${before ? 'changed' : 'added'}`);
    }
    for (const b of config.bots) {
      if (next.bots.some((n) => n.id === b.id)) continue;
      const at = pollingIds.indexOf(b.id);
      if (at >= 0) {
        await pollers[at]?.stop();
        pollers.splice(at, 1);
        pollingIds.splice(at, 1);
      }
      bots.delete(b.id);
      changed.push(`bot ${b.id} removed`);
    }
    for (const p of next.portals) {
      const before = config.portals.find((c) => c.id === p.id);
      if (before && JSON.stringify(before) === JSON.stringify(p)) continue;
      bitrix.set(p.id, portalClient(p));
      changed.push(`portal ${p.id} ${before ? 'changed' : 'added'}`);
    }
    for (const p of config.portals) {
      if (next.portals.some((n) => n.id === p.id)) continue;
      bitrix.delete(p.id);
      changed.push(`portal ${p.id} removed`);
    }
    // Webhooks and checks are read when they run: new ones apply to what happens from now on.
    if (JSON.stringify(config.hooks) !== JSON.stringify(next.hooks)) changed.push(`hooks: ${next.hooks.webhooks.length} webhook(s), ${next.hooks.checks.length} check(s)`);
    routeRules = normalizeRoutes(next.routes);
    if (JSON.stringify(config.routes) !== JSON.stringify(next.routes)) changed.push(`routes: ${routeRules.map((r) => r.name).join(', ')}`);
    config = next;
    if (!hookRunner && routeRules.some((r) => r.transform?.module)) hookRunner = newHookRunner();
    // Bots that poll now poll; webhook bots are subscribed by the maintenance run below.
    for (const b of next.bots) {
      if (b.updates !== 'polling' || pollingIds.includes(b.id)) continue;
      const poller = pollerOf(b);
      pollers.push(poller);
      pollingIds.push(b.id);
      poller.start();
    }
    webhookBots.splice(0, webhookBots.length, ...[...bots.values()].filter((b) => config.bots.find((c) => c.id === b.id)?.updates === 'webhook'));
    botReadiness.splice(0, botReadiness.length, ...botReadinessOf(config.bots));
    const setUp = await setUpNamedLines();
    await maintain().catch((err: unknown) => maintenanceLog.warn({ err, code: codeOf(err) }, 'maintenance after a reload failed; tried again at the next interval'));
    log.info({ changed, setUp, restartNeeded }, 'configuration reloaded');
    return { changed, setUp, restartNeeded };
  };
  const timer = setInterval(() => {
    // Each step is tried again at the next interval; what failed is logged.
    void maintain().catch((err: unknown) => maintenanceLog.warn({ err, code: codeOf(err) }, 'maintenance failed; tried again at the next interval'));
    void store.media.purgeExpired().catch((err: unknown) => maintenanceLog.warn({ err, code: codeOf(err) }, 'purging expired media failed; tried again at the next interval'));
    void reconcile().then(() => runner.poke(), (err: unknown) => {
      maintenanceLog.warn({ err, code: codeOf(err) }, 'reading missed operator replies failed; tried again at the next interval');
    });
  }, MAINTENANCE_INTERVAL_MS);
  timer.unref();
  // On the bridge's clock (a test's ManualClock drives it), under a lease: one process purges at a time.
  const retention = new RetentionSchedule({
    // `retention`, `journal`: a reload does not change them (RESTART_ONLY_KEYS), nor the catch-ups' `max` windows they follow.
    store, clock, settings: () => initialConfig, workerId, log: logger.child({ component: 'retention' }), onPurged: (counts) => metrics.purged(counts),
  });
  retention.start();
  const clientWaitLog = logger.child({ component: 'client-notice' });
  const noticeWaiting = () => noticeWaitingClients({
    store, maxFor: (id) => bots.get(id)?.client, waitMs: config.messages.client_wait_notice_minutes * 60_000,
    text: config.messages.client_wait_notice_text ?? DEFAULT_CLIENT_WAIT_NOTICE_TEXT, nowMs: () => clock.nowMs(), log: clientWaitLog,
  });
  const clientWaitTimer = setInterval(() => {
    void noticeWaiting().catch((err: unknown) => clientWaitLog.warn({ err, code: codeOf(err) }, 'looking for clients waiting on the line failed; tried again at the next look'));
  }, CLIENT_WAIT_LOOK_MS);
  clientWaitTimer.unref();
  return {
    url: listeningUrl,
    app,
    store,
    runner,
    maintain: () => maintain(false),
    reconcile: async () => {
      const report = await reconcile();
      runner.poke();
      return report;
    },
    noticeWaitingClients: noticeWaiting,
    purge: () => retention.runNow(),
    pollers,
    reload,
    doctor: runDoctorNow,
    inFlight,
    ...(certificateReload ? { certificate: certificateReload } : {}),
    async close() {
      clearInterval(timer);
      clearInterval(clientWaitTimer);
      certificateReload?.stop();
      await retention.stop();
      await Promise.all(pollers.map((p) => p.stop()));
      await runner.stop(5_000);
      await hookRunner?.close();
      await peers?.stop();
      // Requests in flight get CLOSE_REQUESTS_WAIT_MS to end; those still open are cut (their senders deliver them again).
      const closed = await closeWithin(app, CLOSE_REQUESTS_WAIT_MS);
      if (closed.cut) log.warn({ waitMs: CLOSE_REQUESTS_WAIT_MS }, 'requests still open when the bridge stopped were cut off; MAX and Bitrix24 deliver them again');
      // The downtime is measured from here (downtime-catch-up.ts).
      await stopMarkingAlive();
      await store.close();
    },
  };
}
