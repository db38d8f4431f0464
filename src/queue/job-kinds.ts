/**
 * The kinds of job the bridge runs, each with the shape of its payload (a zod
 * schema) and the queue it runs in. The producers (the HTTP intake, the
 * poller, the pipelines, the store's outbox) and the handlers (src/bridge/)
 * both import from here; the HTTP layer depends on the pipeline's kinds, never
 * the other way round.
 *
 * A payload is written by the bridge itself, but it is read back from the
 * database (and a dead letter may be replayed after an upgrade): a handler
 * parses it with its kind's schema instead of trusting a cast. A payload that
 * does not parse is a dead letter (BRG_ERR_BAD_JOB_PAYLOAD), never a crash
 * half-way through the job.
 *
 * Queues (`conversation_key`): jobs with the same key run one at a time, in id
 * order (job-repo.ts). Keys are built here only.
 */
import { z } from 'zod';
import { BridgeError } from '../domain/errors.ts';
import {
  parseBotId, parseConversationId, parseLineRef, parsePortalId,
  type BotId, type ConversationId, type LineRef, type PortalId,
} from '../domain/ids.ts';

/** A stored MAX update (webhook or polling) to carry to the line; queue: the MAX chat. */
export const MAX_UPDATE_JOB = 'max.update';
/** After a restart: what a conversation's chat history holds and was never queued (catch-up.ts); queue: the MAX chat. */
export const MAX_CATCHUP_JOB = 'max.catchup';
/** Send what is pending in one line's outbox (line-flush.ts); queue: the line. */
export const LINE_FLUSH_JOB = 'line.flush';
/** A stored Bitrix24 event (operator reply, edit, line lifecycle); queue: the Open Lines chat. */
export const BITRIX24_EVENT_JOB = 'bitrix24.event';
/** Connector registration, line activation, event bindings of one portal (setup.ts). */
export const BITRIX24_SETUP_JOB = 'bitrix24.setup';
/** A conversation moved to a route by hand (admin API, CLI, `/route` in the Open Line); queue: its MAX chat. */
export const CONVERSATION_MOVE_JOB = 'conversation.move';

/** The CRM step of a conversation's new Open Lines session (crm-sync.ts); queue: the conversation's CRM queue. */
export const CRM_SESSION_JOB = 'crm.session';
/** A phone the client shared, for the CRM (crm-sync.ts); queue: the conversation's CRM queue. */
export const CRM_PHONE_JOB = 'crm.phone';

/** One hook event's delivery to one webhook (src/bridge/hook-delivery.ts); queue: the webhook's queue of the conversation. */
export const HOOK_DELIVERY_JOB = 'hook.deliver';

/** Who moved a conversation (conversation-move.ts). */
export const MOVED_BY = ['admin', 'cli', 'operator'] as const;

export const BAD_JOB_PAYLOAD = 'BRG_ERR_BAD_JOB_PAYLOAD';

/** Why a downtime catch-up runs (downtime-catch-up.ts). */
export const DOWNTIME_REASONS = ['downtime', 'downtime_unknown', 'subscription_lost'] as const;
export type DowntimeReason = (typeof DOWNTIME_REASONS)[number];

/** A zod string checked and branded by an id codec (src/domain/ids.ts). */
function id<T>(parse: (text: string) => T | null) {
  return z.string().transform((text, ctx): T => {
    let parsed: T | null;
    try {
      parsed = parse(text);
    } catch {
      parsed = null;
    }
    if (parsed === null) {
      ctx.addIssue({ code: 'custom', message: `malformed id ${JSON.stringify(text.slice(0, 80))}` });
      return z.NEVER;
    }
    return parsed;
  });
}

const botId = id<BotId>(parseBotId);
const portalId = id<PortalId>(parsePortalId);

