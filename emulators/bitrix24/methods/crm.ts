/**
 * CRM methods a bridge needs (spec §6): leads, contacts, deals (add/get/list/
 * update), duplicate search by phone/email, timeline comments. List methods
 * page by 50 with `total` and `next`.
 */
import { param, type MethodCall, type MethodHandler } from '../context.ts';
import { addCrmEntity, findByComm } from '../crm-tracker.ts';
import { b24Errors } from '../errors.ts';
import type { CrmType } from '../portal.ts';
import { listPage } from './list-page.ts';

const PAGE_SIZE = 50;

function fieldsOf(call: MethodCall, lowercaseOnly = false): Record<string, unknown> {
  const fields = lowercaseOnly ? call.params.fields : param(call.params, 'fields');
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) throw b24Errors.argument('fields');
  return fields as Record<string, unknown>;
}

function idOf(call: MethodCall): number {
  const id = Number(param(call.params, 'id'));
  if (!Number.isInteger(id) || id <= 0) throw b24Errors.argument('ID');
  return id;
}

function matches(entity: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([key, value]) => {
    const field = key.replace(/^[=!<>%]+/, '');
    return String(entity[field] ?? '') === String(value);
  });
}

function crudFor(type: CrmType): Record<string, MethodHandler> {
  const name = `crm.${type}`;
  return {
    [`${name}.add`]: (call) => Number(addCrmEntity(call.portal, type, fieldsOf(call)).ID),
    [`${name}.get`]: (call) => {
      const entity = call.portal.crm[type].get(idOf(call));
      if (!entity) throw b24Errors.notFound(`${type[0]?.toUpperCase()}${type.slice(1)}`);
      return entity;
    },
    [`${name}.update`]: (call) => {
      const entity = call.portal.crm[type].get(idOf(call));
      if (!entity) throw b24Errors.notFound(`${type[0]?.toUpperCase()}${type.slice(1)}`);
      Object.assign(entity, fieldsOf(call), { ID: entity.ID });
      return true;
    },
    [`${name}.list`]: (call) => {
      const filter = (param(call.params, 'filter') ?? {}) as Record<string, unknown>;
      const all = [...call.portal.crm[type].values()].filter((e) => matches(e, filter));
      return listPage(all, Number(param(call.params, 'start') ?? 0), PAGE_SIZE);
    },
  };
}

const findByCommMethod: MethodHandler = (call) => {
  const kind = String(param(call.params, 'type') ?? '').toUpperCase();
  if (kind !== 'PHONE' && kind !== 'EMAIL') throw b24Errors.invalidArgument("Parameter 'type' must be PHONE or EMAIL");
  const values = param(call.params, 'values');
  const list = Array.isArray(values) ? values.map(String) : values && typeof values === 'object' ? Object.values(values).map(String) : [];
  if (list.length === 0) throw b24Errors.argument('values');
  if (list.length > 20) throw b24Errors.invalidArgument('Too many values: at most 20');
  const only = String(param(call.params, 'entity_type') ?? '').toLowerCase();
  const types: CrmType[] = only ? [only as CrmType] : ['lead', 'contact', 'company'];
  const found = findByComm(call.portal, kind, list, types);
  // Nothing found → an empty PHP array (spec §6).
  return Object.keys(found).length ? found : [];
};

const timelineCommentAdd: MethodHandler = (call) => {
  // The key must be lowercase `fields` (crm ≥ 23.100.0).
  const fields = fieldsOf(call, true);
  for (const key of ['ENTITY_ID', 'ENTITY_TYPE', 'COMMENT']) if (!fields[key]) throw b24Errors.argument(key);
  const id = call.portal.next('timeline');
  call.portal.timeline.push({ id, ENTITY_ID: Number(fields.ENTITY_ID), ENTITY_TYPE: String(fields.ENTITY_TYPE), COMMENT: String(fields.COMMENT) });
  return id;
};

export const crmMethods: Record<string, MethodHandler> = {
  ...crudFor('lead'),
  ...crudFor('contact'),
  ...crudFor('deal'),
  'crm.duplicate.findbycomm': findByCommMethod,
  'crm.timeline.comment.add': timelineCommentAdd,
};
