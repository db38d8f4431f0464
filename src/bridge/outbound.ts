/**
 * Outbound pipeline: an operator's message in the Open Line
 * (ONIMCONNECTORMESSAGEADD, stored as a `bitrix24.event` job keyed by the
 * external chat, so one conversation's replies go strictly in order) → MAX.
 *
 * - The external chat id is the conversation id `<botId>:<chatId>`: it names
 *   the bot and the MAX chat.
 * - Text: the operator-name prefix kept (bold) or stripped per configuration;
 *   system messages sent per `messages.system_messages`, only those meant for
 *   the client by default (system-message-kind.ts); BB-code → MAX html; split at
 *   MAX's limit on paragraph/line/word boundaries, never inside markup.
 * - Exactly once: each part is recorded the moment MAX accepts it, so a
 *   retried job never sends a part twice; a send that may have reached MAX
 *   (timeout) is looked up among the bot's recent messages before it is sent
 *   again.
 * - Then `imconnector.send.status.delivery` with the MAX mids (the operator
 *   sees "delivered"; later edits carry our ids), queued in the line outbox so
 *   the statuses of many replies share one REST call.
 * - Cannot be delivered (client stopped or blocked the bot, chat gone, bot
 *   removed): a notice in Russian in the same Open Lines chat
 *   (`im.message.add`, SYSTEM), the job to dead letters with the reason, no
 *   retries. A blocked conversation is unblocked by `bot_started`.
 * - An Open Lines chat of no MAX dialog the bridge knows (the client never
 *   wrote to the bot; MAX lets a bot write only after the user did, spec §9):
 *   the same kind of notice, saying so.
 * - One part failing for good never takes the others with it: a file MAX
 *   refuses (or too large, or the portal will not give it) is left out, the
 *   text and the other files go, and the operator is told which file and why.
 *   A text whose formatting MAX refuses is sent again as plain text.
 * - Echo safety: our own notices come back as events (NEED_SYSTEM_MESSAGES) and
 *   are recognised by their id; messages we inject with send.messages raise no
 *   event at all (spec §7).
 */
import { connectorMessagesOf, type ConnectorMessage } from '../bitrix24/connector-message.ts';
import type { Bitrix24Client } from '../bitrix24/client.ts';
import { BridgeError } from '../domain/errors.ts';
import { bbcodeToMaxHtml, escapeHtml } from '../domain/text/bbcode-to-max.ts';
import { parseOperatorSignature } from '../domain/text/operator-signature.ts';
import { splitForMax } from '../domain/text/split.ts';
import { systemMessageKind, systemMessageStyle, type SystemMessageKind, type SystemMessagesSetting } from '../domain/text/system-message-kind.ts';
import { maxHtmlToPlain } from '../domain/text/max-html-to-plain.ts';
import { botCannotWriteFirstText, botDownText, botNotConfiguredText, partsNotDeliveredText, type PartFailure } from '../domain/text/outbound-notices.ts';
import { SideHeldError } from '../domain/side-hold.ts';
import { undeliveredText, type UndeliveredReason } from '../domain/text/system-texts.ts';
import { makeMessageKey, parseConversationId, portalOfLine } from '../domain/ids.ts';
import type { MaxClient } from '../max/client.ts';
import type { Correlation } from '../journal/exchange.ts';
import { MAX_ERROR_CODES } from '../max/errors.ts';
import { codeOf, silentLogger, type Logger } from '../log/logger.ts';
import type { components } from '../max/types.ts';
import type { Store } from '../store/open-store.ts';
import type { HookEmitter } from './hook-events.ts';
import type { ConversationRow } from '../store/repos/conversation-repo.ts';
import type { PartAuthor } from '../store/repos/outbound-part-repo.ts';
import { sortKeyOf } from '../store/repos/outbox-repo.ts';
import { FILE_DOWNLOAD, FILE_TOO_LARGE, operatorFileAttachment, type OperatorFilesDeps } from './outbound-files.ts';
import { forgetUploads, rememberedUpload } from './outbound-uploads.ts';
import type { RouteTransforms } from './route-transform.ts';
import { routeCommandOf } from './conversation-move.ts';
import { CONVERSATION_MOVE_JOB, conversationQueue } from '../queue/job-kinds.ts';

