/**
 * Inbound pipeline: a stored MAX update → route (sticky conversation) →
 * transform → the line outbox, queued in the same transaction as the job's
 * "done"; the line's flush job (line-flush.ts) sends queued items to Open Lines
 * (`imconnector.send/update/delete.messages`, `chat.name.set`), several per call,
 * and maps ids. Handled: message_created (text, markup, replies, forwards,
 * contact, location, share, sticker), message_edited, message_removed,
 * message_callback (shown to the operator, answered in MAX), bot_started
 * (source kept), bot_stopped / dialog_removed (conversation blocked, operator
 * told), group events (bot_added/removed, user_added/removed,
 * chat_title_changed → chat renamed). Other types are stored and journaled only.
 * Group chats and channels (group-chat.ts): channels are never carried; group
 * chats only with `max.group_chats: conversation`, as one conversation per
 * group. What is not carried is recorded in `skipped_updates` with its reason.
 *
 * The external chat id in Open Lines is the conversation id `<botId>:<chatId>`:
 * stable, unique across bots, and it names the bot for the way back.
 */
import { BridgeError } from '../domain/errors.ts';
import { codeOf, silentLogger, type Logger } from '../log/logger.ts';
import { makeConversationId, makeMessageKey, portalOfLine, type BotId, type ConversationId, type LineRef, type PortalId } from '../domain/ids.ts';
import { CRM_PHONE_JOB, crmQueue, MAX_CATCHUP_JOB, MAX_UPDATE_JOB, parseJobPayload, portalResource } from '../queue/job-kinds.ts';
import { NotYet } from '../queue/not-yet.ts';
import { sanitizeClientName } from '../domain/text/client-name.ts';
import {
  botAddedText, botRemovedText, fileTooLargeText, botStartedText, botStoppedText, buttonPressedText, chatTitleChangedText, userAddedText, userRemovedText,
} from '../domain/text/system-texts.ts';
import type { MaxClient } from '../max/client.ts';
import type { components } from '../max/types.ts';
import { keyboardButtonsOf, midOfMessage, parseMaxMessage, parseMaxUpdate, type MaxMessage, type MaxUpdate, type MaxUser } from '../max/update.ts';
import type { JobHandler } from '../queue/runner.ts';
import type { Store } from '../store/open-store.ts';
import type { ClientProfile, ConversationRow } from '../store/repos/conversation-repo.ts';
import type { OnComplete } from '../store/repos/job-repo.ts';
import type { SkipReason } from '../store/repos/skipped-update-repo.ts';
import { sortKeyOf, type OutboxMethod } from '../store/repos/outbox-repo.ts';
import { findMissed, type CatchUpWindow, type MissedMessage } from './catch-up.ts';
import type { DowntimeReport } from './downtime-catch-up.ts';
import { authorLine, chatKindOf, groupChatName, groupLineUser, skipReasonFor, type GroupChatsMode } from './group-chat.ts';
import { ownSharedPhone, renderInbound, sharedPhone } from './inbound-render.ts';
import { isOwnPhone, normalizedPhone } from '../domain/crm/client-phone.ts';
import { routingInputOf } from './route-explain.ts';
import type { RouteTransforms } from './route-transform.ts';
import type { RouteOutcome, Router } from './router.ts';
import type { HookEmitter } from './hook-events.ts';
import type { RoutingInput } from '../domain/routing/routing-input.ts';
import { candidateOf, checkBeforeRouting, checkMessage, gatedUpdate, HOLD_RECHECK_MS, type ChecksDeps, type MessageCheck, type VerdictSummary } from './checks/conversation-checks.ts';
import { conversationRoutedEvent, conversationStartedEvent } from './routing-events.ts';

export interface InboundDeps {
  store: Store;
  max: MaxClient;
  /** Where new conversations go (router.ts); a conversation keeps its line until its session closes. */
  router: Router;
  /** The routes' transforms (route-transform.ts): card, prefixes, attachment rules, code hook; absent = none. */
  transforms?: RouteTransforms;
  /** Catch-up after a restart (catch-up.ts); absent = off. */
  catchUp?: { window: CatchUpWindow; windowMs: number };
  /** Files re-hosted for the line (src/media/rehost.ts): `message.files` items, and names of files too large to carry. */
  filesFor?: (ctx: { conversationId: string; message: Record<string, unknown> }) => Promise<{ files: Array<{ url: string; name: string }>; skipped: string[] }>;
  /** `max.group_chats`: whether a group chat becomes a conversation (default ignore). */
  groupChats?: GroupChatsMode;
  /** The job's logger (JobContext.log: component, jobId, conversationKey); default silent. */
  log?: Logger;
  /** What the downtime catch-up (downtime-catch-up.ts) has recovered, summed up when it is done. */
  downtimeReport?: DowntimeReport;
  /** The CRM (crm/phone-job.ts): a phone the client shares as their own is kept for it; absent = no CRM. */
  crm?: { ownPhones: readonly string[] };
  /** Hook events (hook-events.ts): written with the facts they tell; absent = none. */
  hookEvents?: HookEmitter;
  /** Synchronous checks before routing and per message (checks/conversation-checks.ts); absent = none asked. */
  checks?: ChecksDeps;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

/** An update without a part its type must have (never sent by MAX): a dead letter, visible and replayable. */
export const BAD_UPDATE = 'BRG_ERR_BAD_UPDATE';

function required<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new BridgeError(BAD_UPDATE, `the update has no ${what}`, { retryable: false });
  return value;
}