export const JOB_PAYLOADS = {
  [MAX_UPDATE_JOB]: z.object({ botId }),
  /**
   * `sinceMs` and `reason`: a catch-up after a long downtime (downtime-catch-up.ts) reads every
   * client message since then; without them it is the restart catch-up (catch-up.ts).
   */
  [MAX_CATCHUP_JOB]: z.object({
    botId, conversationId: id<ConversationId>(parseConversationId),
    sinceMs: z.number().finite().optional(),
    reason: z.enum(DOWNTIME_REASONS).optional(),
  }),
  [LINE_FLUSH_JOB]: z.object({ lineRef: id<LineRef>(parseLineRef), portalId }),
  [BITRIX24_EVENT_JOB]: z.object({ portalId }),
  /** `lineId`: the line picked on the connector settings page (bitrix24-settings.ts); else the configured one. */
  [BITRIX24_SETUP_JOB]: z.object({ portalId, lineId: z.number().int().nonnegative().optional() }),
  /** `chatId` and `sessionId`: the Open Lines chat and the session its send opened. */
  [CRM_SESSION_JOB]: z.object({ conversationId: id<ConversationId>(parseConversationId), chatId: z.string().min(1).max(40), sessionId: z.string().min(1).max(40) }),
  [CRM_PHONE_JOB]: z.object({ conversationId: id<ConversationId>(parseConversationId) }),
  [HOOK_DELIVERY_JOB]: z.object({ deliveryId: z.number().int().positive(), webhook: z.string().min(1).max(253) }),
  /** `operator`: the operator's name when an operator typed `/route <name>`. */
  [CONVERSATION_MOVE_JOB]: z.object({
    conversationId: id<ConversationId>(parseConversationId), route: z.string().min(1).max(63), by: z.enum(MOVED_BY), operator: z.string().max(200).optional(),
  }),
};

export type JobKind = keyof typeof JOB_PAYLOADS;
export type JobPayload<K extends JobKind> = z.output<(typeof JOB_PAYLOADS)[K]>;

/** A claimed job's payload, checked against its kind's schema. */
export function parseJobPayload<K extends JobKind>(kind: K, payload: unknown): JobPayload<K> {
  const result = JOB_PAYLOADS[kind].safeParse(payload);
  if (!result.success) {
    const where = result.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
    throw new BridgeError(BAD_JOB_PAYLOAD, `${kind} job payload does not match its kind: ${where}`, { retryable: false });
  }
  return result.data as JobPayload<K>;
}

/** The queue of a MAX chat's updates: `max:<botId>:<chatId>` (= `max:<conversationId>`; 'nochat' for updates of no chat). */
export function maxChatQueue(botId: string, chatId: string | null): string {
  return `max:${botId}:${chatId ?? 'nochat'}`;
}

/** The same queue, named by the conversation: a catch-up runs among its chat's updates. */
export function conversationQueue(conversationId: ConversationId): string {
  return `max:${conversationId}`;
}

/**
 * The queue of a portal's events about one connector chat: `b24:<portalId>:<chat id>` (the chat
 * id is our conversation id for a chat of ours); events of no chat share `b24:<portalId>:portal`.
 */
export function portalEventQueue(portalId: string, externalChatId: string | null): string {
  return `b24:${portalId}:${externalChatId ?? 'portal'}`;
}

/** The conversation a portal event queue is about (null for the portal's own queue or a chat not ours). */
export function conversationOfPortalEventQueue(queue: string): ConversationId | null {
  if (!queue.startsWith('b24:')) return null;
  const afterPortal = queue.indexOf(':', 4);
  return afterPortal < 0 ? null : parseConversationId(queue.slice(afterPortal + 1));
}

/** The conversation a job's queue is about — a MAX chat's, a portal event's or a CRM queue — or null (a line's, a portal's, a webhook's). */
export function conversationOfQueue(queue: string): ConversationId | null {
  if (queue.startsWith('b24:')) return conversationOfPortalEventQueue(queue);
  if (queue.startsWith('max:') || queue.startsWith('crm:')) return parseConversationId(queue.slice(4));
  return null;
}

/**
 * The queue of a conversation's CRM steps: `crm:<conversationId>`. Its own, not the chat's: a CRM
 * step waiting for the line's tracker (seconds) never holds up the conversation's messages.
 */
export function crmQueue(conversationId: ConversationId): string {
  return `crm:${conversationId}`;
}

/**
 * The queue of one webhook's events about one conversation: `hook:<webhook>:<conversationId>`
 * (`hook:<webhook>:bridge` for events of no conversation). Its own: a receiver that is down
 * holds its events, never the conversation's messages; each receiver gets them in order.
 */
export function hookQueue(webhook: string, conversationId: string | null): string {
  return `hook:${webhook}:${conversationId ?? 'bridge'}`;
}

/** The queue of a portal's setup jobs (one at a time: install, settings page, a reload). */
export function portalSetupQueue(portalId: string): string {
  return `b24:${portalId}:setup`;
}

/** The queue of one line's flush jobs. */
export function lineFlushQueue(lineRef: LineRef): string {
  return `line:${lineRef}`;
}

/** The rate-limited resource a portal's calls use (one process holds its lease at a time). */
export function portalResource(portalId: PortalId): string {
  return `portal:${portalId}`;
}
