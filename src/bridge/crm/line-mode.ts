/**
 * `crm.mode: line` (and a bridge-driven route on a line that creates objects itself): the
 * Open Line's CRM tracker makes or finds the object, seconds after the message; the bridge
 * waits for the dialog's binding (`imopenlines.dialog.get` → `entity_data_2`), then writes
 * the identity and the source onto what the line bound. It never creates anything.
 */
import { isBound } from '../../domain/crm/crm-bindings.ts';
import type { OpenLinesDialog } from '../../bitrix24/crm.ts';
import type { CrmOutcome, CrmSession } from './context.ts';
import { enrich } from './enrich.ts';
import { waitOrGiveUp } from './verify-wait.ts';

export async function adoptLineObject(s: CrmSession, dialog: OpenLinesDialog): Promise<CrmOutcome> {
  const b = dialog.bindings;
  if (!isBound(b)) return waitOrGiveUp(s, 'Open Lines has not bound the dialog to a lead, contact or deal yet');
  // Nothing to write (no source, no phone): the line's own binding is the confirmation, and the
  // portal's requests are spared (the line wrote the IMOL value itself).
  if (!s.source && !s.conversation.clientPhone) return outcomeOf(b.LEAD || null, b.CONTACT || null, b.DEAL || null);
  const lead = b.LEAD > 0 ? await enrich(s, 'lead', b.LEAD) : null;
  const contact = b.CONTACT > 0 ? await enrich(s, 'contact', b.CONTACT) : null;
  const deal = b.DEAL > 0 ? await enrich(s, 'deal', b.DEAL) : null;
  // A binding to an object deleted since is no binding: the line binds again at the next message.
  if (!lead && !contact && !deal) return waitOrGiveUp(s, 'the CRM object the dialog is bound to no longer exists');
  return outcomeOf(lead ? b.LEAD : null, contact ? b.CONTACT : null, deal ? b.DEAL : null);
}

/** What the line bound; the timeline comment goes on the deal, else the lead, else the contact. */
function outcomeOf(leadId: number | null, contactId: number | null, dealId: number | null): CrmOutcome {
  const main = dealId ? { type: 'deal' as const, id: dealId } : leadId ? { type: 'lead' as const, id: leadId } : { type: 'contact' as const, id: contactId ?? 0 };
  return { leadId, contactId, dealId, how: 'line', main };
}