/** The update of a catch-up job: there is none (its places come from the history). */
const NO_UPDATE: MaxUpdate = { update_type: '' };

/** Tries of a catch-up job before the conversation's items go unverified. */
const CATCHUP_ATTEMPTS = 3;
/** A history read that would wait longer than this for the bot's limit puts its job back instead. */
const CATCHUP_DEFER_AFTER_MS = 100;

interface Ctx {
  deps: InboundDeps;
  portalId: PortalId;
  lineRef: LineRef;
  conversation: ConversationRow;
  update: MaxUpdate;
  /** When the bridge received the update (its event's time). */
  arrivedMs: number;
  /** Set for a group chat's conversation: every item goes as the group, signed by its author. */
  group: { title: string | null } | null;
  /** The stored update's event (absent for a catch-up job's recovered messages). */
  eventId?: number;
}

function fullName(user: MaxUser | null | undefined): string {
  return [user?.first_name, user?.last_name].filter((v) => typeof v === 'string' && v).join(' ');
}

function lineUser(ctx: Ctx, user: MaxUser | null | undefined, phone: string | null = null): Json {
  if (ctx.group) return groupLineUser(ctx.conversation.maxChatId, ctx.group.title);
  const u: Json = {
    id: String(user?.user_id ?? ctx.conversation.maxUserId ?? ctx.conversation.maxChatId),
    name: sanitizeClientName(user?.first_name),
    last_name: sanitizeClientName(user?.last_name, ''),
  };
  const profile = ctx.conversation.profile;
  // Only the dialog partner's profile is known; in group chats other members have none.
  if (profile && String(user?.user_id ?? '') === (ctx.conversation.maxUserId ?? '')) {
    if (profile.avatarUrl) u.picture = { url: profile.avatarUrl };
    if (profile.profileUrl) u.url = profile.profileUrl;
  }
  // The phone the client shared before, on every message: the line's CRM tracker matches by it (spec §6, §12.9).
  const known = phone ?? ctx.conversation.clientPhone;
  if (known) u.phone = known;
  return u;
}

/** Where an update sits in its conversation: MAX time, then seq (webhooks may arrive out of order). */
interface Place {
  sortKey: string;
  tsMs: number;
}

function placeOfMessage(message: Json, fallbackTs: unknown): Place {
  const ts = String(message.timestamp ?? fallbackTs ?? 0);
  const seq = isObject(message.body) ? message.body.seq : undefined;
  return { sortKey: sortKeyOf(ts, String(seq ?? 0)), tsMs: Number(ts) };
}

/** Takes the update as JSON: the line's flush reads stored updates' places without parsing them whole. */
export function placeOfUpdate(update: Json): Place {
  const message = update.message;
  if (update.update_type === 'message_created' && isObject(message)) return placeOfMessage(message, update.timestamp);
  return { sortKey: sortKeyOf(String(update.timestamp ?? 0)), tsMs: Number(update.timestamp ?? 0) };
}

function queue(ctx: Ctx, method: OutboxMethod, messageKey: string, item: Json, place = placeOfUpdate(ctx.update)): OnComplete {
  return async (trx) => {
    await ctx.deps.store.outbox.enqueue([{
      lineRef: ctx.lineRef, conversationId: ctx.conversation.id, method, messageKey: makeMessageKey(messageKey), sortKey: place.sortKey, tsMs: place.tsMs, arrivedMs: ctx.arrivedMs, item,
    }], ctx.portalId, trx);
  };
}

type Files = Array<{ url: string; name: string }>;

/** The line's chat of this conversation; a group's is named after it. */
function lineChat(ctx: Ctx): Json {
  return ctx.group ? { id: ctx.conversation.id, name: groupChatName(ctx.group.title) } : { id: ctx.conversation.id };
}

/** In a group conversation a member's words carry their name (the line shows one user, the group). */
function signed(ctx: Ctx, author: MaxUser | null | undefined, text: string): string {
  return ctx.group ? [authorLine(author), text].filter(Boolean).join('\n') : text;
}

