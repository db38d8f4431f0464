/**
 * `crm.mode: lead`: one lead per client, continued (not repeated) on return while it is open.
 * The open lead is looked for in this order: what this session made already (ORIGIN_ID: a
 * retried job finds its first attempt's lead), the dialog's binding, the client's earlier
 * sessions (crm_links), the IM value the line finds the client by, the client's phone. A
 * client whose lead was converted meanwhile is a contact now: their open deal takes the
 * conversation (its responsible person is told); else a new lead, bound to that contact.
 */
import { BRIDGE_ORIGINATOR, isOpenLead, type OpenLinesDialog } from '../../bitrix24/crm.ts';
import type { CrmOutcome, CrmSession } from './context.ts';
import { sessionOrigin, uniqueIds } from './context.ts';
import { attachToOpenDeal } from './open-deal.ts';
import { enrich, newObjectFields } from './enrich.ts';
import { confirmImol } from './confirm.ts';

export async function keepLead(s: CrmSession, dialog: OpenLinesDialog): Promise<CrmOutcome> {
  const made = await s.crm.madeBy('lead', sessionOrigin(s));
  const earlier = s.conversation.maxUserId ? await s.deps.store.crmLinks.ofClient(s.portalId, s.conversation.maxUserId) : [];
  const byPhone = s.conversation.clientPhone ? await s.crm.findByPhone(s.conversation.clientPhone) : {};
  const candidates = uniqueIds([dialog.bindings.LEAD, ...earlier.map((l) => l.leadId), ...(await s.crm.byImol('lead', s.imol)), ...(byPhone.LEAD ?? [])]);
  let contactId: number | null = dialog.bindings.CONTACT || earlier.find((l) => l.contactId)?.contactId || byPhone.CONTACT?.[0] || null;
  let leadId: number | null = made[0] ?? null;
  let how: CrmOutcome['how'] = 'created';
  if (leadId === null) {
    for (const id of candidates) {
      const lead = await s.crm.get('lead', id);
      if (!lead) continue;
      if (isOpenLead(lead)) {
        leadId = id;
        how = 'continued';
        break;
      }
      // A converted lead names the contact the client became.
      if (!contactId && Number(lead.CONTACT_ID) > 0) contactId = Number(lead.CONTACT_ID);
    }
  }
  if (leadId === null && contactId !== null) {
    const deal = await attachToOpenDeal(s, contactId, null);
    if (deal) {
      await enrich(s, 'contact', contactId);
      return { leadId: null, contactId, dealId: deal, how: 'attached', main: { type: 'deal', id: deal } };
    }
  }
  if (leadId === null) {
    const name = s.clientName || 'Клиент';
    leadId = await s.crm.add('lead', {
      TITLE: `${name} — MAX`, NAME: s.clientName || undefined, OPENED: 'Y', ...newObjectFields(s, 'lead'),
      ...(contactId ? { CONTACT_ID: contactId } : {}),
      ORIGINATOR_ID: BRIDGE_ORIGINATOR, ORIGIN_ID: sessionOrigin(s),
    });
    how = 'created';
  } else {
    await enrich(s, 'lead', leadId);
  }
  await confirmImol(s, 'lead', leadId, dialog.bindings.LEAD);
  return { leadId, contactId, dealId: null, how, main: { type: 'lead', id: leadId } };
}
