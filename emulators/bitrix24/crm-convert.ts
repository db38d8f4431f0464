/**
 * Lead conversion as an operator does it in the portal's UI (the control API
 * triggers it). The contact gets the lead's NAME, LAST_NAME, SECOND_NAME,
 * PHONE, EMAIL, SOURCE_ID and ASSIGNED_BY_ID — not its IM (the dialog's IMOL
 * value), UTM_* or UF_* fields: the loss integrators report as "converting a
 * lead to a contact drops custom fields" [I]. Optionally a deal (TITLE,
 * CONTACT_ID, LEAD_ID, CATEGORY_ID, the category's NEW stage, SOURCE_ID — no
 * UTM). The lead becomes CONVERTED with the CONTACT_ID; dialogs bound to the
 * lead get the contact (and deal) too. Events: ONCRMCONTACTADD,
 * ONCRMDEALADD, ONCRMLEADUPDATE, in that order.
 */
import type { Bitrix24Context } from './context.ts';
import { addCrmEntity, dealStage, isOpenLead, multifieldsOf, updateCrmEntity } from './crm-store.ts';
import type { PortalState } from './portal.ts';

export interface ConvertOptions {
  /** Create a deal too (default true). */
  deal: boolean;
  categoryId: number;
}

export type ConvertResult = { contactId: number; dealId: number | null } | { refused: string };

const COPIED = ['NAME', 'LAST_NAME', 'SECOND_NAME', 'SOURCE_ID', 'ASSIGNED_BY_ID'] as const;

export function convertLead(ctx: Bitrix24Context, portal: PortalState, leadId: number, options: ConvertOptions): ConvertResult {
  const lead = portal.crm.lead.get(leadId);
  if (!lead) return { refused: 'lead not found' };
  if (!isOpenLead(lead)) return { refused: `lead is ${String(lead.STATUS_ID)}` };
  const copy = (kind: 'PHONE' | 'EMAIL') => multifieldsOf(lead, kind).map((m) => ({ VALUE: m.VALUE, VALUE_TYPE: m.VALUE_TYPE }));
  const contactFields: Record<string, unknown> = { LEAD_ID: lead.ID, PHONE: copy('PHONE'), EMAIL: copy('EMAIL') };
  for (const key of COPIED) if (lead[key] !== undefined && lead[key] !== null) contactFields[key] = lead[key];
  const contactId = Number(addCrmEntity(ctx, portal, 'contact', contactFields).ID);
  let dealId: number | null = null;
  if (options.deal) {
    const categoryId = String(options.categoryId);
    dealId = Number(addCrmEntity(ctx, portal, 'deal', {
      TITLE: lead.TITLE ?? '', CONTACT_ID: String(contactId), LEAD_ID: lead.ID, CATEGORY_ID: categoryId,
      STAGE_ID: dealStage(categoryId, 'NEW'), ...(lead.SOURCE_ID ? { SOURCE_ID: lead.SOURCE_ID } : {}),
    }).ID);
  }
  updateCrmEntity(ctx, portal, 'lead', lead, { STATUS_ID: 'CONVERTED', CONTACT_ID: String(contactId) });
  for (const chat of portal.chats.values()) {
    if (chat.crm.LEAD !== leadId) continue;
    chat.crm.CONTACT = contactId;
    if (dealId !== null) chat.crm.DEAL = dealId;
  }
  return { contactId, dealId };
}