/** Queues one message into the line as written by `user`. */
function sendToLine(ctx: Ctx, user: Json, messageId: string, text: string, dateMs: number, files: Files = [], place?: Place): OnComplete {
  const message: Json = { id: messageId, date: Math.floor(dateMs / 1000), text: text || (files.length > 0 ? '' : ' ') };
  if (files.length > 0) message.files = files;
  return queue(ctx, 'send', messageId, { user, message, chat: lineChat(ctx) }, place);
}

/** The phone the client shared as their own in this message, for the CRM; null when none (or a group chat, or one of the business's own). */
function clientPhoneOf(ctx: Ctx, message: MaxMessage): string | null {
  if (!ctx.deps.crm || ctx.group) return null;
  const shared = ownSharedPhone(message as unknown as Record<string, unknown>);
  const phone = shared === null ? null : normalizedPhone(shared);
  if (phone === null || isOwnPhone(phone, ctx.deps.crm.ownPhones) || phone === ctx.conversation.clientPhone) return null;
  return phone;
}

/**
 * `message.inbound` (hook-events.ts): the client's message as MAX gave it, written with its
 * queueing; its deliveries are queued by the line flush once its place in the conversation is
 * settled (line-flush.ts), so receivers get a conversation's messages in the order written.
 */
async function emitInbound(ctx: Ctx, message: MaxMessage, mid: string, trx: Parameters<OnComplete>[0]): Promise<void> {
  const events = ctx.deps.hookEvents;
  if (!events?.wants('message.inbound')) return;
  const sender = message.sender;
  await events.record({
    type: 'message.inbound', conversationId: ctx.conversation.id, key: `in:${ctx.conversation.id}:${mid}`,
    data: {
      conversation_id: ctx.conversation.id, bot: ctx.conversation.botId, max_chat_id: ctx.conversation.maxChatId, mid,
      text: message.body?.text ?? null, attachments: (message.body?.attachments ?? []).map((a) => String(a.type ?? 'unknown')),
      sender: { max_user_id: sender?.user_id === undefined || sender.user_id === null ? null : String(sender.user_id), name: fullName(sender) || null },
      sent_at: Number.isFinite(Number(message.timestamp)) ? new Date(Number(message.timestamp)).toISOString() : null,
      route: ctx.conversation.routeName, line: ctx.lineRef,
    },
  }, trx);
}

/** A client's MAX message to the line; the conversation's "latest client message" mark moves with it. */
async function clientMessage(ctx: Ctx, given: MaxMessage, place: Place): Promise<OnComplete> {
  const mid = required(midOfMessage(given) || null, 'message body');
  const client = { name: fullName(given.sender) || null, language: typeof ctx.update.user_locale === 'string' ? ctx.update.user_locale : null };
  const transformed = ctx.deps.transforms ? await ctx.deps.transforms.inbound(ctx.conversation, given, client) : { message: given, dropped: null };
  if (transformed.dropped !== null) {
    // Dropped by the route's hook: kept as an event and listed as skipped, nothing for the line.
    const eventId = ctx.eventId;
    return async (trx) => {
      if (eventId !== undefined) await ctx.deps.store.skipped.record({ eventId, source: `max:${ctx.conversation.botId}`, kind: 'message_created', reason: 'dropped_by_transform' }, trx);
    };
  }
  const message = transformed.message;
  const prefix = ctx.deps.transforms?.inboundPrefix(ctx.conversation, client) ?? '';
  const rehosted = (await ctx.deps.filesFor?.({ conversationId: ctx.conversation.id, message })) ?? { files: [], skipped: [] };
  const text = signed(ctx, message.sender, [renderInbound(message), ...rehosted.skipped.map((name) => fileTooLargeText(name))].filter(Boolean).join('\n'));
  const prefixed = prefix && text ? `${prefix}${text}` : text;
  const send = sendToLine(ctx, lineUser(ctx, message.sender, sharedPhone(message)), mid, prefixed, Number(message.timestamp), rehosted.files, place);
  const phone = clientPhoneOf(ctx, message);
  return async (trx) => {
    await send(trx);
    await emitInbound(ctx, given, mid, trx);
    if (phone) {
      await ctx.deps.store.conversations.setClientPhone(ctx.conversation.id, phone, trx);
      await ctx.deps.store.jobs.enqueue({ kind: CRM_PHONE_JOB, conversationKey: crmQueue(ctx.conversation.id), resourceKey: portalResource(ctx.portalId), payload: { conversationId: ctx.conversation.id } }, trx);
    }
    await ctx.deps.store.conversations.advanceInboundKey(ctx.conversation.id, place.sortKey, trx);
    (ctx.deps.log ?? silentLogger()).debug({ conversationId: ctx.conversation.id, messageKey: mid, files: rehosted.files.length, skippedFiles: rehosted.skipped.length },
      'client message queued for the line');
  };
}

