/**
 * Bitrix24 events: `POST /bitrix24/events/:portalId` (what setup binds) or
 * `POST /bitrix24/events` (the portal found by auth[member_id]), form-encoded as the portal
 * sends them. The caller is verified by `auth[application_token]` against the
 * token stored at install (constant time): unknown portal or wrong token → 401
 * and nothing stored. The event is stored raw with its dedupe key and its job
 * in one transaction, then 200 at once (Bitrix24 never retries and throttles
 * slow handlers).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseForm } from 'qs';
import { envelopeOf, externalChatIdOf, messageIdsOf, type Bitrix24EventEnvelope } from '../../bitrix24/event-shape.ts';
import { conversationIdParts, parseConversationId } from '../../domain/ids.ts';
import type { JournalEntry, JournalWriter } from '../../domain/ports.ts';
import { redactText } from '../../journal/redact.ts';
import { bitrix24DedupeKey } from '../../domain/dedupe-keys.ts';
import { BITRIX24_EVENT_JOB, portalEventQueue } from '../../queue/job-kinds.ts';
import type { EventRepo } from '../../store/repos/event-repo.ts';
import type { InFlightRequests } from '../../domain/in-flight.ts';
import { inFlightHook, requestBeganAtMs } from '../in-flight-hook.ts';
import { refusedIntakeHook } from '../intake-hook.ts';
import type { IntakeTallies } from '../../metrics/bridge-metrics.ts';
import { HttpError } from '../http-errors.ts';

export interface Bitrix24EventsOptions {
  /** The application_token stored for a portal at install, or null when unknown. */
  applicationToken: (portalId: string) => Promise<string | null>;
  /** For `POST /bitrix24/events` without a portal id: the installed portal with this member_id, or null. */
  portalIdForMember?: (memberId: string) => Promise<string | null>;
  events: EventRepo;
  onStored?: () => void;
  /** Requests being taken in: a reply waits for those begun with or before its own (lifecycle.ts); the heartbeat reports them. */
  inFlight?: InFlightRequests;
  /** Each newly stored event, as it is received (the operator window learns from it how late events come). */
  onReceived?: (portalId: string, envelope: Bitrix24EventEnvelope, receivedAtMs: number | undefined) => void;
  /** Counts each request's outcome (metrics): stored, duplicate, rejected, failed. */
  intake?: IntakeTallies;
  /** Each stored event is journaled (direction in), its body with the secrets taken out. */
  journal?: JournalWriter;
  nowMs?: () => number;
}

/** The journal row of a stored event: its body (secrets redacted here, personal data masked by the writer) and its ids. */
function journalEntryOf(portalId: string, envelope: Bitrix24EventEnvelope, raw: string, atMs: number, durationMs: number, duplicate: boolean): JournalEntry {
  const chatId = externalChatIdOf(envelope.data);
  const conversationId = chatId === null ? null : parseConversationId(chatId);
  const ids = messageIdsOf(envelope.data).map(String);
  return {
    atMs, side: 'bitrix24', direction: 'in', method: 'POST', endpoint: envelope.event, status: 200, durationMs, portalId,
    ...(conversationId ? { conversationId, maxChatId: conversationIdParts(conversationId).maxChatId } : {}),
    ...(ids.length === 1 ? { messageId: ids[0] } : {}),
    ...(ids.length > 1 && conversationId ? { refs: ids.map((messageId) => ({ conversationId, messageId })) } : {}),
    requestBody: redactText(raw) ?? undefined, ...(duplicate ? { errorCode: 'DUPLICATE' } : {}),
  };
}

function sameSecret(given: string | null, expected: string): boolean {
  if (!given) return false;
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

function parseBody(raw: unknown, contentType: string | undefined): Record<string, unknown> {
  if (typeof raw !== 'string' || raw.length === 0) throw new HttpError('malformedBody', 'empty body');
  if (contentType?.startsWith('application/json')) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new HttpError('malformedBody', 'body is not a JSON object');
  }
  return parseForm(raw, { depth: 10, arrayLimit: 1_000, parameterLimit: 10_000 }) as Record<string, unknown>;
}

export function bitrix24EventsPlugin(options: Bitrix24EventsOptions): FastifyPluginAsync {
  return async (app) => {
    const receive = async (request: FastifyRequest, reply: FastifyReply, givenPortalId: string | null) => {
      const startedMs = options.nowMs?.() ?? Date.now();
      const raw = request.body as string;
      const envelope = envelopeOf(parseBody(raw, request.headers['content-type']));
      if (!envelope) throw new HttpError('invalidBody', 'event (string) is required');
      // Without a portal id in the path, the portal is the one installed with auth[member_id];
      // an unknown member is refused like a wrong token (nothing tells a prober which exist).
      const portalId = givenPortalId ?? (envelope.memberId ? await options.portalIdForMember?.(envelope.memberId) : null) ?? '';
      const expected = await options.applicationToken(portalId);
      if (!expected || !sameSecret(envelope.applicationToken, expected)) {
        throw new HttpError('unauthorized', 'auth[application_token] does not match the installed app');
      }
      const chatId = externalChatIdOf(envelope.data);
      const receivedAtMs = requestBeganAtMs(request);
      const result = await options.events.record({
        source: `bitrix24:${portalId}`,
        kind: envelope.event,
        dedupeKey: bitrix24DedupeKey(envelope.event, envelope.data, randomUUID()),
        raw,
        // A reply waits until every request begun with or before this one is settled (lifecycle.ts).
        receivedAtMs,
        jobs: [{ kind: BITRIX24_EVENT_JOB, conversationKey: portalEventQueue(portalId, chatId ?? null), payload: { portalId } }],
      });
      // Not awaited: the event is durable already; a journal failure is logged, never the request's.
      const durationMs = (options.nowMs?.() ?? Date.now()) - startedMs;
      void options.journal?.write(journalEntryOf(portalId, envelope, raw, startedMs, durationMs, result.duplicate)).catch((err: unknown) => {
        request.log.warn({ err, portalId }, 'journal write failed for a stored Bitrix24 event');
      });
      if (!result.duplicate) {
        options.onReceived?.(portalId, envelope, receivedAtMs);
        options.onStored?.();
      }
      (result.duplicate ? options.intake?.duplicate : options.intake?.stored)?.inc();
      return reply.code(200).send({ ok: true, duplicate: result.duplicate });
    };
    const onRequest = inFlightHook(options.inFlight);
    const onError = refusedIntakeHook(options.intake);
    app.post('/bitrix24/events', { onRequest, onError }, (request, reply) => receive(request, reply, null));
    app.post('/bitrix24/events/:portalId', { onRequest, onError }, (request, reply) => receive(request, reply, (request.params as { portalId: string }).portalId));
  };
}
