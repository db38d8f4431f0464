/**
 * The `crm.session` job: the CRM step of one Open Lines session, queued when the line's flush
 * sees a send open a session (line-flush.ts). It runs in the conversation's CRM queue, apart
 * from its messages, so waiting for the line's tracker never delays them; on the portal's
 * resource, so with several processes it runs where the portal's limiter lives.
 *
 * The route's policy decides (src/domain/crm/crm-policy.ts): line → adopt what the line made;
 * lead → keep one lead per client; contact_deal → contact and deal. A bridge-driven route on a
 * line that creates objects itself (someone switched CRM_CREATE back on) adopts the line's
 * object instead of making a duplicate, and says so in the log. Then a timeline comment, then
 * the session's crm_links row is bound — in the job's own "done".
 */
import { CrmCalls } from '../../bitrix24/crm.ts';
import { bridgeCreates } from '../../domain/crm/crm-policy.ts';
import { sourceOfPayload } from '../../domain/crm/payload-source.ts';
import { BridgeError } from '../../domain/errors.ts';
import { lineIdOfLine, portalOfLine } from '../../domain/ids.ts';
import { silentLogger } from '../../log/logger.ts';
import { CRM_SESSION_JOB, parseJobPayload } from '../../queue/job-kinds.ts';
import type { JobHandler } from '../../queue/runner.ts';
import { askForPhone } from './ask-phone.ts';
import { contactAndDeal } from './contact-deal-mode.ts';
import type { CrmDeps, CrmOutcome, CrmSession } from './context.ts';
import { keepLead } from './lead-mode.ts';
import { adoptLineObject } from './line-mode.ts';
import { lineCreatesItself } from './line-settings.ts';
import { ensureRoomForCrm } from './portal-room.ts';
import { recordOnTimeline } from './timeline.ts';
import { LineGone } from './verify-wait.ts';

export function crmSessionHandler(deps: CrmDeps): JobHandler {
  return async (job, ctx) => {
    const { conversationId, chatId, sessionId } = parseJobPayload(CRM_SESSION_JOB, job.payload);
    const conversation = await deps.store.conversations.get(conversationId);
    if (!conversation) return;
    const policy = deps.policyFor(conversation);
    if (policy.mode === 'none') return;
    const portalId = portalOfLine(conversation.lineRef);
    const bitrix = deps.bitrixFor(portalId);
    if (!bitrix) throw new BridgeError('BRG_ERR_NO_PORTAL', `portal ${portalId} is not configured any more`, { retryable: true, retryAfterMs: 60_000 });
    // Before the session's row exists (its wait counts from the first real look), and before each call.
    const room = () => ensureRoomForCrm(deps.store, bitrix, portalId, conversation.lineRef, deps.nowMs);
    await room();
    let link = await deps.store.crmLinks.open({ conversationId, sessionId, portalId, maxUserId: conversation.maxUserId, mode: policy.mode });
    if (link.state === 'bound') return;
    // A replayed dead letter waits afresh.
    if (link.state === 'failed') link = await deps.store.crmLinks.restart(conversationId, sessionId);
    const log = ctx.log ?? deps.log ?? silentLogger();
    const crm = new CrmCalls(bitrix, portalId, {
      conversationId, portalId, maxChatId: conversation.maxChatId, lineRef: conversation.lineRef, jobId: String(job.id),
      ...(conversation.maxUserId ? { maxUserId: conversation.maxUserId } : {}),
    }, room);
    const dialog = await crm.dialog(chatId);
    const s: CrmSession = {
      deps, conversation, policy, portalId, lineId: lineIdOfLine(conversation.lineRef), chatId, sessionId, link, crm,
      imol: `imol|${dialog.userCode}`, clientName: dialog.name,
      source: sourceOfPayload(conversation.startPayload, policy.sourceFromPayload, policy.sources),
      sinceMs: link.createdAtMs, log,
    };
    await askForPhone(s);
    let outcome: CrmOutcome;
    try {
      if (policy.mode === 'line') outcome = await adoptLineObject(s, dialog);
      else if (bridgeCreates(policy.mode) && await lineCreatesItself(s)) outcome = await adoptLineObject(s, dialog);
      else if (policy.mode === 'lead') outcome = await keepLead(s, dialog);
      else outcome = await contactAndDeal(s, dialog);
    } catch (err) {
      if (!(err instanceof LineGone)) throw err;
      log.info({ reason: err.why }, 'the session\'s line is gone; its CRM step ends (the next session binds on the new line)');
      return async (trx) => deps.store.crmLinks.update(conversationId, sessionId, { state: 'failed' }, trx);
    }
    await recordOnTimeline(s, outcome);
    log.info({ mode: policy.mode, how: outcome.how, leadId: outcome.leadId, contactId: outcome.contactId, dealId: outcome.dealId }, 'conversation bound in the CRM');
    return async (trx) => {
      await deps.store.crmLinks.update(conversationId, sessionId, {
        state: 'bound', leadId: outcome.leadId, contactId: outcome.contactId, dealId: outcome.dealId, how: outcome.how,
        sourceJson: s.source ? JSON.stringify({ sourceId: s.source.sourceId, ...s.source.utm }) : null,
      }, trx);
      await deps.hookEvents?.emit({
        type: 'crm.linked', conversationId, key: `crm:${conversationId}:${sessionId}`,
        data: {
          conversation_id: conversationId, portal: portalId, session_id: sessionId, bitrix_chat_id: chatId, mode: policy.mode, how: outcome.how,
          lead_id: outcome.leadId, contact_id: outcome.contactId, deal_id: outcome.dealId, source: s.source ? { source_id: s.source.sourceId, ...s.source.utm } : null,
        },
      }, trx);
    };
  };
}
