/**
 * im.notify.system.add (scope im; b24restdocs chats/notifications/im-notify-system-add.md):
 * `{USER_ID*, MESSAGE*, MESSAGE_OUT?, TAG?, SUB_TAG?, ATTACH?}` → the new notification's id.
 * MESSAGE is trimmed. TAG is unique within the sending application: a later notification
 * with the same tag for the same user replaces the earlier one. Errors 400 `USER_ID_EMPTY`
 * "User ID can't be empty", `MESSAGE_EMPTY` "Message can't be empty". Shown in
 * `GET /_control/portals/{p}/notifications`.
 */
import { appClientId, param, type MethodHandler } from '../context.ts';
import { B24Error } from '../errors.ts';

const systemAdd: MethodHandler = (call) => {
  const userId = Number(param(call.params, 'USER_ID'));
  if (!Number.isInteger(userId) || userId <= 0) throw new B24Error(400, 'USER_ID_EMPTY', "User ID can't be empty");
  const message = String(param(call.params, 'MESSAGE') ?? '').trim();
  if (!message) throw new B24Error(400, 'MESSAGE_EMPTY', "Message can't be empty");
  // A webhook names its application with CLIENT_ID to tag notifications (the doc's note).
  const sender = appClientId(call) || String(param(call.params, 'CLIENT_ID') ?? 'webhook');
  const tag = String(param(call.params, 'TAG') ?? '');
  const list = call.portal.notifications;
  if (tag) {
    const kept = list.filter((n) => !(n.sender === sender && n.userId === userId && n.tag === tag));
    list.splice(0, list.length, ...kept);
  }
  const id = call.portal.next('notification');
  list.push({
    id, userId, message, messageOut: String(param(call.params, 'MESSAGE_OUT') ?? ''), tag, subTag: String(param(call.params, 'SUB_TAG') ?? ''),
    sender, dateMs: Date.now(),
  });
  return id;
};

export const imNotifyMethods: Record<string, MethodHandler> = {
  'im.notify.system.add': systemAdd,
};