type Json = Record<string, unknown>;

export interface OutboundDeps {
  store: Store;
  bitrixFor: (portalId: string) => Bitrix24Client | undefined;
  maxFor: (botId: string) => MaxClient | undefined;
  connectorId: string;
  operatorName: 'keep' | 'strip';
  systemMessages: SystemMessagesSetting;
  nowMs: () => number;
  /** Downloads and uploads operator files (outbound-files.ts); tests may replace it. */
  files?: OperatorFilesDeps;
  /** The job's logger (JobContext.log: component, jobId, conversationKey); default silent. */
  log?: Logger;
  /** The job's id, for the journal rows of its calls. */
  jobId?: string;
  /** `messages.outage_notices`: 'line' (default) tells the operator once per outage that the bot is down; 'off' does not. */
  outageNotices?: 'line' | 'off';
  /** The routes' transforms (route-transform.ts): outbound prefix, attachment rules, code hook; absent = none. */
  transforms?: RouteTransforms;
  /** Hook events (hook-events.ts): `message.outbound` and `message.delivered` of operator messages; absent = none. */
  hookEvents?: HookEmitter;
}

/** What the client gets for one operator message: text parts (MAX html), then the files. */
export function renderOperatorText(text: string, system: SystemMessageKind | false, deps: Pick<OutboundDeps, 'operatorName' | 'systemMessages'>): string | null {
  if (system) {
    const style = systemMessageStyle(system, deps.systemMessages);
    const html = style === 'none' ? '' : bbcodeToMaxHtml(text).trim();
    if (!html) return null;
    return style === 'italic' ? `<i>${html}</i>` : html;
  }
  const { operatorName, body } = parseOperatorSignature(text);
  const html = bbcodeToMaxHtml(body).trim();
  if (operatorName && deps.operatorName === 'keep') return html ? `<b>${escapeHtml(operatorName)}:</b>\n${html}` : `<b>${escapeHtml(operatorName)}</b>`;
  return html;
}

function plain(html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&').trim();
}

const REASON_OF: Record<string, UndeliveredReason> = {
  [MAX_ERROR_CODES.userBlockedBot]: 'blocked',
  [MAX_ERROR_CODES.chatDenied]: 'denied',
  [MAX_ERROR_CODES.notFound]: 'gone',
};

export const OUTBOUND_ERROR_CODES = {
  clientBlocked: 'BRG_ERR_CLIENT_BLOCKED',
  undeliverable: 'BRG_ERR_UNDELIVERABLE',
  unknownChat: 'BRG_ERR_UNKNOWN_CHAT',
} as const;

interface Item {
  imChatId: string;
  imMessageId: string;
  externalChatId: string;
  userId: string;
  text: string;
  files: Json[];
  params: Json | null;
}

function itemOf(m: ConnectorMessage): Item | null {
  if (m.imMessageId === null || m.externalChatId === null) return null;
  return {
    imChatId: m.imChatId, imMessageId: m.imMessageId, externalChatId: m.externalChatId,
    userId: m.userId ?? '0', text: m.text, files: m.files, params: m.params,
  };
}

/** Open Lines system messages (welcome, close text, rating request, transfers…): see domain/text/system-message-kind.ts. */
function isSystem(item: Item): boolean {
  return systemMessageKind(item) !== null;
}

/** Who wrote it, recorded with each part for analytics: the line itself, or an operator (Bitrix24 user id; the signature's name). */
function authorOf(item: Item): PartAuthor {
  if (isSystem(item)) return { actor: 'system', operatorId: null, operatorName: null };
  return { actor: 'operator', operatorId: item.userId === '0' ? null : item.userId, operatorName: parseOperatorSignature(item.text).operatorName ?? null };
}

function excerptOf(item: Item): string {
  return plain(bbcodeToMaxHtml(parseOperatorSignature(item.text).body));
}

/** The journal's ids of a call made for one operator message. */
export function journalIdsOf(deps: OutboundDeps, conversation: ConversationRow, imMessageId: string): Correlation {
  return {
    conversationId: conversation.id, messageId: imMessageId, maxChatId: conversation.maxChatId, lineRef: conversation.lineRef,
    ...(conversation.maxUserId !== null ? { maxUserId: conversation.maxUserId } : {}), ...(deps.jobId ? { jobId: deps.jobId } : {}),
  };
}

