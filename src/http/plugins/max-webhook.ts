/**
 * MAX webhooks: `POST /max/webhook/:botId` (one path and secret per bot: MAX
 * updates do not say which bot they are for). The caller is verified with the
 * `X-Max-Bot-Api-Secret` header in constant time; the raw body is stored as an
 * event with its dedupe key and its job in ONE transaction, and only then is
 * 200 returned. Nothing else runs in the request. A redelivery is answered 200
 * and creates nothing. Bad input gets a 4xx with a code and stores nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { parseJsonKeepingBigIntegers } from '../../domain/big-json.ts';
import { maxDedupeKey } from '../../domain/dedupe-keys.ts';
import type { JournalWriter } from '../../domain/ports.ts';
import { parseConversationId } from '../../domain/ids.ts';
import { isOwnMessage, maxChatIdOf, maxMessageIdOf, maxUserIdOf } from '../../max/update-routing-key.ts';
import { MAX_UPDATE_JOB } from '../../queue/job-kinds.ts';
import type { EventRepo } from '../../store/repos/event-repo.ts';
import type { InFlightRequests } from '../../domain/in-flight.ts';
import { inFlightHook, requestBeganAtMs } from '../in-flight-hook.ts';
import { refusedIntakeHook } from '../intake-hook.ts';
import type { IntakeTallies } from '../../metrics/bridge-metrics.ts';
import { HttpError } from '../http-errors.ts';

export interface MaxWebhookBot {
  id: string;
  secret: string;
  /**
   * Secrets accepted besides `secret`: while BRIDGE_SECRET_KEY changes, the ones derived from
   * each key of the ring, so this process takes deliveries MAX makes with the secret another
   * process (on the old key or the new one) subscribed with (docs/operations.md).
   */
  alsoAccepted?: readonly string[];
  /** The bot's own MAX user id (from GET /me), to ignore its own messages; null if unknown. */
  userId: string | null;
}

export interface MaxWebhookOptions {
  bots: (botId: string) => MaxWebhookBot | undefined;
  events: EventRepo;
  journal?: JournalWriter;
  nowMs: () => number;
  /** Called after a stored event so the runner picks its job up at once. */
  onStored?: () => void;
  /** Requests being taken in (several processes: the heartbeat reports them). */
  inFlight?: InFlightRequests;
  /** Counts each request's outcome (metrics): stored, duplicate, rejected, failed. */
  intake?: IntakeTallies;
}

/** The SHA-256 of a bot's expected secrets, computed once per bot and secrets (a rotated secret is hashed anew). */
type DigestCache = Map<string, { secrets: readonly string[]; digests: Buffer[] }>;

function secretMatches(given: unknown, bot: MaxWebhookBot, cache: DigestCache): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const secrets = [bot.secret, ...(bot.alsoAccepted ?? [])];
  let expected = cache.get(bot.id);
  if (expected?.secrets.length !== secrets.length || expected.secrets.some((s, i) => s !== secrets[i])) {
    expected = { secrets, digests: secrets.map((s) => createHash('sha256').update(s).digest()) };
    cache.set(bot.id, expected);
  }
  // Both sides hashed to 32 bytes: the comparison takes the same time whatever the lengths; and
  // every expected secret is compared (no early exit), so the time does not tell which matched.
  const digest = createHash('sha256').update(given).digest();
  let matched = false;
  for (const d of expected.digests) matched = timingSafeEqual(digest, d) || matched;
  return matched;
}

function parseUpdate(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'string' || raw.length === 0) throw new HttpError('malformedBody', 'empty body');
  let update: unknown;
  try {
    update = parseJsonKeepingBigIntegers(raw);
  } catch {
    throw new HttpError('malformedBody', 'body is not valid JSON');
  }
  if (!update || typeof update !== 'object' || Array.isArray(update)) throw new HttpError('invalidBody', 'an Update object is expected');
  const u = update as Record<string, unknown>;
  if (typeof u.update_type !== 'string' || u.update_type.length === 0) throw new HttpError('invalidBody', 'update_type (string) is required');
  if (typeof u.timestamp !== 'number' && typeof u.timestamp !== 'string') throw new HttpError('invalidBody', 'timestamp (int64) is required');
  return u;
}

export function maxWebhookPlugin(options: MaxWebhookOptions): FastifyPluginAsync {
  const digests: DigestCache = new Map();
  return async (app) => {
    app.post('/max/webhook/:botId', { onRequest: inFlightHook(options.inFlight), onError: refusedIntakeHook(options.intake) }, async (request, reply) => {
      const startedMs = options.nowMs();
      const botId = (request.params as { botId: string }).botId;
      const bot = options.bots(botId);
      if (!bot) throw new HttpError('unknownBot', `unknown bot "${botId}"`);
      if (!secretMatches(request.headers['x-max-bot-api-secret'], bot, digests)) {
        throw new HttpError('unauthorized', 'X-Max-Bot-Api-Secret does not match this bot');
      }
      const raw = request.body as string;
      const update = parseUpdate(raw);
      const chatId = maxChatIdOf(update);
      const own = isOwnMessage(update, bot.userId);
      const dedupeKey = maxDedupeKey(update, raw);
      const result = await options.events.record({
        source: `max:${bot.id}`,
        kind: String(update.update_type),
        dedupeKey,
        raw,
        // The line flush holds a later message until every request begun with or before this one is settled.
        receivedAtMs: requestBeganAtMs(request),
        // The bot's own messages are stored (journal) but start no work.
        jobs: own ? [] : [{ kind: MAX_UPDATE_JOB, conversationKey: `max:${bot.id}:${chatId ?? 'nochat'}`, payload: { botId: bot.id } }],
      });
      // The exchange, with the update as its body (masked by the journal's writer) and the ids
      // that find it again: the message (mid), its conversation, chat and client. A redelivery
      // is journaled too, marked DUPLICATE. Not awaited: the event is durable already, and
      // the journal joins the next group insert.
      void options.journal?.write({
        atMs: startedMs, side: 'max', direction: 'in', method: 'POST', endpoint: '/max/webhook/:botId', status: 200,
        durationMs: options.nowMs() - startedMs, botId: bot.id, messageId: maxMessageIdOf(update) ?? dedupeKey,
        ...(chatId !== null && parseConversationId(`${bot.id}:${chatId}`) ? { conversationId: `${bot.id}:${chatId}`, maxChatId: chatId } : {}),
        ...(maxUserIdOf(update) !== null ? { maxUserId: maxUserIdOf(update) as string } : {}),
        requestBody: raw, ...(result.duplicate ? { errorCode: 'DUPLICATE' } : {}),
      }).catch((err: unknown) => {
        // The update is stored; only its journal entry is lost.
        request.log.warn({ err, botId: bot.id, messageKey: dedupeKey }, 'journal write failed for a stored MAX update');
      });
      if (!result.duplicate) options.onStored?.();
      (result.duplicate ? options.intake?.duplicate : options.intake?.stored)?.inc();
      return reply.code(200).send({ ok: true, duplicate: result.duplicate });
    });
  };
}