/**
 * A history read waits for the bot's rate limit (30 requests/s): after a
 * restart hundreds of conversations want one at once. Rather than a worker
 * sleeping in the limiter (all of them would, and nothing else would run —
 * not even the line's flush), the job is put back until the limit frees up.
 */
function deferWhileBotBusy(deps: InboundDeps): void {
  const waitMs = deps.max.queueMs();
  if (waitMs > CATCHUP_DEFER_AFTER_MS) throw new NotYet((deps.catchUp?.window.nowMs() ?? Date.now()) + waitMs, 'the bot is at its rate limit');
}

/** Queues recovered history messages, each stored under its own dedupe key (MAX's retry later is a duplicate). */
async function queueMissed(ctx: Ctx, missed: MissedMessage[]): Promise<OnComplete[]> {
  const steps: OnComplete[] = [];
  for (const m of missed) {
    // A message of the chat's history, as MAX gave it (findMissed kept only those with a mid).
    const message = required(parseMaxMessage(m.message), 'message');
    const queueIt = await clientMessage(ctx, message, placeOfMessage(message, ctx.update.timestamp));
    const raw = JSON.stringify({ update_type: 'message_created', timestamp: m.message.timestamp, message: m.message, recovered_from: 'history' });
    steps.push(async (trx) => {
      await ctx.deps.store.events.record({
        source: `max:${ctx.conversation.botId}`, kind: 'message_created', dedupeKey: `message:${midOfMessage(message)}`, raw, jobs: [],
      }, trx);
      // Stored already (its job has not run yet) or not: queued now, in order; its own job finds it queued.
      await queueIt(trx);
    });
  }
  return steps;
}

/**
 * After a restart: client messages MAX has not (re)delivered yet, or that wait
 * unprocessed behind this one, are taken from the chat history and queued in
 * MAX order around this one (catch-up.ts).
 */
async function missedAround(ctx: Ctx, mid: string, tsMs: number): Promise<OnComplete[]> {
  if (ctx.deps.catchUp && (await ctx.deps.catchUp.window.wouldBeDue(ctx.conversation.id, tsMs)) !== null) deferWhileBotBusy(ctx.deps);
  const start = (await ctx.deps.catchUp?.window.due(ctx.conversation.id, tsMs)) ?? null;
  if (start === null || !ctx.deps.catchUp) return [];
  const missed = await findMissed({ store: ctx.deps.store, max: ctx.deps.max }, ctx.conversation.id, ctx.conversation.maxChatId, mid, start - ctx.deps.catchUp.windowMs);
  return queueMissed(ctx, missed);
}

/**
 * The `max.catchup` job (catch-up.ts): after a restart, before a conversation's
 * waiting items go to the line, what the history holds and the conversation
 * has not queued is queued in MAX order. The line's flush holds the
 * conversation while this job is pending. When MAX cannot be read, after a
 * few tries the items go as they are (order unverified beats not delivered).
 */
export function catchUpHandler(deps: InboundDeps): JobHandler {
  return async (job) => {
    const { conversationId, sinceMs } = parseJobPayload(MAX_CATCHUP_JOB, job.payload);
    const conversation = await deps.store.conversations.get(conversationId);
    const catchUp = deps.catchUp;
    if (!conversation) {
      if (sinceMs !== undefined) deps.downtimeReport?.readOne(conversationId, 0);
      return;
    }
    const portalId = portalOfLine(conversation.lineRef);
    const wake: OnComplete = async (trx) => deps.store.outbox.ensureFlushJob(conversation.lineRef, portalId, trx);
    // A conversation a check holds or blocks takes nothing from its history either: held, the
    // catch-up waits with the chat's updates; blocked, there is nothing to read for the line.
    const gate = await deps.store.hooks.gate(conversation.id);
    if (gate?.verdict === 'hold') throw new NotYet((deps.checks?.clock.nowMs() ?? Date.now()) + HOLD_RECHECK_MS, `held by check ${gate.checkName}`);
    if (gate) {
      if (sinceMs !== undefined) deps.downtimeReport?.readOne(conversationId, 0);
      return wake;
    }
    // After a long downtime (downtime-catch-up.ts): every client message since `sinceMs` not yet
    // taken, whatever the restart window says.
    if (sinceMs !== undefined) {
      const ctx: Ctx = { deps, portalId, lineRef: conversation.lineRef, conversation, update: NO_UPDATE, arrivedMs: catchUp?.window.nowMs() ?? Date.now(), group: groupOf(conversation) };
      let missed: MissedMessage[];
      try {
        missed = await findMissed({ store: deps.store, max: deps.max }, conversation.id, conversation.maxChatId, '', sinceMs);
      } catch (err) {
        if (job.attempt < CATCHUP_ATTEMPTS) throw err;
        (deps.log ?? silentLogger()).warn({ err, code: codeOf(err), conversationId },
          'reading the chat history after a long downtime failed for good; messages MAX still holds for it may come late or not at all');
        deps.downtimeReport?.readOne(conversationId, 0);
        return wake;
      }
      if (missed.length > 0) (deps.log ?? silentLogger()).info({ conversationId, recovered: missed.length }, 'client messages written while the bridge was away recovered from the chat history');
      deps.downtimeReport?.readOne(conversationId, missed.length);
      return both(...(await queueMissed(ctx, missed)), wake);
    }
    if (catchUp && (await catchUp.window.wouldBeDue(conversationId)) !== null) deferWhileBotBusy(deps);
    const start = catchUp ? await catchUp.window.markChecked(conversationId) : null;
    if (!catchUp || start === null) return wake;
    const ctx: Ctx = { deps, portalId, lineRef: conversation.lineRef, conversation, update: NO_UPDATE, arrivedMs: catchUp.window.nowMs(), group: groupOf(conversation) };
    let missed: MissedMessage[];
    try {
      missed = await findMissed({ store: deps.store, max: deps.max }, conversation.id, conversation.maxChatId, '', start - catchUp.windowMs);
    } catch (err) {
      if (job.attempt < CATCHUP_ATTEMPTS) throw err;
      (deps.log ?? silentLogger()).warn({ err, code: codeOf(err), conversationId },
        'reading the chat history after a restart failed for good; the waiting messages go in the order they came');
      return wake;
    }
    return both(...(await queueMissed(ctx, missed)), wake);
  };
}

