/**
 * Bot API: /subscriptions and GET /updates (spec §2).
 */
import type { FastifyInstance } from 'fastify';
import { requestBot, sendMax, type MaxContext } from './context.ts';
import type { UpdateDelivery } from './delivery.ts';
import { maxErrors } from './errors.ts';

export const UPDATE_TYPES = [
  'message_created', 'message_callback', 'message_edited', 'message_removed',
  'bot_added', 'bot_removed', 'user_added', 'user_removed', 'bot_started', 'bot_stopped',
  'dialog_cleared', 'dialog_removed', 'dialog_muted', 'dialog_unmuted', 'chat_title_changed',
  'bot_admin_permissions_changed', 'comment_created', 'comment_edited', 'comment_removed',
] as const;

const SECRET_PATTERN = /^[A-Za-z0-9_-]{5,256}$/;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

function validateUrl(ctx: MaxContext, raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0) throw maxErrors.payload("Field 'url' is required");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw maxErrors.payload(`Invalid url: ${raw}`);
  }
  if (ctx.settings.strictWebhookUrls) {
    if (url.protocol !== 'https:' || (url.port !== '' && url.port !== '443')) {
      throw maxErrors.payload('Webhook url must be https and use port 443');
    }
  } else if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    // Deviation (docs/emulators-max.md): plain http is accepted for loopback hosts only.
    throw maxErrors.payload('Webhook url must be https');
  }
  return raw;
}

function parseUpdateTypes(raw: unknown): string[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw) || raw.some((t) => typeof t !== 'string' || !(UPDATE_TYPES as readonly string[]).includes(t))) {
    throw maxErrors.payload(`Field 'update_types' must be a list of: ${UPDATE_TYPES.join(', ')}`);
  }
  return [...new Set(raw as string[])];
}

function intParam(raw: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw maxErrors.payload(`Field '${name}' must be an integer`);
  const value = Number(raw);
  if (value > max) throw maxErrors.payload(`Field '${name}' value (${value}) must be at most ${max}`);
  if (value < min) throw maxErrors.payload(`Field '${name}' value (${value}) must be at least ${min}`);
  return value;
}

export function registerUpdateRoutes(app: FastifyInstance, ctx: MaxContext, delivery: UpdateDelivery): void {
  app.get('/subscriptions', async (request, reply) => {
    const bot = requestBot(request);
    const subs = ctx.world.subscriptions.get(bot.userId) ?? [];
    return sendMax(reply, 200, {
      subscriptions: subs.map((s) => ({ url: s.url, time: s.timeMs, update_types: s.updateTypes })),
    });
  });

  app.post('/subscriptions', async (request, reply) => {
    const bot = requestBot(request);
    const body = request.body as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw maxErrors.payload('Invalid request body');
    const url = validateUrl(ctx, body.url);
    const updateTypes = parseUpdateTypes(body.update_types);
    const secret = body.secret ?? null;
    if (secret !== null && (typeof secret !== 'string' || !SECRET_PATTERN.test(secret))) {
      throw maxErrors.payload("Field 'secret' must match ^[A-Za-z0-9_-]{5,256}$");
    }
    const subs = (ctx.world.subscriptions.get(bot.userId) ?? []).filter((s) => s.url !== url);
    // The same URL again replaces it; a different URL adds another subscription (spec §2.1, [3P]).
    subs.push({ url, timeMs: Date.now(), updateTypes, secret: secret as string | null, failingSinceMs: null });
    ctx.world.subscriptions.set(bot.userId, subs);
    return sendMax(reply, 200, { success: true });
  });

  app.delete('/subscriptions', async (request, reply) => {
    const bot = requestBot(request);
    const url = (request.query as Record<string, string | undefined>).url;
    if (!url) throw maxErrors.payload('Missing required parameter: url');
    const subs = ctx.world.subscriptions.get(bot.userId) ?? [];
    const left = subs.filter((s) => s.url !== url);
    ctx.world.subscriptions.set(bot.userId, left);
    if (left.length === subs.length) return sendMax(reply, 200, { success: false, message: 'Subscription not found' });
    return sendMax(reply, 200, { success: true });
  });

  app.get('/updates', async (request, reply) => {
    const bot = requestBot(request);
    if ((ctx.world.subscriptions.get(bot.userId) ?? []).length > 0) {
      throw maxErrors.notAllowed('Long polling is not available while a webhook subscription exists');
    }
    const query = request.query as Record<string, string | undefined>;
    const limit = intParam(query.limit, 'limit', 1, 1000, 100);
    const timeoutS = intParam(query.timeout, 'timeout', 0, 90, 30);
    const types = query.types ? query.types.split(',') : null;
    if (query.marker !== undefined && query.marker !== 'null') {
      const marker = intParam(query.marker, 'marker', 0, Number.MAX_SAFE_INTEGER, 0);
      // Passing a marker commits everything up to it (spec §2.2).
      ctx.world.committed.set(bot.userId, Math.max(ctx.world.committed.get(bot.userId) ?? 0, marker));
    }
    const pending = () => {
      const committed = ctx.world.committed.get(bot.userId) ?? 0;
      return (delivery.pollQueue.get(bot.userId) ?? []).filter((u) => u.position > committed);
    };
    if (pending().length === 0 && timeoutS > 0) await delivery.waitForPollable(bot.userId, timeoutS * 1000);
    const all = pending().slice(0, limit);
    const updates = all.filter((u) => !types || types.includes(u.update.update_type)).map((u) => u.update);
    const last = all.at(-1)?.position ?? ctx.world.committed.get(bot.userId) ?? null;
    return sendMax(reply, 200, { updates, marker: last });
  });
}