/** Posts a notice (BB-code) into the Open Lines chat and remembers its id (so its echo is ignored). */
async function postNotice(deps: OutboundDeps, portalId: string, item: Item, conversationId: string, reason: string, text: string): Promise<void> {
  const bitrix = deps.bitrixFor(portalId);
  if (!bitrix || !item.imChatId) return;
  const id = await bitrix.call<number | string>(portalId, 'im.message.add', {
    DIALOG_ID: `chat${item.imChatId}`, MESSAGE: text, SYSTEM: 'Y',
  }, { correlation: { conversationId, messageId: item.imMessageId, ...(deps.jobId ? { jobId: deps.jobId } : {}) } });
  await deps.store.operatorNotices.record(String(id), conversationId, reason);
}

/** Tells the operator, once per conversation per outage, that the bot is down and the reply waits. */
async function noticeBotDown(deps: OutboundDeps, portalId: string, item: Item, conversation: ConversationRow, err: SideHeldError): Promise<void> {
  const reason = `bot_down:${err.sinceMs}`;
  if (await deps.store.operatorNotices.told(conversation.id, reason)) return;
  await postNotice(deps, portalId, item, conversation.id, reason, botDownText(excerptOf(item), err.sinceMs, err.cause_.problem)).catch((noticeErr: unknown) => {
    // The reply still waits for the bot; only the notice is missing (tried again with the next reply).
    (deps.log ?? silentLogger()).warn({ err: noticeErr, code: codeOf(noticeErr), conversationId: conversation.id }, 'telling the operator that the bot is down failed');
  });
}

/** The "not delivered" notice for a reason that holds for the whole conversation. */
async function noticeOperator(deps: OutboundDeps, portalId: string, item: Item, conversation: ConversationRow, reason: UndeliveredReason, detail = ''): Promise<void> {
  await postNotice(deps, portalId, item, conversation.id, reason, undeliveredText(reason, excerptOf(item), detail));
}

/** The id MAX gave a message it accepted (null when it gave none). */
export function midOf(message: components['schemas']['Message'] | null | undefined): string | null {
  return String(message?.body?.mid ?? '') || null;
}

/**
 * Sends one part unless it was sent already. A part that may have reached MAX
 * without being recorded (a re-run after a crash, or a send that timed out) is
 * first looked for among the bot's recent messages in the chat.
 */
async function sendPart(deps: OutboundDeps, max: MaxClient, conversation: ConversationRow, item: Item, part: number, body: Json, rerun: boolean): Promise<string | null> {
  const already = await deps.store.outboundParts.sentMid(conversation.id, item.imMessageId, part);
  if (already !== undefined) return already;
  const record = async (mid: string | null) => {
    await deps.store.outboundParts.record(conversation.id, item.imMessageId, part, mid, authorOf(item));
    return mid;
  };
  const lookUp = async (): Promise<{ mid: string | null } | null> => {
    if (typeof body.text !== 'string') return null;
    const wanted = plain(body.text);
    const found = await max.findRecentBotMessage(conversation.maxChatId, (m) => plain(String(m.body?.text ?? '')) === wanted).catch((err: unknown) => {
      // Not looked at counts as not found: the part is sent (again). Logged, since the client may then see it twice.
      (deps.log ?? silentLogger()).warn({ err, code: codeOf(err), conversationId: conversation.id, imMessageId: item.imMessageId, part },
        'looking for an uncertain send among the bot\'s recent messages failed; sending it');
      return null;
    });
    return found ? { mid: midOf(found) } : null;
  };
  if (rerun) {
    const found = await lookUp();
    if (found) return record(found.mid);
  }
  const send = async (sent: Json) => {
    const { message } = await max.sendMessage({ chatId: conversation.maxChatId }, sent as never, journalIdsOf(deps, conversation, item.imMessageId));
    return record(midOf(message));
  };
  try {
    try {
      return await send(body);
    } catch (err) {
      // MAX refused the markup (a certain 400: nothing was accepted): the same words as plain text.
      // A retry of this job looks the message up by its words first, whichever form went.
      if (!(err instanceof BridgeError && err.code === MAX_ERROR_CODES.formatRejected && typeof body.text === 'string')) throw err;
      return await send(plainBodyOf(body));
    }
  } catch (err) {
    const found = err instanceof BridgeError && !err.certain ? await lookUp() : null;
    if (found) return record(found.mid);
    throw err;
  }
}

