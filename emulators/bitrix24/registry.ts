/**
 * Method dispatch shared by plain calls and batch sub-calls: auth-type checks
 * (imconnector.* and event.* need an application), the per-method operating
 * limit, and the handler.
 */
import type { Bitrix24Context, CallAuth, MethodHandler } from './context.ts';
import { b24Errors } from './errors.ts';
import { crmMethods } from './methods/crm.ts';
import { crmItemMethods } from './methods/crm-item.ts';
import { eventMethods } from './methods/events.ts';
import { imMethods } from './methods/im.ts';
import { imNotifyMethods } from './methods/im-notify.ts';
import { imconnectorMethods } from './methods/imconnector.ts';
import { imopenlinesMethods } from './methods/imopenlines.ts';
import { miscMethods } from './methods/misc.ts';
import type { PortalState } from './portal.ts';

const METHODS: Record<string, MethodHandler> = {
  ...imconnectorMethods,
  ...imopenlinesMethods,
  ...imMethods,
  ...imNotifyMethods,
  ...eventMethods,
  ...crmMethods,
  ...crmItemMethods,
  ...miscMethods,
};

const APP_ONLY_PREFIXES = ['imconnector.', 'event.'];

export function hasMethod(method: string): boolean {
  return method === 'batch' || method in METHODS;
}

export function operatingKey(auth: CallAuth, method: string): string {
  return `${auth.kind === 'oauth' ? auth.clientId : `hook${auth.userId}`}|${method}`;
}

export function runMethod(
  ctx: Bitrix24Context,
  portal: PortalState,
  auth: CallAuth,
  method: string,
  params: Record<string, unknown>,
): unknown {
  const handler = METHODS[method];
  if (!handler) throw b24Errors.methodNotFound(method);
  if (auth.kind === 'webhook' && APP_ONLY_PREFIXES.some((p) => method.startsWith(p))) throw b24Errors.wrongAuthType();
  const key = operatingKey(auth, method);
  if (portal.operating.isBlocked(key)) throw b24Errors.operationTimeLimit(method);
  portal.operating.record(key);
  return handler({ ctx, portal, auth, params, method });
}
