/**
 * Open Lines behaviour: a client message through a connector lands in a chat
 * keyed by USER_CODE `connector|line|chat|user`, opening a session (a new one
 * after the previous was closed) and running the CRM tracker; operator actions
 * produce the connector events the app receives.
 */
import type { Bitrix24Context } from './context.ts';
import { trackCrm } from './crm-tracker.ts';
import { takeClientFile } from './file-fetch.ts';
import type { ConnectorState, LineState, OlChat, OlMessage } from './model.ts';
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
      externalUser: item.user, clientUserId: portal.next('user'), sessionId: portal.next('session'), sessionClosed: false,
      operatorId: 2, crm: { LEAD: 0, CONTACT: 0, DEAL: 0, COMPANY: 0 }, messageIds: [],
    };
    portal.chats.set(chat.chatId, chat);
    newSession = true;
  } else if (chat.sessionClosed) {
    chat.sessionId = portal.next('session');
    chat.sessionClosed = false;
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

export function receiveClientMessage(portal: PortalState, connector: ConnectorState, line: LineState, item: IncomingItem) {
  const { chat, newSession } = openChat(portal, connector, line, item);
  const message = storeClientMessage(portal, chat, item);
  if (!connector.chatGroup) trackCrm(portal, line, chat, item.message.disable_crm === 'Y');
  return { chat, message, newSession };
}

/** An operator (or system) message into the external channel; fires ONIMCONNECTORMESSAGEADD. */
export function operatorMessage(
  ctx: Bitrix24Context,
  portal: PortalState,
  chat: OlChat,
  input: { text: string; operatorId: number; system?: boolean; files?: OlMessage['files'] },
): OlMessage {
  const connector = portal.connectors.get(chat.connectorId);
  const system = input.system === true;
  const message: OlMessage = {
    id: portal.next('message'), chatId: chat.chatId, direction: 'out', authorId: system ? 0 : input.operatorId,
    text: input.text, files: input.files ?? [], externalIds: [], delivered: false, deleted: false, system, dateMs: Date.now(),
  };
  portal.messages.set(message.id, message);
  chat.messageIds.push(message.id);
  if (!connector || (system && !connector.needSystemMessages)) return message;
  const text = !system && connector.needSignature ? `[b]${portal.operatorName(input.operatorId)}:[/b] [br]${input.text}` : input.text;
  const files = message.files.map((f) => ({ name: f.name, type: f.type, link: f.url, size: String(f.size) }));
  ctx.emitEvent(portal, connector.clientId, 'ONIMCONNECTORMESSAGEADD', {
    CONNECTOR: connector.id,
    LINE: String(chat.lineId),
    MESSAGES: [{
      im: { chat_id: String(chat.chatId), message_id: String(message.id) },
      message: { user_id: String(message.authorId), text, ...(files.length ? { files } : {}) },
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
    MESSAGES: [{ im: { chat_id: String(chat.chatId), message_id: String(message.id) }, message: { id: message.externalIds, text }, chat: { id: chat.externalChatId } }],
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

export function transferChat(ctx: Bitrix24Context, portal: PortalState, chat: OlChat, toOperatorId: number): void {
  const from = portal.operatorName(chat.operatorId);
  chat.operatorId = toOperatorId;
  operatorMessage(ctx, portal, chat, { text: `${from} перевёл(а) диалог на оператора ${portal.operatorName(toOperatorId)}`, operatorId: 0, system: true });
}

export function closeChat(ctx: Bitrix24Context, portal: PortalState, chat: OlChat): void {
  operatorMessage(ctx, portal, chat, { text: 'Диалог завершён. Спасибо за обращение!', operatorId: 0, system: true });
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
