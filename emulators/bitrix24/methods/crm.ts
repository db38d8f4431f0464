/**
 * CRM methods a bridge needs (spec §6): leads, contacts, deals
 * (add/get/list/update, crm-store.ts keeps them and fires the ONCRM* events),
 * duplicate search by phone/e-mail, timeline comments (add/list). List
 * methods page by 50 with `total` and `next`; filters as in crm-query.ts.
 */
import { param, type MethodCall, type MethodHandler } from '../context.ts';
import { findByComm } from '../crm-duplicates.ts';
import { filterOf, matchesFilter, orderRows, selectOf } from '../crm-query.ts';
import { addCrmEntity, b24Date, MULTIFIELDS, updateCrmEntity } from '../crm-store.ts';
import { B24Error, b24Errors } from '../errors.ts';
import type { CrmEntity } from '../model.ts';
import type { CrmType } from '../portal.ts';
import { listPage } from './list-page.ts';

export const PAGE_SIZE = 50;

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

const titleOf = (type: CrmType) => `${type[0]?.toUpperCase()}${type.slice(1)}`;

/**
 * A lead's IS_RETURN_CUSTOMER cannot be set by a caller; it becomes Y when a CONTACT_ID or
 * COMPANY_ID is given (crm-lead-update.md [D]; the same on add [I]).
 */
function leadFields(fields: Record<string, unknown>): Record<string, unknown> {
  const { IS_RETURN_CUSTOMER: _ignored, ...rest } = fields;
  const linked = [rest.CONTACT_ID, rest.COMPANY_ID].some((v) => v !== undefined && v !== null && v !== '' && String(v) !== '0');
  return linked ? { ...rest, IS_RETURN_CUSTOMER: 'Y' } : rest;
}

/**
 * `select` of the legacy list methods: none or `*` → every field but the multifields and UF_*;
 * `UF_*` adds the user fields; multifields only when named. ID always.
 */
function selectLegacy(entity: CrmEntity, select: string[] | null): Record<string, unknown> {
  const wanted = select ?? ['*'];
  const out: Record<string, unknown> = { ID: entity.ID };
  for (const [key, value] of Object.entries(entity)) {
    const isMulti = (MULTIFIELDS as readonly string[]).includes(key);
    const isUf = key.startsWith('UF_');
    if (wanted.includes(key) || (wanted.includes('*') && !isMulti && !isUf) || (wanted.includes('UF_*') && isUf)) out[key] = value;
  }
  return out;
}

function crudFor(type: CrmType): Record<string, MethodHandler> {
  const name = `crm.${type}`;
  const given = (call: MethodCall) => (type === 'lead' ? leadFields(fieldsOf(call)) : fieldsOf(call));
  const existing = (call: MethodCall) => {
    const entity = call.portal.crm[type].get(idOf(call));
    if (!entity) throw b24Errors.notFound(titleOf(type));
    return entity;
  };
  return {
    [`${name}.add`]: (call) => Number(addCrmEntity(call.ctx, call.portal, type, given(call)).ID),
    [`${name}.get`]: (call) => existing(call),
    [`${name}.update`]: (call) => {
      const entity = existing(call);
      updateCrmEntity(call.ctx, call.portal, type, entity, given(call));
      return true;
    },
    [`${name}.list`]: (call) => {
      const filter = filterOf(param(call.params, 'filter'));
      const select = selectOf(param(call.params, 'select'));
      const all = orderRows([...call.portal.crm[type].values()].filter((e) => matchesFilter(e, filter)), param(call.params, 'order'), 'ID');
      return listPage(all.map((e) => selectLegacy(e, select)), Number(param(call.params, 'start') ?? 0), PAGE_SIZE);
    },
  };
}

/**
 * Errors as crm-duplicate-find-by-comm.md shows them: the text is the code (Bitrix core
 * throws RestException without a code; the page documents these pairs [D]).
 */
const commError = (code: string, description: string) => new B24Error(400, code, description);

