/**
 * CRM entities as the portal keeps them (spec §6; b24restdocs crm-lead-add,
 * crm-deal-add, crm-lead-update, data-types#crm_multifield): every value a
 * string, the portal's defaults filled in, derived fields kept in step
 * (a lead's STATUS_SEMANTIC_ID, a deal's CLOSED), multifields with ids of
 * their own. Every add and update — by REST, by the CRM tracker or by a
 * conversion — fires ONCRM<TYPE>ADD / ONCRM<TYPE>UPDATE with
 * `data: {FIELDS: {ID}}` to every app bound to it (on-crm-lead-update.md).
 */
import type { Bitrix24Context } from './context.ts';
import type { CrmEntity } from './model.ts';
import type { CrmType, PortalState } from './portal.ts';

export const MULTIFIELDS = ['PHONE', 'EMAIL', 'IM', 'WEB'] as const;
export type MultifieldKind = (typeof MULTIFIELDS)[number];

export interface Multifield {
  ID: string;
  TYPE_ID: MultifieldKind;
  VALUE: string;
  VALUE_TYPE: string;
}

/** Deals have no multifields; a PHONE given to a deal is ignored like any unknown field. */
const HAS_MULTIFIELDS: Record<CrmType, boolean> = { lead: true, contact: true, company: true, deal: false };

/** Fields the portal writes itself: a caller's value is ignored. */
const READ_ONLY = new Set([
  'ID', 'DATE_CREATE', 'DATE_MODIFY', 'CREATED_BY_ID', 'MODIFY_BY_ID', 'STATUS_SEMANTIC_ID', 'STAGE_SEMANTIC_ID', 'CLOSED', 'HAS_PHONE', 'HAS_EMAIL', 'HAS_IMOL',
]);

/** A date as the portal formats it (ISO 8601 with an offset). */
export function b24Date(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function multifieldsOf(entity: CrmEntity, kind: MultifieldKind): Multifield[] {
  const list = entity[kind];
  return Array.isArray(list) ? (list as Multifield[]) : [];
}

/** A lead still being worked: not converted and not junk. */
export function isOpenLead(lead: CrmEntity): boolean {
  return lead.STATUS_ID !== 'CONVERTED' && lead.STATUS_ID !== 'JUNK';
}

/** Multifield items as given: an array, or an object keyed 0,1,… (a form body). */
function itemsOf(value: unknown): Array<Record<string, unknown>> {
  const list = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value) : [];
  return list.filter((v): v is Record<string, unknown> => !!v && typeof v === 'object');
}

/** Scalars become strings, as the portal returns them; null stays null; arrays and objects (UF_ multiple values) stay. */
function portalValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 'Y' : 'N';
  return typeof value === 'object' ? value : String(value);
}

function newMultifield(portal: PortalState, kind: MultifieldKind, item: Record<string, unknown>): Multifield {
  const fallbackType = kind === 'IM' ? 'OTHER' : 'WORK';
  return { ID: String(portal.next('multifield')), TYPE_ID: kind, VALUE: String(item.VALUE ?? ''), VALUE_TYPE: String(item.VALUE_TYPE ?? fallbackType) };
}

/**
 * Update semantics of a multifield (real portal): an item with an ID changes that item,
 * an empty VALUE (or DELETE=Y) removes it, an unknown ID is ignored; an item without an ID
 * is appended. The existing items are never replaced wholesale.
 */
function mergeMultifield(portal: PortalState, kind: MultifieldKind, current: Multifield[], given: Array<Record<string, unknown>>): Multifield[] {
  let out = [...current];
  for (const item of given) {
    const value = item.VALUE === undefined ? undefined : String(item.VALUE);
    if (item.ID === undefined || item.ID === '') {
      if (value) out.push(newMultifield(portal, kind, item));
      continue;
    }
    const at = out.findIndex((m) => m.ID === String(item.ID));
    if (at < 0) continue;
    if (value === '' || item.DELETE === 'Y') {
      out = out.filter((_, i) => i !== at);
      continue;
    }
    const old = out[at] as Multifield;
    out[at] = { ...old, ...(value === undefined ? {} : { VALUE: value }), ...(item.VALUE_TYPE === undefined ? {} : { VALUE_TYPE: String(item.VALUE_TYPE) }) };
  }
  return out;
}

