/**
 * A lead the bridge bound was converted (ONCRMLEADUPDATE, status CONVERTED): converting drops
 * the lead's custom fields, so the client's identity (the IM values the line finds them by)
 * and the source (UTM fields, SOURCE_DESCRIPTION) are carried to the contact and the deal
 * the conversion made — only into fields that are empty there. The sessions bound to the
 * lead learn the contact and the deal (the client's next session finds them).
 * Events about leads the bridge never bound are ignored.
 */
import { CrmCalls, multiValues, type CrmFields } from '../../bitrix24/crm.ts';
import { UTM_FIELDS } from '../../domain/crm/crm-policy.ts';
import { parseConversationId } from '../../domain/ids.ts';
import type { CrmDeps } from './context.ts';

/** The lead id an ONCRMLEADUPDATE is about (`data[FIELDS][ID]`), or null. */
export function leadIdOfEvent(data: unknown): number | null {
  const fields = typeof data === 'object' && data !== null ? (data as { FIELDS?: { ID?: unknown } }).FIELDS : undefined;
  const id = Number(fields?.ID);
  return Number.isInteger(id) && id > 0 ? id : null;
}

function carried(lead: CrmFields, target: CrmFields, withIdentity: boolean): CrmFields {
  const patch: CrmFields = {};
  if (withIdentity) {
    const have = new Set(multiValues(target, 'IM').map((v) => v.VALUE));
    const im = multiValues(lead, 'IM').filter((v) => !have.has(v.VALUE)).map((v) => ({ VALUE: v.VALUE, VALUE_TYPE: v.VALUE_TYPE }));
    if (im.length > 0) patch.IM = im;
    if (multiValues(target, 'PHONE').length === 0) {
      const phones = multiValues(lead, 'PHONE').map((v) => ({ VALUE: v.VALUE, VALUE_TYPE: v.VALUE_TYPE }));
      if (phones.length > 0) patch.PHONE = phones;
    }
  }
  for (const f of [...UTM_FIELDS, 'SOURCE_DESCRIPTION']) {
    if ((target[f] === undefined || target[f] === null || target[f] === '') && lead[f]) patch[f] = lead[f];
  }
  return patch;
}

export async function carryConvertedLead(deps: CrmDeps, portalId: string, data: unknown): Promise<void> {
  const leadId = leadIdOfEvent(data);
  if (leadId === null) return;
  const links = await deps.store.crmLinks.ofLead(portalId, leadId);
  const first = links[0];
  const bitrix = deps.bitrixFor(portalId);
  if (!first || !bitrix) return;
  const conversationId = parseConversationId(first.conversationId);
  const crm = new CrmCalls(bitrix, portalId, { portalId, ...(conversationId ? { conversationId } : {}) });
  const lead = await crm.get('lead', leadId);
  if (!lead || String(lead.STATUS_ID) !== 'CONVERTED') return;
  const contactId = Number(lead.CONTACT_ID) > 0 ? Number(lead.CONTACT_ID) : null;
  const dealId = Number((await crm.list('deal', { LEAD_ID: leadId }))[0]?.ID) || null;
  if (contactId !== null) {
    const contact = await crm.get('contact', contactId);
    const patch = contact ? carried(lead, contact, true) : {};
    if (Object.keys(patch).length > 0) await crm.update('contact', contactId, patch);
  }
  if (dealId !== null) {
    const deal = await crm.get('deal', dealId);
    const patch = deal ? carried(lead, deal, false) : {};
    if (Object.keys(patch).length > 0) await crm.update('deal', dealId, patch);
  }
  for (const link of links) {
    await deps.store.crmLinks.update(link.conversationId, link.sessionId, { contactId: contactId ?? link.contactId, dealId: dealId ?? link.dealId });
  }
  deps.log?.info({ portalId, leadId, contactId, dealId }, 'a converted lead\'s identity and source carried to its contact and deal');
}