const findByCommMethod: MethodHandler = (call) => {
  const kind = String(param(call.params, 'type') ?? '').toUpperCase();
  if (kind === '') throw commError('Communication type is not defined', "Parameter 'type' is required.");
  if (kind !== 'PHONE' && kind !== 'EMAIL') throw commError(`Communication type '${kind}' is not supported in current context`, "Parameter 'type' must be PHONE or EMAIL.");
  const values = param(call.params, 'values');
  const list = Array.isArray(values) ? values : values && typeof values === 'object' ? Object.values(values) : [];
  if (list.length === 0) throw commError('Communication values is not defined', "Parameter 'values' is required.");
  const only = String(param(call.params, 'entity_type') ?? '').toUpperCase();
  if (only === 'DEAL') throw commError('Deal is not supported in current context', 'Deal is not supported in current context.');
  const type = only === 'LEAD' ? 'lead' : only === 'CONTACT' ? 'contact' : only === 'COMPANY' ? 'company' : null;
  const found = findByComm(call.portal, kind, list, type);
  // Nothing found → an empty PHP array (spec §6).
  return Object.keys(found).length ? found : [];
};

const timelineCommentAdd: MethodHandler = (call) => {
  // The key must be lowercase `fields` (crm ≥ 23.100.0).
  const fields = fieldsOf(call, true);
  for (const key of ['ENTITY_ID', 'ENTITY_TYPE', 'COMMENT']) if (!fields[key]) throw b24Errors.argument(key);
  const files = Array.isArray(fields.FILES) ? fields.FILES : fields.FILES && typeof fields.FILES === 'object' ? Object.values(fields.FILES) : [];
  const id = call.portal.next('timeline');
  call.portal.timeline.push({
    id, ENTITY_ID: Number(fields.ENTITY_ID), ENTITY_TYPE: String(fields.ENTITY_TYPE).toLowerCase(), COMMENT: String(fields.COMMENT),
    AUTHOR_ID: call.auth.userId, createdMs: Date.now(), files: files.map((f) => String(Array.isArray(f) ? f[0] : (f as Record<string, unknown>)?.[0] ?? 'file')),
  });
  return id;
};

/**
 * crm.timeline.comment.list (crm-timeline-comment-list.md): `filter` must name ENTITY_ID and
 * ENTITY_TYPE; `order` by ID, CREATED or AUTHOR_ID; `select` narrows the fields (ID always).
 * FILES of a comment without files is an empty PHP array `[]` (the page shows `{}`) [I].
 */
const timelineCommentList: MethodHandler = (call) => {
  const filter = filterOf(param(call.params, 'filter'));
  for (const key of ['ENTITY_ID', 'ENTITY_TYPE']) if (filter[key] === undefined || filter[key] === '') throw b24Errors.argument(key);
  const select = selectOf(param(call.params, 'select'));
  const rows = call.portal.timeline
    .filter((c) => c.ENTITY_ID === Number(filter.ENTITY_ID) && c.ENTITY_TYPE === String(filter.ENTITY_TYPE).toLowerCase())
    .map((c) => ({
      ID: String(c.id), ENTITY_ID: String(c.ENTITY_ID), ENTITY_TYPE: c.ENTITY_TYPE, CREATED: b24Date(c.createdMs), COMMENT: c.COMMENT,
      AUTHOR_ID: String(c.AUTHOR_ID), FILES: c.files.length ? Object.fromEntries(c.files.map((name, i) => [String(i + 1), { id: i + 1, name }])) : [],
    }));
  const ordered = orderRows(rows, param(call.params, 'order'), 'ID');
  const shown = select ? ordered.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k === 'ID' || select.includes(k)))) : ordered;
  return listPage(shown, Number(param(call.params, 'start') ?? 0), PAGE_SIZE);
};

export const crmMethods: Record<string, MethodHandler> = {
  ...crudFor('lead'),
  ...crudFor('contact'),
  ...crudFor('deal'),
  'crm.duplicate.findbycomm': findByCommMethod,
  'crm.timeline.comment.add': timelineCommentAdd,
  'crm.timeline.comment.list': timelineCommentList,
};
