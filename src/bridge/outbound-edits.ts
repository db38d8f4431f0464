/**
 * Operator edits and deletes (ONIMCONNECTORMESSAGEUPDATE / DELETE) → MAX.
 * The parts of the original reply are found by its Bitrix24 message id
 * (`outbound_parts`). An edit rewrites each part (extra parts are sent, parts
 * no longer needed are deleted); MAX lets a bot edit a dialog message only
 * within 7 days — outside it, and whenever MAX refuses, the operator gets a
 * notice in the Open Line instead of a silent loss. A delete removes every part.
 * An edit whose formatting MAX refuses goes again as plain text.
 */
import { connectorMessagesOf } from '../bitrix24/connector-message.ts';
import { BridgeError } from '../domain/errors.ts';
import { maxHtmlToPlain } from '../domain/text/max-html-to-plain.ts';
import { escapeBbcodeText } from '../domain/text/markup-to-bbcode.ts';
import { splitForMax } from '../domain/text/split.ts';
import { parseConversationId, type ConversationId } from '../domain/ids.ts';
import type { MaxNewMessageBody } from '../max/client.ts';
import { MAX_ERROR_CODES } from '../max/errors.ts';
import { codeOf } from '../log/logger.ts';
import { journalIdsOf, midOf, renderOperatorText, type OutboundDeps } from './outbound.ts';


/** MAX: dialog messages without a keyboard can be edited for 7 days (spec §4). */
export const MAX_EDIT_WINDOW_MS = 7 * 86_400_000;

async function notice(deps: OutboundDeps, portalId: string, imChatId: string, conversationId: ConversationId, text: string, reason: string): Promise<void> {
  const bitrix = deps.bitrixFor(portalId);
  if (!bitrix || !imChatId) return;
  const id = await bitrix.call<number | string>(portalId, 'im.message.add', { DIALOG_ID: `chat${imChatId}`, MESSAGE: text, SYSTEM: 'Y' });
  await deps.store.operatorNotices.record(String(id), conversationId, reason);
}

/** Calls with the html body; when MAX refuses its formatting (a certain 400), with the same words as plain text. */
async function plainOnRefusal<T>(html: string, call: (body: MaxNewMessageBody) => Promise<T>): Promise<T> {
  try {
    return await call({ text: html, format: 'html' });
  } catch (err) {
    if (err instanceof BridgeError && err.code === MAX_ERROR_CODES.formatRejected) return call({ text: maxHtmlToPlain(html) });
    throw err;
  }
}

export async function applyOperatorChanges(deps: OutboundDeps, portalId: string, event: 'ONIMCONNECTORMESSAGEUPDATE' | 'ONIMCONNECTORMESSAGEDELETE', data: unknown): Promise<void> {
  for (const message of connectorMessagesOf(data)) {
    const conversationId = parseConversationId(message.externalChatId ?? '');
    const imMessageId = message.imMessageId ?? '';
    const imChatId = message.imChatId;
    const conversation = conversationId === null ? null : await deps.store.conversations.get(conversationId);
    if (!conversation || !imMessageId) continue;
    const max = deps.maxFor(conversation.botId);
    if (!max) continue;
    const parts = await deps.store.outboundParts.partsOf(conversation.id, imMessageId);
    if (parts.length === 0) continue; // never delivered (or not ours): nothing to change in MAX
    const ids = journalIdsOf(deps, conversation, imMessageId);
    if (event === 'ONIMCONNECTORMESSAGEDELETE') {
      for (const p of parts) {
        if (!p.maxMid) continue;
        await max.deleteMessage(p.maxMid, conversation.maxChatId, ids).catch((err: unknown) => {
          if (!(err instanceof BridgeError && err.code === MAX_ERROR_CODES.notFound)) throw err;
        });
      }
      await deps.store.outboundParts.forgetMessage(conversation.id, imMessageId);
      continue;
    }
    const text = message.text;
    const html = renderOperatorText(text, false, deps) ?? '';
    const bodies = html ? splitForMax(html) : [];
    const oldest = Math.min(...parts.map((p) => p.sentAtMs));
    if (deps.nowMs() - oldest > MAX_EDIT_WINDOW_MS) {
      await notice(deps, portalId, imChatId, conversation.id, `[b]Изменение не доставлено клиенту в MAX[/b]: сообщению больше 7 дней, MAX не позволяет его изменить. Новый текст: «${escapeBbcodeText(text.slice(0, 200))}»`, 'edit_too_old');
      continue;
    }
    try {
      for (const [i, body] of bodies.entries()) {
        const existing = parts[i];
        const existingMid = existing?.maxMid;
        if (existingMid) {
          await plainOnRefusal(body, (b) => max.editMessage(existingMid, conversation.maxChatId, b, ids));
        } else {
          const { message: sent } = await plainOnRefusal(body, (b) => max.sendMessage({ chatId: conversation.maxChatId }, b, ids));
          await deps.store.outboundParts.recordEdited(conversation.id, imMessageId, i, midOf(sent));
        }
      }
      for (const extra of parts.slice(bodies.length)) {
        if (extra.maxMid) {
          await max.deleteMessage(extra.maxMid, conversation.maxChatId, ids).catch((err: unknown) => {
            // The edit went; an extra part of the old text stays in the chat.
            deps.log?.warn({ err, code: codeOf(err), conversationId: conversation.id, imMessageId }, 'deleting a part left over by an edit failed; it stays in MAX');
          });
        }
        await deps.store.outboundParts.forgetPart(extra.id);
      }
    } catch (err) {
      if (err instanceof BridgeError && !err.retryable) {
        await notice(deps, portalId, imChatId, conversation.id, `[b]Изменение не доставлено клиенту в MAX[/b]: ${escapeBbcodeText(err.message)}`, 'edit_refused');
        continue;
      }
      throw err;
    }
  }
}
