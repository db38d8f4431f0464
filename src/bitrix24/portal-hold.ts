/**
 * A Bitrix24 portal down for everyone (side-hold.ts): the app blocked for too
 * much load (OVERLOAD_LIMIT: a manual block, lifted by Bitrix24 support — spec
 * §8, b24restdocs system-errors), the app's authorisation gone (401 after a
 * token refresh, invalid_grant), the plan expired (PAYMENT_REQUIRED, REST only
 * on commercial plans), or the portal's address not resolving or refusing
 * connections. Each is a pause, not a refusal: the portal's work is held and
 * one probe goes at a growing interval.
 */
import type { Logger } from '../log/logger.ts';
import { SideHolds, type SideDownCause } from '../domain/side-hold.ts';

export { PROBE_FIRST_MS, PROBE_MAX_MS } from '../domain/side-hold.ts';

/** The app blocked (OVERLOAD_LIMIT). */
export const OVERLOAD_CAUSE: SideDownCause = {
  code: 'BRG_ERR_BITRIX24_OVERLOAD',
  problem: 'Bitrix24 has blocked the app (OVERLOAD_LIMIT); messages are held and will be delivered when the block lifts (ask Bitrix24 support to lift it)',
};

export interface PortalHoldOptions {
  logger?: Logger;
  probeFirstMs?: number;
  probeMaxMs?: number;
}

export class PortalHolds extends SideHolds {
  constructor(o: PortalHoldOptions = {}) {
    super({ ...o, component: 'bitrix24-client', sideKind: 'portal' });
  }

  /** The portal answered a portal-wide failure (OVERLOAD_LIMIT unless told otherwise). */
  override blocked(portalId: string, nowMs: number, cause: SideDownCause = OVERLOAD_CAUSE): void {
    super.blocked(portalId, nowMs, cause);
  }
}

/** The health problem of a held portal, in the words an administrator acts on. */
export function blockedPortalProblem(portalId: string, sinceMs: number, cause: SideDownCause = OVERLOAD_CAUSE): string {
  if (cause.code === OVERLOAD_CAUSE.code) {
    return `portal ${portalId}: Bitrix24 has blocked the app (OVERLOAD_LIMIT) since ${new Date(sinceMs).toISOString()}; `
      + 'messages are held and will be delivered when the block lifts (ask Bitrix24 support to lift it)';
  }
  return `портал ${portalId} недоступен с ${new Date(sinceMs).toISOString()}: ${cause.problem}`;
}

/** The health problem of a portal whose calls have all failed in passing for a minute (side-hold.ts, degraded). */
export function degradedPortalProblem(portalId: string, sinceMs: number, code: string): string {
  return `портал ${portalId} отвечает ошибками с ${new Date(sinceMs).toISOString()} (${code}): сообщения ждут и уйдут по порядку, когда он ответит; `
    + `проверьте, работает ли портал / portal ${portalId} has been failing since then: messages wait and go in order when it answers`;
}
