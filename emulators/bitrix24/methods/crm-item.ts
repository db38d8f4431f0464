/**
 * crm.item.list (b24restdocs crm-item-list.md; spec §6 "Find the CRM object"):
 * `{entityTypeId: 1 lead | 2 deal | 3 contact | 4 company, select, filter,
 * order, start}` → `result: {items: […]}` with `total` and `next` beside it,
 * 50 a page. Items use the camelCase keys of crm.item.* (`id`, `title`,
 * `stageId`, `assignedById`, `createdTime`, `ufCrm…`, multifields as `fm`);
 * ids are integers, other values as stored. Besides the field filters of
 * crm-query.ts, `imol` matches the IM multifield of type IMOL
 * (`{"=imol": "imol|<USER_CODE>"}`).
 */
import { param, type MethodHandler } from '../context.ts';
import { filterOf, matchesFilter, orderRows, selectOf } from '../crm-query.ts';
import { MULTIFIELDS, multifieldsOf } from '../crm-store.ts';
import { b24Errors } from '../errors.ts';
import type { CrmEntity } from '../model.ts';
import type { CrmType } from '../portal.ts';
import { PAGE_SIZE } from './crm.ts';
import { listPage } from './list-page.ts';

const ENTITY_TYPES: Record<number, CrmType> = { 1: 'lead', 2: 'deal', 3: 'contact', 4: 'company' };

/** Keys crm.item.* names differently from the legacy methods. */
const RENAMED: Record<string, string> = {
  ID: 'id', STATUS_ID: 'stageId', STATUS_SEMANTIC_ID: 'stageSemanticId', DATE_CREATE: 'createdTime', DATE_MODIFY: 'updatedTime',
  CREATED_BY_ID: 'createdBy', MODIFY_BY_ID: 'updatedBy',
};

/** Integer fields of crm.item.* (the legacy methods give them as strings). */
const INTEGERS = new Set(['id', 'assignedById', 'createdBy', 'updatedBy', 'categoryId', 'contactId', 'companyId', 'leadId']);

/**
 * UPPER_SNAKE → camelCase as Bitrix converts it: `ASSIGNED_BY_ID` → `assignedById`,
 * `UF_CRM_2_1639669411830` → `ufCrm2_1639669411830` (an underscore between two digits stays).
 */
export function camelKey(key: string): string {
  if (RENAMED[key]) return RENAMED[key];
  const parts = key.toLowerCase().split('_').filter(Boolean);
  let out = parts[0] ?? '';
  for (const part of parts.slice(1)) {
    out += /\d$/.test(out) && /^\d/.test(part) ? `_${part}` : `${part[0]?.toUpperCase() ?? ''}${part.slice(1)}`;
  }
  return out;
}

function itemView(entity: CrmEntity): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entity)) {
    if ((MULTIFIELDS as readonly string[]).includes(key)) continue;
    const camel = camelKey(key);
    view[camel] = INTEGERS.has(camel) && value !== null && value !== '' && value !== undefined ? Number(value) : value;
  }
  const fm = MULTIFIELDS.flatMap((kind) => multifieldsOf(entity, kind).map((m) => ({ id: Number(m.ID), typeId: m.TYPE_ID, valueType: m.VALUE_TYPE, value: m.VALUE })));
  if (fm.length) view.fm = fm;
  return view;
}

function selected(view: Record<string, unknown>, select: string[] | null): Record<string, unknown> {
  if (!select || select.includes('*')) return view;
  return Object.fromEntries(Object.entries(view).filter(([k]) => k === 'id' || select.includes(k) || (select.includes('uf_*') && k.startsWith('ufCrm'))));
}

const itemList: MethodHandler = (call) => {
  const type = ENTITY_TYPES[Number(param(call.params, 'entityTypeId'))];
  if (!type) throw b24Errors.notFound('Smart process');
  const filter = filterOf(param(call.params, 'filter'));
  const select = selectOf(param(call.params, 'select'));
  const rows = [...call.portal.crm[type].values()].map((entity) => ({
    view: itemView(entity),
    // What the filter sees besides the fields: the IMOL values of the IM multifield.
    probe: { ...itemView(entity), imol: multifieldsOf(entity, 'IM').filter((m) => m.VALUE_TYPE === 'IMOL').map((m) => m.VALUE) },
  }));
  const matching = rows.filter((r) => matchesFilter(r.probe, filter)).map((r) => r.view);
  const page = listPage(orderRows(matching, param(call.params, 'order'), 'id').map((v) => selected(v, select)), Number(param(call.params, 'start') ?? 0), PAGE_SIZE);
  return { ...page, result: { items: page.result } };
};

export const crmItemMethods: Record<string, MethodHandler> = {
  'crm.item.list': itemList,
};
