/**
 * im.message.add (scope im; apidocs `chats/messages/im-message-add`): posts a
 * message into a chat. DIALOG_ID is `chatXXX` for a chat (an Open Lines chat
 * here), MESSAGE the BB-code text, SYSTEM=Y marks it a system message. Answers
 * the new message id. In an Open Lines chat the message goes out to the
 * connector like any message there: a system one only when the connector asked
 * for system messages (NEED_SYSTEM_MESSAGES) — so an app that posts notices
 * sees them come back as ONIMCONNECTORMESSAGEADD and must not loop.
 */
import { param, type MethodHandler } from '../context.ts';
import { b24Errors } from '../errors.ts';
import { operatorMessage } from '../openlines.ts';

const messageAdd: MethodHandler = (call) => {
  const dialogId = String(param(call.params, 'DIALOG_ID') ?? '');
  const text = String(param(call.params, 'MESSAGE') ?? '');
  if (!dialogId) throw b24Errors.argument('DIALOG_ID');
  if (!text) throw b24Errors.invalidArgument('Message can\'t be empty');
  const match = /^chat(\d+)$/.exec(dialogId);
  const chat = match ? call.portal.chats.get(Number(match[1])) : undefined;
  if (!chat) throw b24Errors.invalidArgument('Dialog ID can\'t be parsed');
  const system = String(param(call.params, 'SYSTEM') ?? 'N').toUpperCase() === 'Y';
  return operatorMessage(call.ctx, call.portal, chat, { text, operatorId: system ? 0 : 1, system }).id;
};

export const imMethods: Record<string, MethodHandler> = {
  'im.message.add': messageAdd,
};