/** A part's body without `format`, its html turned into readable plain text. */
function plainBodyOf(body: Json): Json {
  const { format: _format, ...rest } = body;
  return { ...rest, text: maxHtmlToPlain(String(body.text)) };
}

/** A failure of one file or one text part only, for good: the rest of the reply still goes. */
function partFailureOf(err: unknown, fileName: string | null): PartFailure | null {
  if (!(err instanceof BridgeError) || err.retryable) return null;
  if (err.code === FILE_TOO_LARGE) return { fileName, reason: 'tooLarge' };
  if (err.code === FILE_DOWNLOAD) return { fileName, reason: 'download' };
  if (err.code === MAX_ERROR_CODES.badRequest || err.code === MAX_ERROR_CODES.formatRejected) {
    // MAX's own words, without our "MAX 400 proto.payload:" prefix.
    return { fileName, reason: 'refused', detail: err.message.replace(/^MAX \d+ [\w.]*: /, '') };
  }
  return null;
}

/** Where a reply is going in MAX, or a notice to the operator and a dead letter. */
async function targetOf(deps: OutboundDeps, portalId: string, item: Item): Promise<{ conversation: ConversationRow; max: MaxClient }> {
  const conversationId = parseConversationId(item.externalChatId);
  const conversation = conversationId === null ? null : await deps.store.conversations.get(conversationId);
  if (!conversation) {
    // No MAX dialog behind this Open Lines chat: the client never wrote to the bot (a chat
    // started from Bitrix24), and MAX lets a bot write only after the user did (spec §9).
    // Told for an operator's words only: the line's own system messages (a greeting) are not replies.
    if (!isSystem(item) && (item.text.trim() || item.files.length > 0)) {
      await postNotice(deps, portalId, item, item.externalChatId, 'not_started', botCannotWriteFirstText(excerptOf(item)));
    }
    throw new BridgeError(OUTBOUND_ERROR_CODES.unknownChat, `no conversation ${item.externalChatId} for operator message ${item.imMessageId}`, { retryable: false });
  }
  const max = deps.maxFor(conversation.botId);
  if (!max) {
    await postNotice(deps, portalId, item, conversation.id, 'no_bot', botNotConfiguredText(excerptOf(item)));
    throw new BridgeError(OUTBOUND_ERROR_CODES.unknownChat, `bot ${conversation.botId} is not configured`, { retryable: false });
  }
  return { conversation, max };
}

interface Reply {
  deps: OutboundDeps;
  portalId: string;
  item: Item;
  conversation: ConversationRow;
  max: MaxClient;
  /** Bodies by part number (holes where a file is left out). */
  bodies: Json[];
  /** The operator's name of the file each part carries. */
  fileOfPart: Map<number, string>;
  failures: PartFailure[];
}

/**
 * Uploads the files: one attachment per message; the first one rides with the last text part
 * (its caption). Part numbers are fixed by position, so a retried job skips what MAX already has.
 */
async function attachFiles(r: Reply): Promise<void> {
  const { deps, item, conversation } = r;
  const textParts = r.bodies.length;
  for (const [j, file] of item.files.entries()) {
    const part = textParts > 0 ? textParts - 1 + j : j;
    const name = String(file.name ?? 'файл');
    if ((await deps.store.outboundParts.sentMid(conversation.id, item.imMessageId, part)) !== undefined) continue;
    try {
      // A retry (attachment.not.ready) sends the same upload: a new one would start MAX's processing over.
      const attachment = await rememberedUpload(deps.store, { conversationId: conversation.id, imMessageId: item.imMessageId, part }, deps.nowMs(),
        () => operatorFileAttachment(deps.files ?? {}, r.max, file));
      if (!attachment) continue;
      const shared = j === 0 && textParts > 0 ? r.bodies[textParts - 1] : undefined;
      if (shared) shared.attachments = [attachment];
      else r.bodies[part] = { attachments: [attachment] };
      r.fileOfPart.set(part, name);
    } catch (err) {
      const failure = partFailureOf(err, name);
      if (!failure) throw err;
      r.failures.push(failure);
    }
  }
}