/** A line for the operator about the chat itself (group events), from the acting user. */
function systemLine(ctx: Ctx, key: string, text: string): OnComplete {
  const user: MaxUser = ctx.update.user ?? { user_id: ctx.conversation.maxUserId ?? ctx.conversation.maxChatId };
  return sendToLine(ctx, lineUser(ctx, user), `${key}:${String(ctx.update.timestamp)}`, text, Number(ctx.update.timestamp));
}

function both(...steps: OnComplete[]): OnComplete {
  return async (trx) => {
    for (const step of steps) await step(trx);
  };
}

const byType: Record<string, (ctx: Ctx) => Promise<OnComplete | void>> = {
  async message_created(ctx) {
    const message = required(ctx.update.message, 'message');
    const mid = required(midOfMessage(message) || null, 'message body');
    if ((await ctx.deps.store.conversations.inboundState(ctx.conversation.id, mid)) === 'delivered') return;
    // Queued already from the chat history by a catch-up (it arrived late).
    if ((await ctx.deps.store.outbox.queuedKeys(ctx.conversation.id, 'send', [mid])).size > 0) return;
    const place = placeOfUpdate(ctx.update);
    return both(...(await missedAround(ctx, mid, place.tsMs)), await clientMessage(ctx, message, place));
  },
  async message_edited(ctx) {
    const message = required(ctx.update.message, 'message');
    const mid = required(midOfMessage(message) || null, 'message body');
    // One key per edit: the same message may be edited many times.
    return queue(ctx, 'update', `${mid}@${String(ctx.update.timestamp)}`, {
      user: lineUser(ctx, message.sender), message: { id: mid, text: signed(ctx, message.sender, renderInbound(message)) || ' ' }, chat: { id: ctx.conversation.id },
    });
  },
  async message_removed(ctx) {
    return queue(ctx, 'delete', String(ctx.update.message_id), {
      user: ctx.group ? lineUser(ctx, undefined) : { id: String(ctx.update.user_id ?? ctx.conversation.maxUserId) }, message: { id: String(ctx.update.message_id) }, chat: { id: ctx.conversation.id },
    });
  },
  async message_callback(ctx) {
    const callback = required(ctx.update.callback, 'callback');
    const payload = String(callback.payload ?? '');
    const pressed = keyboardButtonsOf(ctx.update.message).find((b) => b.payload === payload);
    // Answered before "done": a retried job answers again, which MAX accepts (idempotent for the client).
    await ctx.deps.max.answerCallback(String(callback.callback_id), { notification: 'Принято' });
    const text = signed(ctx, callback.user, buttonPressedText(String(pressed?.text ?? payload)));
    return sendToLine(ctx, lineUser(ctx, callback.user), `callback:${String(callback.callback_id)}`, text, Number(callback.timestamp));
  },
  async bot_started(ctx) {
    await ctx.deps.store.conversations.setState(ctx.conversation.id, 'active');
    const payload = ctx.update.payload ?? null;
    if (payload !== null) await ctx.deps.store.conversations.setSource(ctx.conversation.id, JSON.stringify({ payload }));
    return systemLine(ctx, 'started', botStartedText(payload));
  },
  async bot_stopped(ctx) {
    await ctx.deps.store.conversations.setState(ctx.conversation.id, 'blocked');
    return systemLine(ctx, 'stopped', botStoppedText(false));
  },
  async dialog_removed(ctx) {
    await ctx.deps.store.conversations.setState(ctx.conversation.id, 'blocked');
    return systemLine(ctx, 'removed', botStoppedText(true));
  },
  async bot_added(ctx) {
    await ctx.deps.store.conversations.setState(ctx.conversation.id, 'active');
    return systemLine(ctx, 'bot_added', botAddedText(fullName(ctx.update.user)));
  },
  async bot_removed(ctx) {
    await ctx.deps.store.conversations.setState(ctx.conversation.id, 'blocked');
    return systemLine(ctx, 'bot_removed', botRemovedText());
  },
  async user_added(ctx) {
    const user = ctx.update.user;
    const viaLink = ctx.update.inviter_id === null || ctx.update.inviter_id === undefined;
    return systemLine(ctx, `user_added:${String(user?.user_id)}`, userAddedText(fullName(user), viaLink));
  },
  async user_removed(ctx) {
    const user = ctx.update.user;
    const left = ctx.update.admin_id === null || ctx.update.admin_id === undefined;
    return systemLine(ctx, `user_removed:${String(user?.user_id)}`, userRemovedText(fullName(user), left));
  },
  async chat_title_changed(ctx) {
    const title = String(ctx.update.title ?? '');
    const user = ctx.update.user;
    if (ctx.group) await ctx.deps.store.conversations.setProfile(ctx.conversation.id, { avatarUrl: null, profileUrl: null, ...ctx.conversation.profile, chatTitle: title });
    // CHAT_GROUP=N: USER_ID names the external user the line's chat belongs to (the group's, for a group).
    const userId = ctx.group ? String(lineUser(ctx, user).id) : String(user?.user_id ?? ctx.conversation.maxUserId ?? '');
    return both(
      systemLine(ctx, 'title', chatTitleChangedText(title)),
      queue(ctx, 'chat_name', String(ctx.update.timestamp), {
        CHAT_ID: ctx.conversation.id, NAME: ctx.group ? groupChatName(title) : title.slice(0, 255) || ctx.conversation.id, USER_ID: userId,
      }),
    );
  },
};

