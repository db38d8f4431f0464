/**
 * imconnector.* (spec §4). Application context only (the router refuses
 * webhooks with WRONG_AUTH_TYPE). register/unregister report business errors
 * inside HTTP 200 as `{result: {result: false, error, error_description}}`.
 */
import { appClientId, param, type MethodCall, type MethodHandler } from '../context.ts';
import { b24Errors } from '../errors.ts';
import type { ConnectorState, LineState, OlMessage } from '../model.ts';
import { unfetchedFiles } from '../file-fetch.ts';
import { receiveClientMessage, type IncomingItem } from '../openlines.ts';

const flag = (v: unknown, fallback: boolean): boolean =>
  v === undefined || v === null || v === '' ? fallback : !(v === false || v === 'N' || v === 'n' || v === '0' || v === 0 || v === 'false');

function businessError(code: string, description: string) {
  return { result: false, error: code, error_description: description };
}

function requireLine(call: MethodCall): LineState {
  const raw = param(call.params, 'LINE');
  if (raw === undefined || raw === null || raw === '') throw b24Errors.argument('LINE');
  const line = call.portal.lines.get(Number(raw));
  if (!line) throw b24Errors.notActiveLine();
  return line;
}

function requireConnector(call: MethodCall): ConnectorState {
  const id = param(call.params, 'CONNECTOR');
  if (typeof id !== 'string' || id === '') throw b24Errors.argument('CONNECTOR');
  const connector = call.portal.connectors.get(id.toLowerCase());
  if (!connector) throw b24Errors.noProvider();
  return connector;
}

/** Line active and the connector activated on it, else NOT_ACTIVE_LINE (spec §4). */
function activeLineFor(call: MethodCall, connector: ConnectorState): LineState {
  const line = requireLine(call);
  if (!line.active || !line.connectors.has(connector.id)) throw b24Errors.notActiveLine();
  return line;
}

function messagesParam(call: MethodCall): Array<Record<string, Record<string, unknown>>> {
  const raw = param(call.params, 'MESSAGES');
  const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? Object.values(raw) : null;
  if (!list || list.length === 0) throw b24Errors.argument('MESSAGES');
  return list as Array<Record<string, Record<string, unknown>>>;
}

const register: MethodHandler = (call) => {
  const id = param(call.params, 'ID');
  if (typeof id !== 'string' || id === '') return businessError('CONNECTOR_ID_REQUIRED', 'Connector ID is required');
  if (id.includes('.')) return businessError('APPLICATION_REGISTRATION_ERROR_POINT', 'Connector ID must not contain a dot');
  if (!param(call.params, 'NAME')) return businessError('NAME_REQUIRED', 'Name is required');
  const icon = param(call.params, 'ICON') as Record<string, unknown> | undefined;
  if (!icon || !icon.DATA_IMAGE) return businessError('ICON_REQUIRED', 'Icon is required');
  if (!param(call.params, 'PLACEMENT_HANDLER')) return businessError('NO_PLACEMENT_HANDLER', 'Placement handler is required');
  const clientId = appClientId(call);
  if (!clientId) return businessError('NO_APPLICATION_ID', 'Application context required');
  const key = id.toLowerCase();
  call.portal.connectors.set(key, {
    id: key, name: String(param(call.params, 'NAME')), clientId,
    needSignature: flag(param(call.params, 'NEED_SIGNATURE'), true),
    needSystemMessages: flag(param(call.params, 'NEED_SYSTEM_MESSAGES'), true),
    chatGroup: flag(param(call.params, 'CHAT_GROUP'), false),
    raw: { ...call.params },
  });
  return { result: true };
};

const unregister: MethodHandler = (call) => {
  const id = String(param(call.params, 'ID') ?? '').toLowerCase();
  const connector = call.portal.connectors.get(id);
  if (!connector || connector.clientId !== appClientId(call)) {
    return businessError('APPLICATION_UNREGISTRATION_ERROR', 'Connector is not registered by this application');
  }
  call.portal.connectors.delete(id);
  for (const line of call.portal.lines.values()) line.connectors.delete(id);
  return { result: true };
};

const activate: MethodHandler = (call) => {
  const connector = requireConnector(call);
  const line = requireLine(call);
  const active = flag(param(call.params, 'ACTIVE'), false);
  if (active) line.connectors.add(connector.id);
  else if (line.connectors.delete(connector.id)) {
    call.ctx.emitEvent(call.portal, connector.clientId, 'ONIMCONNECTORSTATUSDELETE', { connector: connector.id, line: String(line.id) });
  }
  return true;
};

const status: MethodHandler = (call) => {
  const connector = requireConnector(call);
  const line = call.portal.lines.get(Number(param(call.params, 'LINE') ?? 0));
  const configured = !!line && line.connectors.has(connector.id);
  return {
    LINE: line?.id ?? 0, CONNECTOR: connector.id, ERROR: false, CONFIGURED: configured,
    STATUS: configured && !!line?.active, CONNECTION: configured && !!line?.connectorData.get(connector.id), REGISTER: configured,
  };
};

const dataSet: MethodHandler = (call) => {
  const connector = requireConnector(call);
  const line = requireLine(call);
  const data = param(call.params, 'DATA');
  if (!data || typeof data !== 'object') throw b24Errors.argument('DATA');
  line.connectorData.set(connector.id, data as Record<string, unknown>);
  return true;
};

