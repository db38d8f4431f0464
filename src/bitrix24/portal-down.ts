/**
 * Which Bitrix24 failures take the whole portal down (portal-hold.ts), and what
 * the administrator is told to do about each. Anything else is one call's
 * failure, retried by the job's policy.
 */
import type { SideDownCause } from '../domain/side-hold.ts';
import { isSideUnreachable } from '../domain/unreachable.ts';
import { BITRIX24_ERROR_CODES, Bitrix24ApiError, Bitrix24NetworkError } from './errors.ts';
import { OVERLOAD_CAUSE } from './portal-hold.ts';

export function portalDownCause(error: unknown, portalId: string): SideDownCause | null {
  if (!(error instanceof Bitrix24ApiError || error instanceof Bitrix24NetworkError)) return null;
  switch (error.code) {
    case BITRIX24_ERROR_CODES.overload:
      return OVERLOAD_CAUSE;
    case BITRIX24_ERROR_CODES.reauthRequired:
      return {
        code: error.code,
        problem: `Битрикс24 не принимает авторизацию приложения на портале ${portalId} (${(error as Bitrix24ApiError).bitrixCode}): `
          + 'переустановите приложение на портале или проверьте client_id и client_secret; сообщения ждут и уйдут по порядку / '
          + 'Bitrix24 refuses the app\'s authorisation: reinstall the app or check client_id and client_secret',
      };
    case BITRIX24_ERROR_CODES.paymentRequired:
      return {
        code: error.code,
        problem: `REST API портала ${portalId} недоступен по тарифу (${(error as Bitrix24ApiError).bitrixCode}): продлите коммерческий тариф Битрикс24; `
          + 'сообщения ждут и уйдут по порядку / the portal\'s plan does not allow REST: renew the plan',
      };
    case BITRIX24_ERROR_CODES.network:
      if (!isSideUnreachable((error as Bitrix24NetworkError).failure)) return null;
      return {
        code: BITRIX24_ERROR_CODES.unreachable,
        problem: `портал ${portalId} недоступен по сети (${(error as Bitrix24NetworkError).failure.code}): проверьте его адрес, DNS, сеть и сертификат / `
          + 'the portal is unreachable: check its address, DNS, network and certificate',
      };
    default:
      return null;
  }
}
