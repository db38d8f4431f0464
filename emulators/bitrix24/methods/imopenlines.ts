/**
 * imopenlines.* methods a bridge needs (spec §5): line configs, dialog lookup
 * and session history. Line fields are strings, as the real portal returns them.
 */
import { param, type MethodCall, type MethodHandler } from '../context.ts';
import { B24Error, b24Errors } from '../errors.ts';
import { settingsFromParams } from '../lines.ts';
import type { LineState, OlChat } from '../model.ts';

export function lineView(line: LineState): Record<string, string> {
  return {
    ID: String(line.id), LINE_NAME: line.name, ACTIVE: line.active ? 'Y' : 'N', CRM: line.crm,
    CRM_CREATE: line.crmCreate, CRM_CREATE_SECOND: line.crmCreateSecond, CRM_CREATE_THIRD: 'Y', CRM_FORWARD: line.crmForward,
    CRM_CHAT_TRACKER: 'Y', CRM_SOURCE: 'create', QUEUE_TYPE: 'evenly', AUTO_CLOSE_TIME: line.autoCloseTime,
  };
}

function paramsObject(call: MethodCall): Record<string, unknown> {
  const p = param(call.params, 'PARAMS');
  return p && typeof p === 'object' ? (p as Record<string, unknown>) : {};
}

const configListGet: MethodHandler = (call) => {
  const p = paramsObject(call);
  const limit = Math.min(Number(p.limit ?? 200), 200);
  const offset = Number(p.offset ?? 0);
  return [...call.portal.lines.values()].map(lineView).slice(offset, offset + limit);
};

const configGet: MethodHandler = (call) => {
  const id = param(call.params, 'CONFIG_ID');
  if (!id) throw b24Errors.argument('CONFIG_ID');
  const line = call.portal.lines.get(Number(id));
  if (!line) throw b24Errors.notFound('Config');
  return lineView(line);
};

/** PARAMS: LINE_NAME, ACTIVE, CRM, CRM_CREATE, CRM_CREATE_SECOND, CRM_FORWARD, AUTO_CLOSE_TIME (lines.ts); the rest is ignored. */
const configAdd: MethodHandler = (call) => call.portal.addLine(settingsFromParams(paramsObject(call))).id;

const configUpdate: MethodHandler = (call) => {
  const line = call.portal.lines.get(Number(param(call.params, 'CONFIG_ID')));
  if (!line) throw b24Errors.notFound('Config');
  Object.assign(line, settingsFromParams(paramsObject(call)));
  return true;
};

function chatOf(call: MethodCall): OlChat {
  const chatId = param(call.params, 'CHAT_ID');
  const userCode = param(call.params, 'USER_CODE');
  const sessionId = param(call.params, 'SESSION_ID');
  for (const chat of call.portal.chats.values()) {
    if ((chatId && chat.chatId === Number(chatId)) || (userCode && chat.userCode === userCode) || (sessionId && chat.sessionId === Number(sessionId))) {
      return chat;
    }
  }
  if (!chatId && !userCode && !sessionId) throw b24Errors.argument('CHAT_ID');
  throw new B24Error(400, 'CHAT_ID', 'Chat not found');
}

const dialogGet: MethodHandler = (call) => {
  const chat = chatOf(call);
  const crm = chat.crm;
  return {
    id: chat.chatId, dialog_id: `chat${chat.chatId}`, type: 'lines', name: String(chat.externalUser.name ?? 'Клиент'),
    entity_type: 'LINES', entity_id: chat.userCode,
    entity_data_1: `Y|LEAD|${crm.LEAD}|N|N|${chat.sessionId}|0|0|0`,
    entity_data_2: `LEAD|${crm.LEAD}|COMPANY|${crm.COMPANY}|CONTACT|${crm.CONTACT}|DEAL|${crm.DEAL}`,
    owner: chat.operatorId,
  };
};

const historyGet: MethodHandler = (call) => {
  const chat = chatOf(call);
  const message: Record<string, unknown> = {};
  const users: Record<string, unknown> = {};
  for (const id of chat.messageIds) {
    const m = call.portal.messages.get(id);
    if (!m || m.deleted) continue;
    message[String(m.id)] = {
      id: m.id, chat_id: m.chatId, author_id: m.authorId, date: new Date(m.dateMs).toISOString(), text: m.text,
      params: m.externalIds.length ? { CONNECTOR_MID: m.externalIds } : [],
    };
    users[String(m.authorId)] = { id: m.authorId, name: m.authorId === chat.clientUserId ? String(chat.externalUser.name ?? '') : call.portal.operatorName(m.authorId) };
  }
  // PHP serialises an empty collection as [] (spec §8).
  return { chatId: chat.chatId, sessionId: chat.sessionId, message: Object.keys(message).length ? message : [], users: Object.keys(users).length ? users : [] };
};

export const imopenlinesMethods: Record<string, MethodHandler> = {
  'imopenlines.config.list.get': configListGet,
  'imopenlines.config.get': configGet,
  'imopenlines.config.add': configAdd,
  'imopenlines.config.update': configUpdate,
  'imopenlines.dialog.get': dialogGet,
  'imopenlines.session.history.get': historyGet,
};
