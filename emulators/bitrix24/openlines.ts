/**
 * Open Lines behaviour: a client message through a connector lands in a chat
 * keyed by USER_CODE `connector|line|chat|user`, opening a session (a new one
 * after the previous was closed, with no CRM bindings) and scheduling the CRM
 * tracker (crm-lag.ts); operator actions produce the connector events the app
 * receives.
 */
import type { Bitrix24Context } from './context.ts';
import { takeClientFile } from './file-fetch.ts';
import type { ConnectorState, LineState, OlChat, OlMessage } from './model.ts';
import { quoteBlock, storedText, SYSTEM_SHAPES, type SystemMessageKind } from './operator-text.ts';
import type { PortalState } from './portal.ts';

export interface IncomingItem {
  user: Record<string, unknown>;
  message: Record<string, unknown>;
  chat: Record<string, unknown>;
}

export function openChat(portal: PortalState, connector: ConnectorState, line: LineState, item: IncomingItem): { chat: OlChat; newSession: boolean } {
  const externalChatId = String(item.chat.id);
  const externalUserId = String(item.user.id);
  const userCode = connector.chatGroup
    ? `${connector.id}|${line.id}|${externalChatId}|0`
    : `${connector.id}|${line.id}|${externalChatId}|${externalUserId}`;
  let chat = portal.chatByUserCode(userCode);
  let newSession = false;
  if (!chat) {
    chat = {
      chatId: portal.next('chat'), userCode, lineId: line.id, connectorId: connector.id, externalChatId, externalUserId,
      externalUser: item.user, clientUserId: portal.next('user'), sessionId: portal.next('session'), sessionCount: 1, sessionClosed: false,
      operatorId: 2, crm: { LEAD: 0, CONTACT: 0, DEAL: 0, COMPANY: 0 }, messageIds: [],
    };
    portal.chats.set(chat.chatId, chat);
    newSession = true;
  } else if (chat.sessionClosed) {
    chat.sessionId = portal.next('session');
    chat.sessionCount += 1;
    chat.sessionClosed = false;
    // A new session starts unbound: the tracker decides again (repeat lead, open deal…).
    chat.crm = { LEAD: 0, CONTACT: 0, DEAL: 0, COMPANY: 0 };
    newSession = true;
  }
  chat.externalUser = { ...chat.externalUser, ...item.user };
  return { chat, newSession };
}

export function storeClientMessage(portal: PortalState, chat: OlChat, item: IncomingItem): OlMessage {
  const msg = item.message;
  const descriptors = Array.isArray(msg.files) ? (msg.files as Array<Record<string, unknown>>) : [];
  const files = descriptors.map((f) => ({ name: String(f.name ?? 'file'), url: String(f.url ?? ''), type: 'file', size: 0 }));
  const message: OlMessage = {
    id: portal.next('message'), chatId: chat.chatId, direction: 'in', authorId: chat.clientUserId,
    text: typeof msg.text === 'string' ? msg.text : '', files, externalIds: msg.id !== undefined ? [String(msg.id)] : [],
    delivered: true, deleted: false, system: false, dateMs: Date.now(),
  };
  portal.messages.set(message.id, message);
  chat.messageIds.push(message.id);
  for (const [i, file] of message.files.entries()) takeClientFile(portal, file, descriptors[i] as object);
  return message;
}

/** CHAT_GROUP connectors and `disable_crm: 'Y'` skip the CRM tracker (spec §4). */
export function receiveClientMessage(ctx: Bitrix24Context, portal: PortalState, connector: ConnectorState, line: LineState, item: IncomingItem) {
  const { chat, newSession } = openChat(portal, connector, line, item);
  const message = storeClientMessage(portal, chat, item);
  if (!connector.chatGroup && item.message.disable_crm !== 'Y') ctx.scheduleCrmTracker(portal, line, chat);
  return { chat, message, newSession };
}

export interface OperatorInput {
  text: string;
  /** The author; 0 for a system message without one. */
  operatorId: number;
  system?: boolean;
  /** `message.params` as the portal passes them to a connector (CLASS, IMOL_*, IS_*; others filtered out). */
  params?: Record<string, string>;
  files?: OlMessage['files'];
  /** The operator pressed "Quote" on this message of the chat first. */
  quoteMessageId?: number;
}

/**
 * An operator (or system) message into the external channel; fires
 * ONIMCONNECTORMESSAGEADD. The event's text is what the portal's messenger
 * stores (operator-text.ts): an operator's typed text HTML-escaped, a quote as
 * the messenger writes it; system texts are the portal's own BB-code.
 */