const sendMessages: MethodHandler = (call) => {
  const connector = requireConnector(call);
  const line = activeLineFor(call, connector);
  const items = messagesParam(call);
  for (const item of items) {
    if (!item.user?.id || !item.message || !item.chat?.id) throw b24Errors.invalidArgument('Each message needs user.id, message and chat.id');
  }
  const results = items.map((raw) => {
    const item = raw as unknown as IncomingItem;
    if (typeof item.message.text !== 'string' && !Array.isArray(item.message.files)) {
      return { ...item, SUCCESS: false, ERRORS: [{ code: 'EMPTY_MESSAGE', message: 'Message text or files required' }] };
    }
    // A file the portal could not download fails its item, caption included (file-fetch.ts).
    const unfetched = unfetchedFiles(item.message);
    if (unfetched.length > 0) {
      return { ...item, SUCCESS: false, ERRORS: unfetched.map((f) => ({ code: 'ERROR_FILE_DOWNLOAD', message: `Could not download the file ${String(f.name ?? '')}` })) };
    }
    const { chat } = receiveClientMessage(call.ctx, call.portal, connector, line, item);
    return {
      user: String(chat.clientUserId), message: { id: item.message.id, date: item.message.date ?? [], text: item.message.text ?? '', files: item.message.files ?? [] },
      chat: { id: chat.externalChatId, name: item.chat.name ?? '', description: '' }, extra: [],
      SUCCESS: true, session: { ID: String(chat.sessionId), CHAT_ID: String(chat.chatId) },
    };
  });
  return { SUCCESS: true, DATA: { RESULT: results } };
};

type Item = Record<string, Record<string, unknown>>;

/**
 * update.messages and delete.messages: each item names a message we sent
 * before (same message.id + chat.id + user.id); unknown ones fail per item.
 */
function forEachKnownMessage(call: MethodCall, apply: (message: OlMessage, item: Item, clientUserId: number) => Record<string, unknown>) {
  const connector = requireConnector(call);
  const line = activeLineFor(call, connector);
  const results = messagesParam(call).map((item) => {
    const userPart = connector.chatGroup ? 0 : String(item.user?.id);
    const chat = call.portal.chatByUserCode(`${connector.id}|${line.id}|${String(item.chat?.id)}|${userPart}`);
    const message = chat && call.portal.messageByExternalId(chat.chatId, String(item.message?.id));
    if (!message) return { ...item, SUCCESS: false, ERRORS: [{ code: 'NOT_FOUND_MESSAGE', message: 'Message not found' }] };
    return { user: String(chat.clientUserId), ...apply(message, item, chat.clientUserId), SUCCESS: true };
  });
  return { SUCCESS: true, DATA: { RESULT: results } };
}

const updateMessages: MethodHandler = (call) =>
  forEachKnownMessage(call, (message, item) => {
    if (typeof item.message?.text === 'string') message.text = item.message.text;
    return { message: item.message, chat: item.chat };
  });

const deleteMessages: MethodHandler = (call) =>
  forEachKnownMessage(call, (message, item) => {
    message.deleted = true;
    return { message: { id: item.message?.id }, chat: { id: item.chat?.id } };
  });

/** Only im.message_id finds the message; the first confirmation stores message.id (spec §4). */
const statusDelivery: MethodHandler = (call) => {
  requireConnector(call);
  for (const item of messagesParam(call)) {
    const message = call.portal.messages.get(Number(item.im?.message_id));
    if (!message || message.direction !== 'out' || message.delivered) continue;
    const ids = item.message?.id;
    message.externalIds = (Array.isArray(ids) ? ids : ids === undefined ? [] : [ids]).map(String);
    message.delivered = true;
  }
  return { SUCCESS: true, DATA: [] };
};

const statusReading: MethodHandler = (call) => {
  requireConnector(call);
  messagesParam(call);
  return { SUCCESS: true, DATA: [] };
};

const list: MethodHandler = (call) => {
  const out: Record<string, string> = { livechat: 'Онлайн-чат', telegrambot: 'Telegram' };
  for (const c of call.portal.connectors.values()) out[c.id] = c.name;
  return out;
};

const chatNameSet: MethodHandler = (call) => {
  const connector = requireConnector(call);
  const line = requireLine(call);
  const chatId = param(call.params, 'CHAT_ID');
  const name = param(call.params, 'NAME');
  if (!chatId) throw b24Errors.argument('CHAT_ID');
  if (!name) throw b24Errors.argument('NAME');
  const userId = connector.chatGroup ? '0' : String(param(call.params, 'USER_ID') ?? '');
  const chat = call.portal.chatByUserCode(`${connector.id}|${line.id}|${String(chatId)}|${userId}`);
  if (!chat) throw b24Errors.invalidArgument('CHAT_RENAMING_FAILED');
  chat.externalUser = { ...chat.externalUser, chat_name: name };
  return { SUCCESS: true, DATA: { RESULT: [] } };
};

export const imconnectorMethods: Record<string, MethodHandler> = {
  'imconnector.register': register,
  'imconnector.unregister': unregister,
  'imconnector.activate': activate,
  'imconnector.status': status,
  'imconnector.connector.data.set': dataSet,
  'imconnector.send.messages': sendMessages,
  'imconnector.update.messages': updateMessages,
  'imconnector.delete.messages': deleteMessages,
  'imconnector.send.status.delivery': statusDelivery,
  'imconnector.send.status.reading': statusReading,
  'imconnector.list': list,
  'imconnector.chat.name.set': chatNameSet,
};
