/**
 * The Bitrix24 REST emulator: portals (each on its own origin, like real
 * portals on their own domains), one OAuth server origin shared by all (like
 * oauth.bitrix24.tech) that also serves the control API and the operator page.
 * See docs/emulators-bitrix24.md.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { parse as parseQuery } from 'qs';
import { ensureEmulatorCertificate, type EmulatorCertificate } from '../shared/tls.ts';
import type { Bitrix24Context, Bitrix24Settings } from './context.ts';
import { registerControlRoutes } from './control-routes.ts';
import { CrmTrackerQueue } from './crm-lag.ts';
import { B24FaultTable } from './faults.ts';
import { EventSender } from './events-out.ts';
import type { PortalLimits } from './limits.ts';
import { registerOAuthRoutes } from './oauth-routes.ts';
import { PortalState } from './portal.ts';
import { registerRestRoutes, type RequestLog } from './rest-routes.ts';

export interface Bitrix24PortalOptions {
  memberId?: string;
  limits?: Partial<PortalLimits>;
}

export interface Bitrix24EmulatorOptions extends Partial<Bitrix24Settings> {
  host?: string;
  /** Port of the OAuth/control origin; portals get ports of their own (0 = any). */
  port?: number;
  portalPorts?: number[];
  tls?: boolean;
  portals?: Bitrix24PortalOptions[];
  apps?: Array<{ clientId: string; clientSecret: string }>;
  random?: () => number;
}

export interface Bitrix24Emulator {
  controlUrl: string;
  oauthUrl: string;
  portals: Array<{ id: number; baseUrl: string; memberId: string; domain: string }>;
  /** In-process access for tests that need to look deeper than the control API. */
  context: Bitrix24Context;
  close(): Promise<void>;
}

export const DEFAULT_BITRIX24_SETTINGS: Bitrix24Settings = {
  timeFactor: 1,
  accessTokenTtlSeconds: 3600,
  eventDelayMs: 0,
  eventDropRate: 0,
  eventDuplicateRate: 0,
  eventReorder: false,
  eventTimeoutMs: 10_000,
};

/** PHP's parse_str: bracket keys nest (`cmd[a]=…`, `fields[TITLE]=…`), in the query string as in a form body. */
const PHP_QUERY = { depth: 10, arrayLimit: 1000, parameterLimit: 10_000 };

function createServer(tls: EmulatorCertificate | null): FastifyInstance {
  // maxParamLength: a file link ends with the file's name (percent-encoded, 6 characters per Cyrillic
  // letter); a real portal serves names of 255 characters, Fastify's default refuses params over 100.
  const app = Fastify({
    forceCloseConnections: true, bodyLimit: 32 * 1024 * 1024, routerOptions: { maxParamLength: 4_096, querystringParser: (query) => parseQuery(query, PHP_QUERY) },
    ...(tls ? { https: { key: tls.keyPem, cert: tls.certPem } } : {}),
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseQuery(body as string, PHP_QUERY));
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  return app as unknown as FastifyInstance;
}

/** A skewed clock (PUT /_control/clock): the Date header of every answer says the portal's time. */
function dateBySettings(app: FastifyInstance, settings: Bitrix24Settings): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (settings.clockSkewMs) void reply.header('date', new Date(Date.now() + settings.clockSkewMs).toUTCString());
    return payload;
  });
}

async function listen(app: FastifyInstance, host: string, port: number, tls: boolean): Promise<string> {
  await app.listen({ host, port });
  const address = app.server.address();
  const actual = typeof address === 'object' && address ? address.port : 0;
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${actual}`;
}

export async function startBitrix24Emulator(options: Bitrix24EmulatorOptions = {}): Promise<Bitrix24Emulator> {
  const settings: Bitrix24Settings = { ...DEFAULT_BITRIX24_SETTINGS };
  for (const key of Object.keys(DEFAULT_BITRIX24_SETTINGS) as (keyof Bitrix24Settings)[]) {
    if (options[key] !== undefined) (settings as unknown as Record<string, unknown>)[key] = options[key];
  }
  const tls = options.tls ? await ensureEmulatorCertificate() : null;
  const host = options.host ?? '127.0.0.1';
  const random = options.random ?? Math.random;
  let oauthUrl = '';
  const portals = (options.portals ?? [{}]).map((p, i) => new PortalState(i, p.memberId, p.limits));
  const ctx: Bitrix24Context = {
    settings, portals, apps: new Map((options.apps ?? []).map((a) => [a.clientId, a])),
    accessTokens: new Map(), refreshTokens: new Map(), refreshCalls: [], deliveries: [], random,
    oauthUrl: () => oauthUrl,
    emitEvent: (portal, clientId, event, data) => sender.emit(portal, clientId, event, data),
    pendingDeliveries: () => ({ ...sender.pendingDeliveries(), crmPending: tracker.pending() }),
    scheduleCrmTracker: (portal, line, chat) => tracker.schedule(portal, line, chat),
  };
  const sender = new EventSender(ctx);
  const tracker = new CrmTrackerQueue(ctx);
  const requestLog: RequestLog = [];
  const faults = portals.map(() => new B24FaultTable(random));
  const main = createServer(tls);
  dateBySettings(main, settings);
  registerOAuthRoutes(main, ctx);
  registerControlRoutes(main, { ctx, faults, requestLog });
  oauthUrl = await listen(main, host, options.port ?? 0, !!tls);
  const portalApps: FastifyInstance[] = [];
  for (const portal of portals) {
    const app = createServer(tls);
    dateBySettings(app, settings);
    registerRestRoutes(app, ctx, portal, faults[portal.id] as B24FaultTable, requestLog);
    portal.baseUrl = await listen(app, host, options.portalPorts?.[portal.id] ?? 0, !!tls);
    portalApps.push(app);
  }
  return {
    controlUrl: `${oauthUrl}/_control`,
    oauthUrl,
    portals: portals.map((p) => ({ id: p.id, baseUrl: p.baseUrl, memberId: p.memberId, domain: p.domain })),
    context: ctx,
    async close() {
      tracker.close();
      sender.close();
      await Promise.all([main.close(), ...portalApps.map((a) => a.close())]);
    },
  };
}
