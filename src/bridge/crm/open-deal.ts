/**
 * A returning client with an open deal: the conversation attaches to that deal and the deal's
 * responsible person is told (`im.notify.system.add`, tagged per session so a retried step
 * replaces its own notification instead of sending a second).
 */
import type { CrmSession } from './context.ts';

/** The open deal of `contactId` (in `categoryId` when given) the conversation now belongs to, or null. */
export async function attachToOpenDeal(s: CrmSession, contactId: number, categoryId: number | null): Promise<number | null> {
  const filter: Record<string, unknown> = { CONTACT_ID: contactId, CLOSED: 'N' };
  if (categoryId !== null) filter.CATEGORY_ID = categoryId;
  const open = await s.crm.list('deal', filter, ['ID', 'TITLE', 'ASSIGNED_BY_ID']);
  const deal = open.at(-1);
  if (!deal) return null;
  const id = Number(deal.ID);
  const responsible = Number(deal.ASSIGNED_BY_ID);
  if (responsible > 0) {
    const title = String(deal.TITLE ?? `#${id}`);
    await s.crm.notify(responsible,
      `Клиент из MAX снова написал по сделке [URL=/crm/deal/details/${id}/]${title}[/URL] — диалог в Открытой линии. / A MAX client wrote again about this deal.`,
      `max-bridge|${s.conversation.id}|${s.sessionId}`);
  }
  return id;
}
