/**
 * `ask_phone`: a new client (no earlier session on this portal, no phone shared yet) is asked
 * once for their phone with MAX's request-contact button, and the session's CRM step waits a
 * little for the answer (`phoneWaitMs`) so that a client already known by phone is found
 * instead of getting a second lead or contact. The phone itself comes with the client's
 * message (inbound.ts keeps a shared own contact on the conversation). Group chats are not
 * asked. Recorded as a client notice: one ask per conversation. Should the bridge stop between
 * the send and the record, the client is asked a second time — told twice beats never.
 */
import type { components } from '../../max/types.ts';
import { NotYet } from '../../queue/not-yet.ts';
import type { CrmSession } from './context.ts';

export const ASK_PHONE_TEXT = 'Чтобы мы нашли ваши прошлые обращения, поделитесь, пожалуйста, номером телефона — кнопка ниже. Можно и не делить: мы ответим в любом случае.';
export const ASK_PHONE_BUTTON = 'Поделиться номером';

const keyboard = {
  type: 'inline_keyboard', payload: { buttons: [[{ type: 'request_contact', text: ASK_PHONE_BUTTON }]] },
} as components['schemas']['InlineKeyboardAttachmentRequest'];

async function isNewClient(s: CrmSession): Promise<boolean> {
  if (!s.conversation.maxUserId) return false;
  const earlier = await s.deps.store.crmLinks.ofClient(s.portalId, s.conversation.maxUserId);
  return earlier.every((l) => l.conversationId === s.conversation.id && l.sessionId === s.sessionId);
}

export async function askForPhone(s: CrmSession): Promise<void> {
  if (!s.policy.askPhone || s.conversation.clientPhone || s.conversation.maxChatId.startsWith('-')) return;
  if (!(await isNewClient(s))) return;
  const notices = s.deps.store.clientNotices;
  if ((await notices.count(s.conversation.id, 'ask_phone')) === 0) {
    const max = s.deps.maxFor(s.conversation.botId);
    if (!max) return;
    const { message } = await max.sendMessage({ chatId: s.conversation.maxChatId }, {
      text: ASK_PHONE_TEXT,
      attachments: [keyboard],
    }, { conversationId: s.conversation.id, botId: s.conversation.botId });
    await notices.record(s.conversation.id, 'ask_phone', message?.body?.mid ?? null);
    s.log.info({}, 'client asked for their phone (request-contact button)');
  }
  const askedAtMs = (await notices.lastSentAtMs(s.conversation.id, 'ask_phone')) ?? s.deps.nowMs();
  const nowMs = s.deps.nowMs();
  if (nowMs - askedAtMs < s.deps.phoneWaitMs) throw new NotYet(Math.min(askedAtMs + s.deps.phoneWaitMs, nowMs + 2_000), 'waiting a little for the phone the client was asked for');
}
