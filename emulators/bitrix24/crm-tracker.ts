/**
 * The Open Lines CRM tracker (spec §6): what the portal does with a client's
 * message once the line's lag has passed (crm-lag.ts schedules it), when the
 * chat's current session has no CRM binding yet and the line has CRM=Y.
 *
 * 1. Find the client: an entity whose IM multifield holds `imol|USER_CODE`,
 *    else by the phone the connector passed in `user.phone`, else by
 *    `user.email` — contacts before leads, the newest first. A converted lead
 *    leads to its contact; a junk lead is passed over.
 * 2. An open lead: a repeat lead ("Повторный лид", IS_RETURN_CUSTOMER=Y) when
 *    repeat leads are on and this is not the chat's first session, else the
 *    dialog continues that lead.
 *    A contact: its open deal takes the dialog when CRM_FORWARD=Y; else what
 *    CRM_CREATE says — a new deal, a repeat lead (unless repeat leads are off),
 *    or (`none`) just the contact.
 *    Nobody: CRM_CREATE `lead` → a lead, `deal` → a contact and a deal, `none` → nothing.
 * 3. The dialog is bound (entity_data_2) and a found lead or contact gets the
 *    IMOL value when it lacks it, so the next session finds it directly.
 * Decisions not in the spec are marked [I] in docs/emulators-bitrix24.md.
 */
import type { Bitrix24Context } from './context.ts';
import { commKey, hasComm } from './crm-duplicates.ts';
import { addCrmEntity, dealStage, isOpenLead, multifieldsOf, updateCrmEntity } from './crm-store.ts';
import { repeatLeadsOn } from './lines.ts';
import type { CrmEntity, LineState, OlChat } from './model.ts';
import type { PortalState } from './portal.ts';

/** A tracker run: the message's chat, line and session, and the client's data as the connector passed it. */
export interface TrackerJob {
  lineId: number;
  chatId: number;
  sessionId: number;
  user: Record<string, unknown>;
}

type Found = { kind: 'lead'; lead: CrmEntity } | { kind: 'contact'; contact: CrmEntity };

export function hasCrmBinding(chat: OlChat): boolean {
  return chat.crm.LEAD > 0 || chat.crm.CONTACT > 0 || chat.crm.DEAL > 0 || chat.crm.COMPANY > 0;
}

const newestFirst = (list: Iterable<CrmEntity>) => [...list].sort((a, b) => Number(b.ID) - Number(a.ID));

function resolve(portal: PortalState, type: 'lead' | 'contact', entity: CrmEntity): Found | null {
  if (type === 'contact') return { kind: 'contact', contact: entity };
  if (isOpenLead(entity)) return { kind: 'lead', lead: entity };
  const contact = entity.STATUS_ID === 'CONVERTED' ? portal.crm.contact.get(Number(entity.CONTACT_ID ?? 0)) : undefined;
  return contact ? { kind: 'contact', contact } : null;
}

function findClient(portal: PortalState, imol: string, user: Record<string, unknown>): Found | null {
  const tests: Array<(e: CrmEntity) => boolean> = [(e) => multifieldsOf(e, 'IM').some((m) => m.VALUE === imol)];
  if (typeof user.phone === 'string' && user.phone !== '') tests.push((e) => hasComm(e, 'PHONE', commKey('PHONE', user.phone as string)));
  if (typeof user.email === 'string' && user.email !== '') tests.push((e) => hasComm(e, 'EMAIL', commKey('EMAIL', user.email as string)));
  for (const test of tests) {
    for (const type of ['contact', 'lead'] as const) {
      for (const entity of newestFirst(portal.crm[type].values())) {
        if (!test(entity)) continue;
        const found = resolve(portal, type, entity);
        if (found) return found;
      }
    }
  }
  return null;
}