/** Sends one part; a part MAX refuses for good is left out (its file dropped from a caption), never the rest. */
async function sendOrSkip(r: Reply, part: number, body: Json, rerun: boolean): Promise<string | null> {
  try {
    return await sendPart(r.deps, r.max, r.conversation, r.item, part, body, rerun);
  } catch (err) {
    const failure = partFailureOf(err, r.fileOfPart.get(part) ?? null);
    if (!failure || failure.reason !== 'refused') throw err;
    r.failures.push(failure);
    if (failure.fileName === null || typeof body.text !== 'string') return null;
    // A caption refused with its file: the caption alone.
    const { attachments: _file, ...textOnly } = body;
    r.fileOfPart.delete(part);
    return sendOrSkip(r, part, textOnly, rerun);
  }
}

async function sendParts(r: Reply, rerun: boolean): Promise<string[]> {
  const mids: string[] = [];
  for (const [part, body] of r.bodies.entries()) {
    if (!body) continue;
    try {
      const mid = await sendOrSkip(r, part, body, rerun);
      if (mid) mids.push(mid);
    } catch (err) {
      // Refusals that hold for the whole conversation: nothing more can go.
      const reason = err instanceof BridgeError ? REASON_OF[err.code] : undefined;
      if (!reason) throw err;
      if (reason === 'blocked') await r.deps.store.conversations.setState(r.conversation.id, 'blocked');
      await noticeOperator(r.deps, r.portalId, r.item, r.conversation, reason);
      throw new BridgeError(reason === 'blocked' ? OUTBOUND_ERROR_CODES.clientBlocked : OUTBOUND_ERROR_CODES.undeliverable,
        `operator message ${r.item.imMessageId} not delivered: ${(err as BridgeError).message}`, { retryable: false });
    }
  }
  return mids;
}

/** The delivery status goes through the line outbox: statuses of many replies share one call. `message.delivered` is written with it. */
async function queueDeliveryStatus(deps: OutboundDeps, conversation: ConversationRow, item: Item, mids: string[]): Promise<void> {
  const now = deps.nowMs();
  await deps.store.transaction(async (trx) => {
    await deps.store.outbox.enqueue([{
      lineRef: conversation.lineRef, conversationId: conversation.id, method: 'status', messageKey: makeMessageKey(item.imMessageId),
      sortKey: sortKeyOf(now), tsMs: now, arrivedMs: now,
      item: { im: { chat_id: item.imChatId, message_id: item.imMessageId }, message: { id: mids, date: Math.floor(now / 1000) }, chat: { id: item.externalChatId } },
    }], portalOfLine(conversation.lineRef), trx);
    if (deps.hookEvents?.wants('message.delivered')) {
      await deps.hookEvents.emit({
        type: 'message.delivered', conversationId: conversation.id, key: `delivered:out:${conversation.id}:${item.imMessageId}`,
        data: { conversation_id: conversation.id, direction: 'outbound', bitrix_message_id: item.imMessageId, bitrix_chat_id: item.imChatId, mids },
      }, trx);
    }
  });
}

/** `message.outbound`: an operator's message taken from the line, about to go to the client (once per message, whatever the retries). */
async function emitOutbound(deps: OutboundDeps, conversation: ConversationRow, item: Item, system: boolean): Promise<void> {
  const events = deps.hookEvents;
  if (!events?.wants('message.outbound')) return;
  const signature = parseOperatorSignature(item.text);
  await deps.store.transaction((trx) => events.emit({
    type: 'message.outbound', conversationId: conversation.id, key: `out:${conversation.id}:${item.imMessageId}`,
    data: {
      conversation_id: conversation.id, bot: conversation.botId, max_chat_id: conversation.maxChatId, bitrix_message_id: item.imMessageId, bitrix_chat_id: item.imChatId,
      text: plain(bbcodeToMaxHtml(signature.body)), operator: system ? null : { id: item.userId, name: signature.operatorName ?? null }, system,
      files: item.files.map((f) => String(f.name ?? 'file')), line: conversation.lineRef, route: conversation.routeName,
    },
  }, trx));
}

