/**
 * Operator edits and deletes (ONIMCONNECTORMESSAGEUPDATE / DELETE) → MAX.
 * The parts of the original reply are found by its Bitrix24 message id
 * (`outbound_parts`). An edit rewrites each part (extra parts are sent, parts
 * no longer needed are deleted); MAX lets a bot edit a dialog message only
 * within 7 days — outside it, and whenever MAX refuses, the operator gets a
 * notice in the Open Line instead of a silent loss. A delete removes every part.
 * An edit whose formatting MAX refuses goes again as plain text.
 */
import { messagesOf } from '../bitrix24/event-shape.ts';
import { BridgeError } from '../domain/errors.ts';
import { maxHtmlToPlain } from '../domain/text/max-html-to-plain.ts';
import { escapeBbcodeText } from '../domain/text/markup-to-bbcode.ts';
import { splitForMax } from '../domain/text/split.ts';
import { MAX_ERROR_CODES } from '../max/errors.ts';
import { codeOf } from '../log/logger.ts';
import { renderOperatorText, type OutboundDeps } from './outbound.ts';

type Json = Record<string, unknown>;

/** MAX: dialog messages without a keyboard can be edited for 7 days (spec §4). */
export const MAX_EDIT_WINDOW_MS = 7 * 86_400_000;

async function notice(deps: OutboundDeps, portalId: string, imChatId: string, conversationId: string, text: string, reason: string): Promise<void> {
  const bitrix = deps.bitrixFor(portalId);
  if (!bitrix || !imChatId) return;
  const id = await bitrix.call<number | string>(portalId, 'im.message.add', { DIALOG_ID: `chat${imChatId}`, MESSAGE: text, SYSTEM: 'Y' });
  await deps.store.db.insertInto('operator_notices').values({ bitrix_message_id: String(id), conversation_id: conversationId, reason, created_at_ms: deps.nowMs() })
    .onConflict((oc) => oc.column('bitrix_message_id').doNothing()).execute();
}

/** Calls with the html body; when MAX refuses its formatting (a certain 400), with the same words as plain text. */
async function plainOnRefusal<T>(html: string, call: (body: Json) => Promise<T>): Promise<T> {
  try {
    return await call({ text: html, format: 'html' });
  } catch (err) {
    if (err instanceof BridgeError && err.code === MAX_ERROR_CODES.formatRejected) return call({ text: maxHtmlToPlain(html) });
    throw err;
  }
}

export async function applyOperatorChanges(deps: OutboundDeps, portalId: string, event: 'ONIMCONNECTORMESSAGEUPDATE' | 'ONIMCONNECTORMESSAGEDELETE', data: unknown): Promise<void> {
  for (const raw of messagesOf(data)) {
    const im = (raw.im ?? {}) as Json;
    const message = (raw.message ?? {}) as Json;
    const conversationId = String(((raw.chat ?? {}) as Json).id ?? '');
    const imMessageId = String(im.message_id ?? '');
    const imChatId = String(im.chat_id ?? '');
    const conversation = await deps.store.conversations.get(conversationId);
    if (!conversation || !imMessageId) continue;
    const max = deps.maxFor(conversation.botId);
    if (!max) continue;
    const parts = await deps.store.db.selectFrom('outbound_parts').selectAll().where('conversation_id', '=', conversation.id)
      .where('bitrix_message_id', '=', imMessageId).orderBy('part').execute();
    if (parts.length === 0) continue; // never delivered (or not ours): nothing to change in MAX
    if (event === 'ONIMCONNECTORMESSAGEDELETE') {
      for (const p of parts) {
        if (!p.max_mid) continue;
        await max.deleteMessage(p.max_mid, conversation.maxChatId).catch((err: unknown) => {
          if (!(err instanceof BridgeError && err.code === MAX_ERROR_CODES.notFound)) throw err;
        });
      }
      await deps.store.db.deleteFrom('outbound_parts').where('conversation_id', '=', conversation.id).where('bitrix_message_id', '=', imMessageId).execute();
      continue;
    }
    const text = typeof message.text === 'string' ? message.text : '';
    const html = renderOperatorText(text, false, deps) ?? '';
    const bodies = html ? splitForMax(html) : [];
    const oldest = Math.min(...parts.map((p) => Number(p.sent_at_ms)));
    if (deps.nowMs() - oldest > MAX_EDIT_WINDOW_MS) {
      await notice(deps, portalId, imChatId, conversation.id, `[b]Изменение не доставлено клиенту в MAX[/b]: сообщению больше 7 дней, MAX не позволяет его изменить. Новый текст: «${escapeBbcodeText(text.slice(0, 200))}»`, 'edit_too_old');
      continue;
    }
    try {
      for (const [i, body] of bodies.entries()) {
        const existing = parts[i];
        if (existing?.max_mid) {
          await plainOnRefusal(body, (b) => max.editMessage(existing.max_mid!, conversation.maxChatId, b as never));
        } else {
          const { message: sent } = await plainOnRefusal(body, (b) => max.sendMessage({ chatId: conversation.maxChatId }, b as never));
          const mid = String((sent as unknown as { body?: { mid?: string } }).body?.mid ?? '') || null;
          await deps.store.db.insertInto('outbound_parts').values({ conversation_id: conversation.id, bitrix_message_id: imMessageId, part: i, max_mid: mid, sent_at_ms: deps.nowMs() })
            .onConflict((oc) => oc.columns(['conversation_id', 'bitrix_message_id', 'part']).doUpdateSet({ max_mid: mid })).execute();
        }
      }
      for (const extra of parts.slice(bodies.length)) {
        if (extra.max_mid) {
          await max.deleteMessage(extra.max_mid, conversation.maxChatId).catch((err: unknown) => {
            // The edit went; an extra part of the old text stays in the chat.
            deps.log?.warn({ err, code: codeOf(err), conversationId: conversation.id, imMessageId }, 'deleting a part left over by an edit failed; it stays in MAX');
          });
        }
        await deps.store.db.deleteFrom('outbound_parts').where('id', '=', extra.id).execute();
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