function chatAndUser(update: MaxUpdate): { chatId: string | null; userId: string | null } {
  const message = update.message;
  const chatId = message?.recipient?.chat_id ?? update.chat_id;
  const user = message?.sender ?? update.user ?? update.callback?.user;
  return { chatId: chatId === undefined || chatId === null ? null : String(chatId), userId: user?.user_id === undefined || user.user_id === null ? null : String(user.user_id) };
}

/** Profile link: max.ru/<username> is the public address MAX uses for deep links. A group's title names its conversation. */
function profileOf(chat: components['schemas']['Chat']): ClientProfile {
  const partner = chat.dialog_with_user;
  const avatar = partner?.full_avatar_url ?? partner?.avatar_url;
  const username = partner?.username;
  return {
    avatarUrl: typeof avatar === 'string' && /^https?:\/\//.test(avatar) ? avatar : null,
    profileUrl: username && /^[\w.-]+$/.test(username) ? `https://max.ru/${username}` : null,
    // Null, not absent, for a group without a title: it is not read again for one (ensureProfile).
    ...(chat.type === 'chat' || chat.type === 'channel' ? { chatTitle: typeof chat.title === 'string' && chat.title ? chat.title : null } : {}),
  };
}

/** A group chat's conversation (negative MAX chat id: spec max-bot-api §1), with its title when known. */
function groupOf(conversation: ConversationRow): Ctx['group'] {
  return conversation.maxChatId.startsWith('-') ? { title: conversation.profile?.chatTitle ?? null } : null;
}

/** Why this update of a group chat or channel is not carried, or null when it is (group-chat.ts). */
async function skipReason(deps: InboundDeps, botId: BotId, chatId: string, update: MaxUpdate): Promise<SkipReason | null> {
  const kind = chatKindOf(update);
  if (kind === 'dialog') return null;
  const hasConversation = kind === 'group_or_channel' && (await deps.store.conversations.get(makeConversationId(botId, chatId))) !== null;
  return skipReasonFor(kind, deps.groupChats ?? 'ignore', hasConversation);
}

/** Reads the client's avatar and profile link once per conversation; never blocks delivery. */
async function ensureProfile(deps: InboundDeps, conversation: ConversationRow): Promise<ConversationRow> {
  // A group's profile read before titles were kept has none: read once more for it.
  const untitledGroup = conversation.maxChatId.startsWith('-') && conversation.profile?.chatTitle === undefined;
  if (conversation.profile && !untitledGroup) return conversation;
  try {
    const profile = profileOf(await deps.max.getChat(conversation.maxChatId));
    await deps.store.conversations.setProfile(conversation.id, profile);
    return { ...conversation, profile };
  } catch (err) {
    (deps.log ?? silentLogger()).info({ err, code: codeOf(err), conversationId: conversation.id }, 'reading the client\'s profile failed; tried again with the next message');
    return conversation;
  }
}