export function operatorMessage(ctx: Bitrix24Context, portal: PortalState, chat: OlChat, input: OperatorInput): OlMessage {
  const connector = portal.connectors.get(chat.connectorId);
  const system = input.system === true;
  const quoted = input.quoteMessageId !== undefined ? portal.messages.get(input.quoteMessageId) : undefined;
  if (input.quoteMessageId !== undefined && quoted?.chatId !== chat.chatId) throw new Error(`message ${input.quoteMessageId} is not in chat ${chat.chatId}`);
  const quote = quoted ? quoteBlock(portal, chat, quoted) : null;
  const message: OlMessage = {
    id: portal.next('message'), chatId: chat.chatId, direction: 'out', authorId: input.operatorId,
    text: `${quote?.shown ?? ''}${input.text}`, files: input.files ?? [], externalIds: [], delivered: false, deleted: false, system, dateMs: Date.now(),
  };
  portal.messages.set(message.id, message);
  chat.messageIds.push(message.id);
  if (!connector || (system && !connector.needSystemMessages)) return message;
  const stored = system ? input.text : `${quote?.stored ?? ''}${storedText(input.text)}`;
  const text = !system && connector.needSignature ? `[b]${portal.operatorName(input.operatorId)}:[/b] [br]${stored}` : stored;
  const files = message.files.map((f) => ({ name: f.name, type: f.type, link: f.url, size: String(f.size) }));
  const params = input.params && Object.keys(input.params).length > 0 ? { params: input.params } : {};
  ctx.emitEvent(portal, connector.clientId, 'ONIMCONNECTORMESSAGEADD', {
    CONNECTOR: connector.id,
    LINE: String(chat.lineId),
    MESSAGES: [{
      im: { chat_id: String(chat.chatId), message_id: String(message.id) },
      message: { user_id: String(message.authorId), text, ...(files.length ? { files } : {}), ...params },
      chat: { id: chat.externalChatId },
    }],
  });
  return message;
}

export function operatorEdit(ctx: Bitrix24Context, portal: PortalState, message: OlMessage, text: string): void {
  const chat = portal.chats.get(message.chatId);
  const connector = chat && portal.connectors.get(chat.connectorId);
  message.text = text;
  if (!chat || !connector) return;
  ctx.emitEvent(portal, connector.clientId, 'ONIMCONNECTORMESSAGEUPDATE', {
    CONNECTOR: connector.id, LINE: String(chat.lineId),
    MESSAGES: [{ im: { chat_id: String(chat.chatId), message_id: String(message.id) }, message: { id: message.externalIds, text: storedText(text) }, chat: { id: chat.externalChatId } }],
  });
}

export function operatorDelete(ctx: Bitrix24Context, portal: PortalState, message: OlMessage): void {
  const chat = portal.chats.get(message.chatId);
  const connector = chat && portal.connectors.get(chat.connectorId);
  message.deleted = true;
  if (!chat || !connector) return;
  ctx.emitEvent(portal, connector.clientId, 'ONIMCONNECTORMESSAGEDELETE', {
    CONNECTOR: connector.id, LINE: String(chat.lineId),
    MESSAGES: [{ im: { chat_id: String(chat.chatId), message_id: String(message.id) }, message: { id: message.externalIds[0] ?? '' }, chat: { id: chat.externalChatId } }],
  });
}

/** A system message of the given kind, in the shape the portal gives it (operator-text.ts). */
export function systemMessage(ctx: Bitrix24Context, portal: PortalState, chat: OlChat, kind: SystemMessageKind, text?: string): OlMessage {
  const shape = SYSTEM_SHAPES[kind];
  return operatorMessage(ctx, portal, chat, {
    text: text ?? shape.text, operatorId: shape.author === 'operator' ? chat.operatorId : 0, system: true, params: shape.params(chat),
  });
}

export function transferChat(ctx: Bitrix24Context, portal: PortalState, chat: OlChat, toOperatorId: number): void {
  const from = portal.operatorName(chat.operatorId);
  chat.operatorId = toOperatorId;
  systemMessage(ctx, portal, chat, 'transfer', `${from} перевёл(а) диалог на оператора ${portal.operatorName(toOperatorId)}`);
}

/** The operator closes the dialog: the line's close text and rating request go to the client, then the session ends. */
export function closeChat(ctx: Bitrix24Context, portal: PortalState, chat: OlChat): void {
  systemMessage(ctx, portal, chat, 'close_text');
  systemMessage(ctx, portal, chat, 'vote');
  chat.sessionClosed = true;
  const connector = portal.connectors.get(chat.connectorId);
  if (connector) {
    ctx.emitEvent(portal, connector.clientId, 'ONIMCONNECTORDIALOGFINISH', {
      CONNECTOR: connector.id, LINE: String(chat.lineId),
      DATA: [{
        connector: { connector_id: connector.id, line_id: String(chat.lineId), chat_id: chat.externalChatId, user_id: chat.externalUserId },
        session: { id: String(chat.sessionId), closed: 'Y' }, chat: { id: String(chat.chatId) }, user: { id: String(chat.clientUserId) },
      }],
    });
  }
}