/** Deal stage of a category: `NEW` in the general funnel, `C<n>:NEW` in funnel n. */
export function dealStage(categoryId: string, stage: string): string {
  return categoryId === '0' || categoryId === '' ? stage : `C${categoryId}:${stage}`;
}

/** The fields the portal derives: a lead's STATUS_SEMANTIC_ID, a deal's CLOSED and STAGE_SEMANTIC_ID, HAS_PHONE/HAS_EMAIL/HAS_IMOL. */
function derive(type: CrmType, entity: CrmEntity): void {
  if (HAS_MULTIFIELDS[type]) {
    entity.HAS_PHONE = multifieldsOf(entity, 'PHONE').length ? 'Y' : 'N';
    entity.HAS_EMAIL = multifieldsOf(entity, 'EMAIL').length ? 'Y' : 'N';
    entity.HAS_IMOL = multifieldsOf(entity, 'IM').some((m) => m.VALUE_TYPE === 'IMOL') ? 'Y' : 'N';
  }
  if (type === 'lead') {
    const status = String(entity.STATUS_ID ?? 'NEW');
    entity.STATUS_SEMANTIC_ID = status === 'CONVERTED' ? 'S' : status === 'JUNK' ? 'F' : 'P';
  }
  if (type === 'deal') {
    const stage = String(entity.STAGE_ID ?? 'NEW').replace(/^C\d+:/, '');
    entity.CLOSED = stage === 'WON' || stage === 'LOSE' ? 'Y' : 'N';
    entity.STAGE_SEMANTIC_ID = stage === 'WON' ? 'S' : stage === 'LOSE' ? 'F' : 'P';
  }
}

function defaults(type: CrmType, given: Record<string, unknown>): Record<string, unknown> {
  const common = { ASSIGNED_BY_ID: '1', OPENED: 'Y' };
  if (type === 'lead') return { ...common, STATUS_ID: 'NEW', IS_RETURN_CUSTOMER: 'N' };
  if (type === 'deal') {
    const categoryId = String(given.CATEGORY_ID ?? '0');
    return { ...common, CATEGORY_ID: categoryId, STAGE_ID: dealStage(categoryId, 'NEW') };
  }
  return common;
}

function emit(ctx: Bitrix24Context, portal: PortalState, type: CrmType, action: 'ADD' | 'UPDATE', id: string): void {
  ctx.emitEvent(portal, null, `ONCRM${type.toUpperCase()}${action}`, { FIELDS: { ID: id } });
}

export function addCrmEntity(ctx: Bitrix24Context, portal: PortalState, type: CrmType, fields: Record<string, unknown>): CrmEntity {
  const id = String(portal.next('crm'));
  const now = b24Date(Date.now());
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (READ_ONLY.has(key) || (MULTIFIELDS as readonly string[]).includes(key)) continue;
    given[key] = portalValue(value);
  }
  const entity: CrmEntity = { ...defaults(type, given), ...given, ID: id, DATE_CREATE: now, DATE_MODIFY: now, CREATED_BY_ID: '1', MODIFY_BY_ID: '1' };
  if (HAS_MULTIFIELDS[type]) {
    for (const kind of MULTIFIELDS) {
      if (fields[kind] === undefined) continue;
      entity[kind] = itemsOf(fields[kind]).filter((m) => m.VALUE !== undefined && String(m.VALUE) !== '').map((m) => newMultifield(portal, kind, m));
    }
  }
  derive(type, entity);
  portal.crm[type].set(Number(id), entity);
  emit(ctx, portal, type, 'ADD', id);
  return entity;
}

export function updateCrmEntity(ctx: Bitrix24Context, portal: PortalState, type: CrmType, entity: CrmEntity, fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    if (READ_ONLY.has(key)) continue;
    if ((MULTIFIELDS as readonly string[]).includes(key)) {
      if (!HAS_MULTIFIELDS[type]) continue;
      const kind = key as MultifieldKind;
      entity[kind] = mergeMultifield(portal, kind, multifieldsOf(entity, kind), itemsOf(value));
      continue;
    }
    entity[key] = portalValue(value);
  }
  if (type === 'deal' && fields.CATEGORY_ID !== undefined && fields.STAGE_ID === undefined) {
    entity.STAGE_ID = dealStage(String(entity.CATEGORY_ID), 'NEW');
  }
  derive(type, entity);
  entity.DATE_MODIFY = b24Date(Date.now());
  emit(ctx, portal, type, 'UPDATE', entity.ID);
}
