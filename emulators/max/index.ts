/**
 * The MAX Bot API emulator: a faithful local stand-in for platform-api2.max.ru
 * (spec/max/openapi.yaml and the fact sheet), with a control API to act as MAX
 * users and inject faults. See docs/emulators-max.md.
 */
import multipart from '@fastify/multipart';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ensureEmulatorCertificate } from '../shared/tls.ts';
import { sendMaxError, type MaxContext, type MaxEmulatorSettings } from './context.ts';
import { registerControlRoutes } from './control-routes.ts';
import { UpdateDelivery, type PendingDeliveries } from './delivery.ts';
import { MaxEmulatorError, maxErrors } from './errors.ts';
import { FaultTable } from './faults.ts';
import { SlidingWindow } from './rate-limits.ts';
import { registerChatRoutes } from './routes-chats.ts';
import { registerMessageRoutes } from './routes-messages.ts';
import { EMULATOR_UPLOAD_LIMIT_BYTES, registerUploadRoutes } from './routes-uploads.ts';
import { registerUpdateRoutes } from './routes-updates.ts';
import { MaxWorld } from './world.ts';

export interface MaxEmulatorBotOptions {
  token: string;
  userId?: number;
  name?: string;
  username?: string;
}

export interface MaxEmulatorOptions extends Partial<MaxEmulatorSettings> {
  host?: string;
  port?: number;
  tls?: boolean;
  bots?: MaxEmulatorBotOptions[];
  botRps?: number;
  chatMessagesPerSecond?: number;
  random?: () => number;
  /** Strict mode: PEM CA certificates MAX trusts besides the public roots (a test's CA; webhook-tls.ts). */
  webhookCaCerts?: string[];
  /** Strict mode: webhook host → `ip:port` its port 443 is reached at, standing in for DNS and a port forward. */
  webhookAddresses?: Record<string, string>;
}

export interface MaxEmulator {
  baseUrl: string;
  controlUrl: string;
  /** The in-memory world, for tests that need to look deeper than the control API. */
  world: MaxWorld;
  settings: MaxEmulatorSettings;
  /** The updates on their way to the bots now (delivery.ts). */
  pendingDeliveries(): PendingDeliveries;
  close(): Promise<void>;
}

export const DEFAULT_MAX_SETTINGS: MaxEmulatorSettings = {
  timeFactor: 1,
  attachmentNotReadyMs: 2_000,
  textMaxLength: 4_000,
  textLengthUnit: 'chars',
  webhookTimeoutMs: 30_000,
  webhookRetryFirstDelayMs: 60_000,
  webhookRetryMultiplier: 2.5,
  webhookMaxRetries: 10,
  webhookFailureWindowMs: 8 * 3_600_000,
  editWindowMs: 7 * 86_400_000,
  duplicateDeliveryRate: 0,
  duplicateDeliveryMaxCopies: 1,
  reorderRetries: false,
  strictWebhookUrls: false,
  fileNameMaxLength: 200,
  fileNameRefusedAt: 'upload',
};

const PUBLIC_PREFIXES = ['/_control', '/_upload/', '/_files/'];

function isBotApi(url: string): boolean {
  return !PUBLIC_PREFIXES.some((p) => url.startsWith(p));
}

