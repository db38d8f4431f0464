/** Small methods the official SDK and a bridge call: profile, app.info. */
import { appClientId, type MethodHandler } from '../context.ts';

export const miscMethods: Record<string, MethodHandler> = {
  profile: (call) => {
    const op = call.portal.operators.get(call.auth.userId);
    return { ID: String(call.auth.userId), ADMIN: call.auth.userId === 1, NAME: op?.name ?? '', LAST_NAME: op?.lastName ?? '' };
  },
  'app.info': (call) => {
    const install = call.portal.installOf(appClientId(call));
    return {
      ID: 1, CODE: appClientId(call), VERSION: 1, STATUS: 'L', INSTALLED: install?.installed ?? false,
      PAYMENT_EXPIRED: 'N', DAYS: null, LICENSE: 'ru_project',
    };
  },
};
