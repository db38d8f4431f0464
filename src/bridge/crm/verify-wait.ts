/**
 * Waiting for a CRM binding that is not there yet (Open Lines binds seconds after the message;
 * a verification read may lag the write): the job is put back with a growing pause, no worker
 * waiting and no attempt counted, until the deadline (`crm.verify_timeout_seconds`). Past it the
 * operator is told in the line, the session is marked failed and the job becomes a dead letter
 * with the reason — replayable once the cause is fixed.
 */
import { BridgeError } from '../../domain/errors.ts';
import { NotYet } from '../../queue/not-yet.ts';
import type { CrmSession } from './context.ts';

export const CRM_NOT_BOUND = 'BRG_ERR_CRM_NOT_BOUND';

/** The pause before the next look: half the time waited so far, between 1 s and 30 s. */
export function nextLookMs(waitedMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.round(waitedMs / 2)));
}

const NOTICE = (why: string) => `[b]CRM:[/b] диалог не удалось привязать к объекту CRM (${why}). Проверьте настройки CRM линии и мост (список недоставленного: dead letters). / The dialog could not be bound to a CRM object.`;

/**
 * The session's line was deleted or switched off meanwhile (paused): there is nothing left to
 * bind to — the conversation goes to another line, and a session of its own there, at its next
 * message. The step ends quietly, its row marked failed (crm/session-job.ts).
 */
export class LineGone extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'LineGone';
  }
}

export async function waitOrGiveUp(s: CrmSession, why: string): Promise<never> {
  const state = await s.deps.store.lines.stateOf(s.conversation.lineRef);
  if (state !== 'active') throw new LineGone(`the line is ${state ?? 'gone'}`);
  const nowMs = s.deps.nowMs();
  const waitedMs = nowMs - s.sinceMs;
  if (waitedMs < s.deps.verifyTimeoutMs) throw new NotYet(nowMs + nextLookMs(waitedMs), why);
  const reason = `crm_unbound:${s.sessionId}`;
  if (!(await s.deps.store.operatorNotices.told(s.conversation.id, reason))) {
    try {
      const bitrix = s.deps.bitrixFor(s.portalId);
      const id = await bitrix?.call<number | string>(s.portalId, 'im.message.add', { DIALOG_ID: `chat${s.chatId}`, MESSAGE: NOTICE(why), SYSTEM: 'Y' }, { correlation: { conversationId: s.conversation.id, portalId: s.portalId } });
      if (id !== undefined) await s.deps.store.operatorNotices.record(String(id), s.conversation.id, reason);
    } catch (err) {
      s.log.warn({ err }, 'the notice about a CRM binding that failed could not be posted in the line');
    }
  }
  await s.deps.store.crmLinks.update(s.conversation.id, s.sessionId, { state: 'failed' });
  throw new BridgeError(CRM_NOT_BOUND, `the conversation is not bound to a CRM object after ${Math.round(waitedMs / 1000)} s: ${why}`, { retryable: false });
}