export function inboundHandler(deps: InboundDeps): JobHandler {
  return async (job, jobCtx) => {
    const event = job.eventId === null ? null : await deps.store.events.get(job.eventId);
    if (!event) return;
    const update = parseMaxUpdate(event.raw);
    const handle = update ? byType[update.update_type] : undefined;
    if (!update || !handle) return;
    const { chatId, userId } = chatAndUser(update);
    if (!chatId) return;
    const { botId } = parseJobPayload(MAX_UPDATE_JOB, job.payload);
    const reason = await skipReason(deps, botId, chatId, update);
    // Kept as an event and listed as skipped (GET /admin/skipped-updates); nothing for the line.
    if (reason) {
      (deps.log ?? silentLogger()).debug({ botId, updateType: String(update.update_type), reason }, 'update skipped');
      return async (trx) => deps.store.skipped.record({ eventId: Number(event.id), source: event.source, kind: String(update.update_type), reason }, trx);
    }
    const arrivedMs = Number(event.received_at_ms);
    const eventId = Number(event.id);
    const conversationId = makeConversationId(botId, chatId);
    // Held or blocked by a check or an administrator (checks/conversation-checks.ts): nothing of
    // it reaches a line — a blocked update is skipped, a held one put back with its queue.
    const checkEnv = { store: deps.store, checks: deps.checks, log: deps.log, max: deps.max };
    const gated = async (): Promise<OnComplete> => {
      const gate = await deps.store.hooks.gate(conversationId);
      // Lifted meanwhile (an administrator): the update runs again at once.
      if (!gate) throw new NotYet(deps.checks?.clock.nowMs() ?? Date.now(), 'the conversation\'s gate was lifted');
      return gatedUpdate(checkEnv, gate, { conversationId, chatId, eventId, source: event.source, kind: String(update.update_type) });
    };
    if (await deps.store.hooks.gate(conversationId)) return gated();
    const checked = { conversationId, botId, chatId, userId, update, eventId, signal: jobCtx?.signal, jobId: job.id };
    const routed = await routedConversation(deps, checked, arrivedMs);
    if (!routed) return gated();
    // A routed conversation's client message, asked of the checks with each_message.
    let perMessage: MessageCheck | null = null;
    if (!routed.routed) {
      perMessage = await checkMessage(checkEnv, { ...checked, existing: routed.conversation });
      if (perMessage?.kind === 'gated') return gated();
    }
    const conversation = await ensureProfile(deps, routed.conversation);
    // Sticky: a conversation stays on its line until its Open Lines session closes (setup moves
    // conversations when a portal's own line is replaced).
    const portalId = portalOfLine(conversation.lineRef);
    const ctx: Ctx = { deps, portalId, lineRef: conversation.lineRef, conversation, update, arrivedMs, group: groupOf(conversation), eventId };
    // The operator on a line a conversation came to because another was paused sees why, first;
    // then the route's client card, when it has one. Queued now, with the routing (not in this
    // run's "done"): a run put back (NotYet, a retry) finds the conversation routed and would not
    // queue them again.
    const card = routed.routed && deps.transforms ? deps.transforms.card(conversation, { name: fullName(update.user ?? update.message?.sender) || null, language: typeof update.user_locale === 'string' ? update.user_locale : null }) : null;
    // The checks' tags and notes come after the routing notice, before the card.
    const first = [
      ...(routed.notice ? [systemLine(ctx, 'route', routed.notice)] : []), ...(routed.checksLine ? [systemLine(ctx, `checks:${eventId}`, routed.checksLine)] : []),
      ...(card ? [systemLine(ctx, 'card', card)] : []),
    ];
    if (first.length > 0) await deps.store.transaction((trx) => both(...first)(trx));
    const handled = await handle(ctx);
    if (perMessage?.kind !== 'allowed') return handled;
    // The verdicts (and new tags) with the message, the operator's line about them just before it.
    return both(perMessage.record, ...(perMessage.line ? [systemLine(ctx, `checks:${eventId}`, perMessage.line)] : []), ...(handled ? [handled] : []));
  };
}

/** A decision that routes, or the retryable error of one that cannot yet. */
function routedOrThrow(outcome: RouteOutcome, botId: BotId): Extract<RouteOutcome, { kind: 'routed' }> {
  // The portal's setup job may not have finished yet: retry later.
  if (outcome.kind === 'not-set-up') throw new BridgeError('BRG_ERR_NO_ROUTE', `no line set up yet on portal ${outcome.portalId} for bot ${botId}`, { retryable: true, retryAfterMs: 1_000 });
  if (outcome.kind === 'no-route') throw new BridgeError('BRG_ERR_NO_ROUTE', `no route matches bot ${botId}; add a default route (a route without when)`, { retryable: true, retryAfterMs: 60_000 });
  return outcome;
}

