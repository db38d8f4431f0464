/**
 * `crm.mode: contact_deal`: the client's contact found (the dialog's binding, earlier sessions,
 * what the bridge made for this MAX user, the IM value, the phone) or created; then the
 * contact's open deal in the configured pipeline takes the conversation (its responsible
 * person is told), or a new deal opens in that pipeline and stage. Each creation carries an
 * ORIGIN_ID (the MAX user for the contact, the session for the deal) that a retried job finds.
 */
import { BRIDGE_ORIGINATOR, type OpenLinesDialog } from '../../bitrix24/crm.ts';
import { clientOrigin, sessionOrigin, uniqueIds, type CrmOutcome, type CrmSession } from './context.ts';
import { confirmImol } from './confirm.ts';
import { enrich, newObjectFields } from './enrich.ts';
import { attachToOpenDeal } from './open-deal.ts';
import { waitOrGiveUp } from './verify-wait.ts';

async function findContact(s: CrmSession, dialog: OpenLinesDialog): Promise<number | null> {
  const earlier = s.conversation.maxUserId ? await s.deps.store.crmLinks.ofClient(s.portalId, s.conversation.maxUserId) : [];
  const made = await s.crm.madeBy('contact', clientOrigin(s));
  const first = uniqueIds([dialog.bindings.CONTACT, ...earlier.map((l) => l.contactId), ...made, ...(await s.crm.byImol('contact', s.imol))]);
  for (const id of first) if (await enrich(s, 'contact', id)) return id;
  if (s.conversation.clientPhone) {
    for (const id of (await s.crm.findByPhone(s.conversation.clientPhone, 'CONTACT')).CONTACT ?? []) if (await enrich(s, 'contact', id)) return id;
  }
  return null;
}

export async function contactAndDeal(s: CrmSession, dialog: OpenLinesDialog): Promise<CrmOutcome> {
  let contactId = await findContact(s, dialog);
  if (contactId === null) {
    contactId = await s.crm.add('contact', {
      NAME: s.clientName || 'Клиент', OPENED: 'Y', ...newObjectFields(s, 'contact'),
      // The contact's source is the client's first; UTM fields go on the deal.
      ORIGINATOR_ID: BRIDGE_ORIGINATOR, ORIGIN_ID: clientOrigin(s),
    });
  }
  const { categoryId, stageId } = s.policy.deal;
  const made = await s.crm.madeBy('deal', sessionOrigin(s));
  let dealId: number | null = made[0] ?? null;
  let how: CrmOutcome['how'] = 'created';
  if (dealId === null) {
    dealId = await attachToOpenDeal(s, contactId, categoryId);
    if (dealId !== null) {
      how = 'attached';
      await enrich(s, 'deal', dealId);
    }
  }
  if (dealId === null) {
    dealId = await s.crm.add('deal', {
      TITLE: `${s.clientName || 'Клиент'} — MAX`, CONTACT_ID: contactId, CATEGORY_ID: categoryId, STAGE_ID: stageId, OPENED: 'Y',
      ...newObjectFields(s, 'deal'), ORIGINATOR_ID: BRIDGE_ORIGINATOR, ORIGIN_ID: sessionOrigin(s),
    });
  }
  const deal = await s.crm.get('deal', dealId);
  if (!deal || Number(deal.CONTACT_ID) !== contactId) await waitOrGiveUp(s, `deal ${dealId} is not the contact's ${contactId}`);
  await confirmImol(s, 'contact', contactId, dialog.bindings.CONTACT);
  return { leadId: null, contactId, dealId, how, main: { type: 'deal', id: dealId } };
}