async function deliverOne(deps: OutboundDeps, portalId: string, item: Item, rerun: boolean): Promise<void> {
  if (await deps.store.operatorNotices.isOurs(item.imMessageId)) return;
  const target = await targetOf(deps, portalId, item);
  const { conversation, max } = target;
  const system = systemMessageKind(item) ?? false;
  // `/route <name>`: the operator moves the conversation (conversation-move.ts); never sent to the client.
  const command = system ? null : routeCommandOf(parseOperatorSignature(item.text).body);
  if (command !== null) {
    await deps.store.jobs.enqueue({
      kind: CONVERSATION_MOVE_JOB, conversationKey: conversationQueue(conversation.id),
      payload: { conversationId: conversation.id, route: command, by: 'operator', operator: parseOperatorSignature(item.text).operatorName ?? undefined },
    });
    (deps.log ?? silentLogger()).info({ conversationId: conversation.id, route: command }, 'an operator asked to move the conversation to a route');
    return;
  }
  // The route's transforms shape what the operator wrote (system messages go as they are).
  if (!system && deps.transforms) {
    // The operator's signature stays in front: the transforms see and shape the body.
    const signature = parseOperatorSignature(item.text);
    const head = item.text.endsWith(signature.body) ? item.text.slice(0, item.text.length - signature.body.length) : '';
    const shaped = await deps.transforms.outbound(conversation, head ? signature.body : item.text, item.files, signature.operatorName ?? null);
    if (shaped.dropped !== null) {
      (deps.log ?? silentLogger()).info({ conversationId: conversation.id, imMessageId: item.imMessageId, reason: shaped.dropped }, 'operator message dropped by the route\'s transform hook');
      return;
    }
    item = { ...item, text: `${head}${shaped.text}`, files: shaped.files };
  }
  const html = renderOperatorText(item.text, system, deps);
  const bodies: Json[] = (html ? splitForMax(html) : []).map((text) => ({ text, format: 'html' }));
  if (bodies.length === 0 && item.files.length === 0) return;
  await emitOutbound(deps, conversation, item, system !== false);
  if (conversation.state === 'blocked') {
    await noticeOperator(deps, portalId, item, conversation, 'blocked');
    throw new BridgeError(OUTBOUND_ERROR_CODES.clientBlocked, `conversation ${conversation.id} is blocked (the client stopped the bot)`, { retryable: false });
  }
  const r: Reply = { deps, portalId, item, conversation, max, bodies, fileOfPart: new Map(), failures: [] };
  let mids: string[];
  try {
    await attachFiles(r);
    mids = await sendParts(r, rerun);
  } catch (err) {
    // The bot is down for every call (side-hold.ts): the reply waits (the runner puts its job
    // back); the operator learns it once per conversation per outage, not per reply.
    if (err instanceof SideHeldError && (deps.outageNotices ?? 'line') === 'line') await noticeBotDown(deps, portalId, item, conversation, err);
    throw err;
  }
  if (item.files.length > 0) await forgetUploads(deps.store, conversation.id, item.imMessageId);
  if (mids.length > 0) await queueDeliveryStatus(deps, conversation, item, mids);
  (deps.log ?? silentLogger()).debug({ conversationId: conversation.id, imMessageId: item.imMessageId, parts: mids.length, failedParts: r.failures.length },
    'operator message delivered to MAX');
  if (r.failures.length > 0) {
    await postNotice(deps, portalId, item, conversation.id, 'partial', partsNotDeliveredText(excerptOf(item), r.failures, mids.length > 0));
    const what = r.failures.map((f) => f.fileName ?? 'text').join(', ');
    throw new BridgeError(OUTBOUND_ERROR_CODES.undeliverable, `operator message ${item.imMessageId} delivered without: ${what}`, { retryable: false });
  }
}

/** Delivers every message of one ONIMCONNECTORMESSAGEADD event, in order; `rerun`: the job ran before (it may have sent). */
export async function deliverOperatorMessages(deps: OutboundDeps, portalId: string, data: unknown, rerun = false): Promise<void> {
  for (const message of connectorMessagesOf(data)) {
    const item = itemOf(message);
    if (item) await deliverOne(deps, portalId, item, rerun);
  }
}