/** The checks' part of the route record's "why" (Russian, English); none without checks. */
function checksWhy(verdicts: readonly VerdictSummary[], tags: readonly string[], route: string | null): { ru: string[]; en: string[] } {
  if (verdicts.length === 0) return { ru: [], en: [] };
  const list = verdicts.map((v) => `${v.name} — ${v.verdict}${v.source === 'answer' ? '' : ` (${v.source})`}`).join(', ');
  return {
    ru: [`проверки: ${list}${tags.length > 0 ? `; метки: ${tags.join(', ')}` : ''}${route ? `; маршрут «${route}» по ответу проверки` : ''}`],
    en: [`checks: ${list}${tags.length > 0 ? `; tags: ${tags.join(', ')}` : ''}${route ? `; route ${route} from a check's answer` : ''}`],
  };
}

/**
 * The conversation of this update, on its line: a new one (or one whose Open Lines session
 * closed) is routed now (router.ts) and keeps the route and why; one bound to its line stays.
 * Before it is routed the checks are asked (checks/conversation-checks.ts): null when one held
 * or blocked it (its gate is set); an `allow` may name the route or give tags routes ask for.
 * The conversation is made or rerouted, with the verdicts and the hook events, in one transaction.
 */
async function routedConversation(
  deps: InboundDeps, u: { conversationId: ConversationId; botId: BotId; chatId: string; userId: string | null; update: MaxUpdate; eventId: number; signal?: AbortSignal; jobId: number },
  arrivedMs: number,
): Promise<{ conversation: ConversationRow; notice: string | null; routed: boolean; checksLine: string | null } | null> {
  const { botId, chatId, userId, update } = u;
  const existing = await deps.store.conversations.get(u.conversationId);
  if (existing?.routeOpen) return { conversation: existing, notice: null, routed: false, checksLine: null };
  const input: RoutingInput = { ...routingInputOf(update, botId, arrivedMs), tags: existing?.tags ?? [] };
  let outcome = routedOrThrow(await deps.router.decide(input), botId);
  const checked = await checkBeforeRouting({ store: deps.store, checks: deps.checks, log: deps.log }, { ...u, existing },
    candidateOf(outcome.record.route, outcome.choice.lineRef), (name) => deps.router.rule(name) !== undefined, deps.crm?.ownPhones);
  if (checked.kind === 'gated') return null;
  // A route the check named (its conditions not asked), or the routes again with the tags it gave.
  const named = checked.route === null ? undefined : deps.router.rule(checked.route);
  if (named) outcome = routedOrThrow(await deps.router.pickIn(named, { ...input, tags: checked.tags }), botId);
  else if (checked.newTags) outcome = routedOrThrow(await deps.router.decide({ ...input, tags: checked.tags }), botId);
  const why = checksWhy(checked.verdicts, checked.tags, named ? named.name : null);
  const record = { ...outcome.record, why: { ru: [...outcome.record.why.ru, ...why.ru], en: [...outcome.record.why.en, ...why.en] } };
  const choice = { ...outcome.choice, routeJson: JSON.stringify(record) };
  (deps.log ?? silentLogger()).info({ botId, route: record.route, line: record.line, via: record.via, rerouted: existing !== null, ...(checked.tags.length > 0 ? { tags: checked.tags } : {}) }, 'conversation routed');
  const events = deps.hookEvents;
  return deps.store.transaction(async (trx) => {
    await checked.record(trx);
    if (existing) {
      await deps.store.conversations.reroute(existing.id, { ...choice, tags: checked.tags }, trx);
      const conversation: ConversationRow = { ...existing, lineRef: choice.lineRef, routeName: choice.routeName, routeJson: choice.routeJson, routeOpen: true, tags: checked.tags };
      await events?.emit(conversationRoutedEvent(conversation, record, checked.verdicts), trx);
      return { conversation, notice: outcome.notice, routed: true, checksLine: checked.line };
    }
    const source = update.update_type === 'bot_started' ? JSON.stringify({ payload: update.payload ?? null }) : null;
    const made = await deps.store.conversations.getOrCreateTracked({
      botId, maxChatId: chatId, maxUserId: userId, lineRef: choice.lineRef, sourceJson: source, route: { routeName: choice.routeName, routeJson: choice.routeJson }, tags: checked.tags,
    }, trx);
    if (made.created && events) {
      await events.emit(conversationStartedEvent(made.row, record), trx);
      await events.emit(conversationRoutedEvent(made.row, record, checked.verdicts), trx);
    }
    return { conversation: made.row, notice: outcome.notice, routed: true, checksLine: checked.line };
  });
}
