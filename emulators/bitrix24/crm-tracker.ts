/**
 * The Open Lines CRM tracker (spec §6): on an incoming connector message, with
 * line setting CRM=Y, find the client by phone/email (or the IMOL value) and
 * otherwise create what CRM_CREATE says: a lead, or a contact + deal.
 * The entity gets an IM multifield `VALUE_TYPE: IMOL`, `VALUE: imol|USER_CODE`.
 */
import type { CrmEntity, LineState, OlChat } from './model.ts';
import type { CrmType, PortalState } from './portal.ts';

export function normalizePhone(value: string): string {
  return value.replace(/\D/g, '').slice(-10);
}

export function findByComm(portal: PortalState, kind: 'PHONE' | 'EMAIL', values: string[], types: CrmType[]): Partial<Record<string, number[]>> {
  const wanted = new Set(values.map((v) => (kind === 'PHONE' ? normalizePhone(v) : v.toLowerCase())));
  const out: Partial<Record<string, number[]>> = {};
  for (const type of types) {
    for (const entity of portal.crm[type].values()) {
      const multi = (entity[kind] as Array<{ VALUE: string }> | undefined) ?? [];
      const hit = multi.some((m) => wanted.has(kind === 'PHONE' ? normalizePhone(String(m.VALUE)) : String(m.VALUE).toLowerCase()));
      if (hit) (out[type.toUpperCase()] ??= []).push(Number(entity.ID));
    }
  }
  return out;
}

export function addCrmEntity(portal: PortalState, type: CrmType, fields: Record<string, unknown>): CrmEntity {
  const id = portal.next('crm');
  const entity: CrmEntity = { ...fields, ID: String(id), DATE_CREATE: new Date().toISOString() };
  for (const multi of ['PHONE', 'EMAIL', 'IM', 'WEB']) {
    const list = entity[multi];
    if (Array.isArray(list)) {
      entity[multi] = list.map((m: Record<string, unknown>, i: number) => ({ ID: String(id * 10 + i), TYPE_ID: multi, ...m }));
    }
  }
  portal.crm[type].set(id, entity);
  return entity;
}

export function trackCrm(portal: PortalState, line: LineState, chat: OlChat, disableCrm: boolean): void {
  if (line.crm !== 'Y' || disableCrm || chat.crm.LEAD || chat.crm.CONTACT || chat.crm.DEAL) return;
  const user = chat.externalUser;
  const phone = typeof user.phone === 'string' ? user.phone : null;
  if (phone) {
    const found = findByComm(portal, 'PHONE', [phone], ['contact', 'lead']);
    if (found.CONTACT?.[0]) chat.crm.CONTACT = found.CONTACT[0];
    else if (found.LEAD?.[0]) chat.crm.LEAD = found.LEAD[0];
    if (chat.crm.CONTACT || chat.crm.LEAD) return;
  }
  const name = String(user.name ?? '');
  const lastName = String(user.last_name ?? '');
  const im = [{ VALUE_TYPE: 'IMOL', VALUE: `imol|${chat.userCode}` }];
  const phones = phone ? [{ VALUE: phone, VALUE_TYPE: 'MOBILE' }] : [];
  const title = `${name} ${lastName}`.trim() || 'Клиент';
  if (line.crmCreate === 'lead') {
    chat.crm.LEAD = Number(addCrmEntity(portal, 'lead', { TITLE: `${title} — Открытая линия`, NAME: name, LAST_NAME: lastName, IM: im, PHONE: phones, SOURCE_ID: 'OPENLINE' }).ID);
  } else if (line.crmCreate === 'deal') {
    chat.crm.CONTACT = Number(addCrmEntity(portal, 'contact', { NAME: name, LAST_NAME: lastName, IM: im, PHONE: phones, SOURCE_ID: 'OPENLINE' }).ID);
    chat.crm.DEAL = Number(addCrmEntity(portal, 'deal', { TITLE: `${title} — Открытая линия`, CONTACT_ID: String(chat.crm.CONTACT), SOURCE_ID: 'OPENLINE' }).ID);
  }
}
