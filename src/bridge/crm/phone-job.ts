/**
 * The `crm.phone` job: the client shared their own phone (inbound.ts kept it on the
 * conversation) after the session was bound — it goes onto the bound lead or contact when
 * that has no phone yet (never over one an operator typed). A phone shared before the
 * session's CRM step is read by that step itself (lead-mode.ts, contact-deal-mode.ts).
 */
import { CrmCalls, multiValues } from '../../bitrix24/crm.ts';
import { portalOfLine } from '../../domain/ids.ts';
import { CRM_PHONE_JOB, parseJobPayload } from '../../queue/job-kinds.ts';
import type { JobHandler } from '../../queue/runner.ts';
import type { CrmDeps } from './context.ts';
import { ensureRoomForCrm } from './portal-room.ts';

export function crmPhoneHandler(deps: CrmDeps): JobHandler {
  return async (job) => {
    const { conversationId } = parseJobPayload(CRM_PHONE_JOB, job.payload);
    const conversation = await deps.store.conversations.get(conversationId);
    const phone = conversation?.clientPhone;
    if (!conversation || !phone || deps.policyFor(conversation).mode === 'none') return;
    const link = await deps.store.crmLinks.latestOf(conversationId);
    if (!link || link.state !== 'bound') return;
    const portalId = portalOfLine(conversation.lineRef);
    const bitrix = deps.bitrixFor(portalId);
    if (!bitrix) return;
    const crm = new CrmCalls(bitrix, portalId, { conversationId, portalId, jobId: String(job.id) }, () => ensureRoomForCrm(deps.store, bitrix, portalId, conversation.lineRef, deps.nowMs));
    for (const [type, id] of [['lead', link.leadId], ['contact', link.contactId]] as const) {
      if (id === null) continue;
      const current = await crm.get(type, id);
      if (current && multiValues(current, 'PHONE').length === 0) await crm.update(type, id, { PHONE: [{ VALUE: phone, VALUE_TYPE: 'MOBILE' }] });
    }
  };
}
