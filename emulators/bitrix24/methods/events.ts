/**
 * event.bind / event.get / event.unbind (spec §7). Application context only.
 * Binding the same (event, handler) twice answers ERROR_HANDLER_ALREADY_EXIST.
 * The ONCRM* events are fired by crm-store.ts on every add and update.
 */
import { appClientId, param, type MethodHandler } from '../context.ts';
import { b24Errors } from '../errors.ts';

export const KNOWN_EVENTS = new Set([
  'ONAPPINSTALL', 'ONAPPUNINSTALL', 'ONAPPUPDATE',
  'ONIMCONNECTORMESSAGEADD', 'ONIMCONNECTORMESSAGEUPDATE', 'ONIMCONNECTORMESSAGEDELETE',
  'ONIMCONNECTORSTATUSDELETE', 'ONIMCONNECTORLINEDELETE', 'ONIMCONNECTORDIALOGSTART', 'ONIMCONNECTORDIALOGFINISH',
  'ONCRMLEADADD', 'ONCRMLEADUPDATE', 'ONCRMCONTACTADD', 'ONCRMCONTACTUPDATE', 'ONCRMDEALADD', 'ONCRMDEALUPDATE',
]);

const bind: MethodHandler = (call) => {
  const event = String(param(call.params, 'event') ?? '').toUpperCase();
  const handler = String(param(call.params, 'handler') ?? '');
  if (!event) throw b24Errors.argument('event');
  if (!KNOWN_EVENTS.has(event)) throw b24Errors.eventNotFound();
  if (!handler) throw b24Errors.argument('handler');
  const clientId = appClientId(call);
  if (call.portal.bindings.some((b) => b.event === event && b.handler === handler && b.clientId === clientId)) {
    throw b24Errors.handlerExists();
  }
  call.portal.bindings.push({ event, handler, clientId, authType: Number(param(call.params, 'auth_type') ?? 0), id: call.portal.next('binding') });
  return true;
};

const get: MethodHandler = (call) =>
  call.portal.bindings
    .filter((b) => b.clientId === appClientId(call))
    .map((b) => ({ event: b.event, handler: b.handler, auth_type: String(b.authType), offline: 0 }));

const unbind: MethodHandler = (call) => {
  const event = String(param(call.params, 'event') ?? '').toUpperCase();
  const handler = param(call.params, 'handler');
  if (!event) throw b24Errors.argument('event');
  const clientId = appClientId(call);
  const before = call.portal.bindings.length;
  const keep = call.portal.bindings.filter((b) => !(b.clientId === clientId && b.event === event && (handler === undefined || b.handler === handler)));
  call.portal.bindings.splice(0, call.portal.bindings.length, ...keep);
  return { count: before - keep.length };
};

export const eventMethods: Record<string, MethodHandler> = {
  'event.bind': bind,
  'event.get': get,
  'event.unbind': unbind,
};