/** Creates the entities of one run with the client's data, the IMOL value and the line's source. */
function creator(ctx: Bitrix24Context, portal: PortalState, line: LineState, chat: OlChat, user: Record<string, unknown>) {
  const name = String(user.name ?? '');
  const lastName = String(user.last_name ?? '');
  const title = `${`${name} ${lastName}`.trim() || 'Клиент'} — Открытая линия`;
  // CRM_SOURCE=create: the portal makes a source of its own per line and connector [I].
  const source = `${line.id}|${chat.connectorId.toUpperCase()}`;
  const client = {
    NAME: name, LAST_NAME: lastName, SOURCE_ID: source,
    IM: [{ VALUE_TYPE: 'IMOL', VALUE: `imol|${chat.userCode}` }],
    ...(typeof user.phone === 'string' && user.phone !== '' ? { PHONE: [{ VALUE: user.phone, VALUE_TYPE: 'MOBILE' }] } : {}),
    ...(typeof user.email === 'string' && user.email !== '' ? { EMAIL: [{ VALUE: user.email, VALUE_TYPE: 'WORK' }] } : {}),
  };
  return {
    lead: () => Number(addCrmEntity(ctx, portal, 'lead', { TITLE: title, ...client }).ID),
    repeatLead: (contactId: number) => Number(addCrmEntity(ctx, portal, 'lead', {
      TITLE: title, ...client, IS_RETURN_CUSTOMER: 'Y', ...(contactId ? { CONTACT_ID: String(contactId) } : {}),
    }).ID),
    contact: () => Number(addCrmEntity(ctx, portal, 'contact', client).ID),
    deal: (contactId: number) => Number(addCrmEntity(ctx, portal, 'deal', {
      TITLE: title, CONTACT_ID: String(contactId), SOURCE_ID: source, CATEGORY_ID: '0', STAGE_ID: dealStage('0', 'NEW'),
    }).ID),
  };
}

/** A found lead or contact learns the dialog's IMOL value (an update, with its event) unless it has it. */
function attachImol(ctx: Bitrix24Context, portal: PortalState, type: 'lead' | 'contact', entity: CrmEntity, imol: string): void {
  if (multifieldsOf(entity, 'IM').some((m) => m.VALUE === imol)) return;
  updateCrmEntity(ctx, portal, type, entity, { IM: [{ VALUE_TYPE: 'IMOL', VALUE: imol }] });
}

function openDealOf(portal: PortalState, contactId: string): CrmEntity | undefined {
  return newestFirst(portal.crm.deal.values()).find((d) => String(d.CONTACT_ID ?? '') === contactId && d.CLOSED === 'N');
}

export function runTracker(ctx: Bitrix24Context, portal: PortalState, job: TrackerJob): void {
  const chat = portal.chats.get(job.chatId);
  const line = portal.lines.get(job.lineId);
  // A message of a session that has ended since belongs to no dialog the tracker could bind [I].
  if (!chat || !line || line.crm !== 'Y' || chat.sessionId !== job.sessionId || hasCrmBinding(chat)) return;
  const imol = `imol|${chat.userCode}`;
  const bind = (b: Partial<OlChat['crm']>) => Object.assign(chat.crm, b);
  const make = creator(ctx, portal, line, chat, job.user);
  const found = findClient(portal, imol, job.user);
  if (!found) {
    if (line.crmCreate === 'lead') bind({ LEAD: make.lead() });
    else if (line.crmCreate === 'deal') {
      const contactId = make.contact();
      bind({ CONTACT: contactId, DEAL: make.deal(contactId) });
    }
    return;
  }
  if (found.kind === 'lead') {
    const contactId = portal.crm.contact.has(Number(found.lead.CONTACT_ID ?? 0)) ? Number(found.lead.CONTACT_ID) : 0;
    // CRM_CREATE=none creates nothing, a repeat lead included [I].
    if (repeatLeadsOn(line) && chat.sessionCount > 1 && line.crmCreate !== 'none') {
      bind({ LEAD: make.repeatLead(contactId), CONTACT: contactId });
      return;
    }
    attachImol(ctx, portal, 'lead', found.lead, imol);
    bind({ LEAD: Number(found.lead.ID), CONTACT: contactId });
    return;
  }
  const contact = found.contact;
  const contactId = Number(contact.ID);
  attachImol(ctx, portal, 'contact', contact, imol);
  const openDeal = openDealOf(portal, contact.ID);
  if (openDeal && line.crmForward === 'Y') bind({ CONTACT: contactId, DEAL: Number(openDeal.ID) });
  else if (line.crmCreate === 'deal') bind({ CONTACT: contactId, DEAL: make.deal(contactId) });
  else if (line.crmCreate === 'lead' && repeatLeadsOn(line)) bind({ LEAD: make.repeatLead(contactId), CONTACT: contactId });
  else bind({ CONTACT: contactId });
}