export async function startMaxEmulator(options: MaxEmulatorOptions = {}): Promise<MaxEmulator> {
  const settings: MaxEmulatorSettings = { ...DEFAULT_MAX_SETTINGS };
  for (const key of Object.keys(DEFAULT_MAX_SETTINGS) as (keyof MaxEmulatorSettings)[]) {
    if (options[key] !== undefined) (settings as unknown as Record<string, unknown>)[key] = options[key];
  }
  const tls = options.tls ? await ensureEmulatorCertificate() : null;
  const app = Fastify({
    bodyLimit: EMULATOR_UPLOAD_LIMIT_BYTES,
    forceCloseConnections: true,
    ...(tls ? { https: { key: tls.keyPem, cert: tls.certPem } } : {}),
  }) as unknown as FastifyInstance;
  const world = new MaxWorld();
  let baseUrl = '';
  const random = options.random ?? Math.random;
  const ctx: MaxContext = {
    world,
    settings,
    botLimit: new SlidingWindow(options.botRps ?? 30),
    chatLimit: new SlidingWindow(options.chatMessagesPerSecond ?? 2),
    faults: new FaultTable(random),
    random,
    baseUrl: () => baseUrl,
    webhookTrust: {
      caCerts: options.webhookCaCerts ?? [],
      addresses: Object.fromEntries(Object.entries(options.webhookAddresses ?? {}).map(([host, address]) => [host.toLowerCase(), address])),
    },
    scaled: (ms) => ms * settings.timeFactor,
  };
  const bots = options.bots ?? [{ token: 'max-emulator-token' }];
  bots.forEach((b, i) => {
    world.addBot({
      token: b.token,
      userId: b.userId ?? 100_000 + i,
      name: b.name ?? `Бот ${i + 1}`,
      username: b.username ?? `emulator_bot_${i + 1}`,
    });
  });
  await app.register(multipart);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const delivery = new UpdateDelivery(ctx);
  installHooks(app, ctx);
  registerMessageRoutes(app, ctx);
  registerChatRoutes(app, ctx);
  registerUploadRoutes(app, ctx);
  registerUpdateRoutes(app, ctx, delivery);
  registerControlRoutes(app, ctx, delivery);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = options.host ?? '127.0.0.1';
  baseUrl = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    baseUrl,
    controlUrl: `${baseUrl}/_control`,
    world,
    settings,
    pendingDeliveries: () => delivery.pendingDeliveries(),
    async close() {
      delivery.close();
      await app.close();
    },
  };
}

function installHooks(app: FastifyInstance, ctx: MaxContext): void {
  // A skewed clock (PUT /_control/clock): the Date header of every answer says MAX's time.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (ctx.settings.clockSkewMs) void reply.header('date', new Date(Date.now() + ctx.settings.clockSkewMs).toUTCString());
    return payload;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!isBotApi(request.url)) return;
    const token = request.headers.authorization;
    // Query-string tokens are no longer supported by the real API (spec §1): a token
    // only in the query is as good as none.
    if (typeof token !== 'string' || token.length === 0) {
      return sendMaxError(reply, maxErrors.invalidToken());
    }
    const bot = ctx.world.botByToken(token);
    if (!bot) return sendMaxError(reply, maxErrors.invalidToken());
    request.maxBot = bot;
    if (await applyFaults(ctx, request, reply)) return reply;
    if (!ctx.botLimit.tryHit(String(bot.userId), Date.now())) return sendMaxError(reply, maxErrors.tooManyRequests());
  });
  app.setNotFoundHandler((request, reply) =>
    sendMaxError(reply, maxErrors.notFound(`Path ${request.method} ${request.url.split('?')[0]} not found`)),
  );
  app.setErrorHandler((error: FastifyError | MaxEmulatorError, _request, reply) => {
    if (error instanceof MaxEmulatorError) return sendMaxError(reply, error);
    if (error.statusCode === 413) return sendMaxError(reply, new MaxEmulatorError(413, 'proto.payload', 'Request entity too large'));
    if (error.statusCode && error.statusCode < 500) return sendMaxError(reply, maxErrors.payload(`Invalid request: ${error.message}`));
    return sendMaxError(reply, maxErrors.internal());
  });
}

/** Applies injected faults; returns true when the request was answered (or swallowed) by one. */
async function applyFaults(ctx: MaxContext, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  for (const rule of ctx.faults.pick(request.url)) {
    if (rule.kind === 'latency') {
      await new Promise((r) => setTimeout(r, rule.latencyMs ?? 1_000));
    } else if (rule.kind === 'status') {
      const status = rule.status ?? 500;
      const err = status === 429 ? maxErrors.tooManyRequests() : status === 503 ? maxErrors.unavailable() : new MaxEmulatorError(status, 'internal', 'Internal server error');
      sendMaxError(reply, err);
      return true;
    } else if (rule.kind === 'timeout') {
      // Never answer: the connection stays open until the client gives up or the emulator closes.
      reply.hijack();
      return true;
    } else {
      reply.hijack();
      request.raw.socket.destroy();
      return true;
    }
  }
  return false;
}
