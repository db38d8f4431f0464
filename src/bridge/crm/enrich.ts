/**
 * What the bridge writes onto a CRM object it made, continued or found: the client's identity
 * (the IM value `imol|<USER_CODE>` the line finds the client by, and the MAX user id), the
 * conversation's source, and the client's phone — each only where the field is empty, so
 * nothing an operator typed is overwritten. A mapped SOURCE_ID (`crm.sources`) is the one
 * exception: the integrator named it on purpose. Writing the same again changes nothing, so
 * a retried step is harmless.
 */
import { multiValues, type CrmEntityType, type CrmFields } from '../../bitrix24/crm.ts';
import { UTM_FIELDS } from '../../domain/crm/crm-policy.ts';
import { phoneKey } from '../../domain/crm/client-phone.ts';
import type { CrmSession } from './context.ts';

function empty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * The identity values a client's object carries (IM): `imol|<USER_CODE>`, the value the line
 * itself writes and finds the client by. The USER_CODE ends with the MAX user id
 * (`connector|line|<bot>:<chat>|<MAX user id>`), so this is also the MAX user id on the object.
 */
export function identityValues(s: Pick<CrmSession, 'imol'>): Array<{ VALUE: string; VALUE_TYPE: string }> {
  return [{ VALUE: s.imol, VALUE_TYPE: 'IMOL' }];
}

/** Fields for a new object: identity, source, phone (deals carry no multifields). */
export function newObjectFields(s: CrmSession, type: CrmEntityType): CrmFields {
  const fields: CrmFields = {};
  if (type !== 'deal') {
    fields.IM = identityValues(s);
    if (s.conversation.clientPhone) fields.PHONE = [{ VALUE: s.conversation.clientPhone, VALUE_TYPE: 'MOBILE' }];
  }
  if (s.source?.sourceId) fields.SOURCE_ID = s.source.sourceId;
  if (s.source) {
    fields.SOURCE_DESCRIPTION = `MAX: ${s.source.payload}`.slice(0, 255);
    for (const f of UTM_FIELDS) if (s.source.utm[f]) fields[f] = s.source.utm[f];
  }
  return fields;
}

/** The change that brings an existing object up to date (empty when it is). */
export function missingFields(s: CrmSession, type: CrmEntityType, current: CrmFields): CrmFields {
  const patch: CrmFields = {};
  if (type !== 'deal') {
    const have = new Set(multiValues(current, 'IM').map((v) => v.VALUE));
    const add = identityValues(s).filter((v) => !have.has(v.VALUE));
    if (add.length > 0) patch.IM = add;
    const phone = s.conversation.clientPhone;
    if (phone && multiValues(current, 'PHONE').length === 0) patch.PHONE = [{ VALUE: phone, VALUE_TYPE: 'MOBILE' }];
  }
  if (s.source) {
    if (s.source.sourceId && current.SOURCE_ID !== s.source.sourceId) patch.SOURCE_ID = s.source.sourceId;
    if (empty(current.SOURCE_DESCRIPTION)) patch.SOURCE_DESCRIPTION = `MAX: ${s.source.payload}`.slice(0, 255);
    for (const f of UTM_FIELDS) if (s.source.utm[f] && empty(current[f])) patch[f] = s.source.utm[f];
  }
  return patch;
}

/** Brings the object up to date; returns its fields (null: it is gone). */
export async function enrich(s: CrmSession, type: CrmEntityType, id: number): Promise<CrmFields | null> {
  const current = await s.crm.get(type, id);
  if (!current) return null;
  const patch = missingFields(s, type, current);
  if (Object.keys(patch).length > 0) await s.crm.update(type, id, patch);
  return current;
}

/** Whether a phone is already one of the object's phones. */
export function hasPhone(fields: CrmFields, phone: string): boolean {
  return multiValues(fields, 'PHONE').some((v) => phoneKey(v.VALUE) === phoneKey(phone));
}
