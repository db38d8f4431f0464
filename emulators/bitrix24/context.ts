import type { AppCredentials, EventDelivery, LineState, OlChat, TokenRecord } from './model.ts';
import type { PortalState } from './portal.ts';

export interface Bitrix24Settings {
  /** Real-world durations (token lifetime) are multiplied by this. */
  timeFactor: number;
  /** Access token lifetime, real seconds (3600). */
  accessTokenTtlSeconds: number;
  /** Event delivery knobs. */
  eventDelayMs: number;
  eventDropRate: number;
  eventDuplicateRate: number;
  /** When true, events are delivered with a random extra delay so they may overtake each other. */
  eventReorder: boolean;
  /** Timeout for a handler's answer; the event is dropped after it (no retries). */
  eventTimeoutMs: number;
  /**
   * How far Bitrix24's clock is from this machine's, ms (`PUT /_control/clock`): the `Date` header
   * of every answer and the tokens' absolute `expires` say that time, as servers whose clock is
   * off would. 0 or absent: the real time.
   */
  clockSkewMs?: number;
}

export type CallAuth =
  | { kind: 'oauth'; clientId: string; userId: number }
  | { kind: 'webhook'; userId: number };

export interface Bitrix24Context {
  settings: Bitrix24Settings;
  portals: PortalState[];
  apps: Map<string, AppCredentials>;
  accessTokens: Map<string, TokenRecord>;
  refreshTokens: Map<string, TokenRecord>;
  refreshCalls: Array<{ clientId: string; atMs: number; ok: boolean }>;
  deliveries: EventDelivery[];
  random: () => number;
  oauthUrl: () => string;
  /** Posts an event to the app's bound handlers (no retries). */
  emitEvent: (portal: PortalState, clientId: string | null, event: string, data: unknown) => void;
  /** The events on their way to handlers now, and the CRM tracker runs still due. */
  pendingDeliveries: () => PendingDeliveries;
  /** Runs the CRM tracker for a client's message after the line's lag (crm-lag.ts). */
  scheduleCrmTracker: (portal: PortalState, line: LineState, chat: OlChat) => void;
}

/** Events on their way to handlers, for tests that wait until nothing more is coming (also in `GET /_control/deliveries`). */
export interface PendingDeliveries {
  /** Scheduled (`eventDelayMs` may hold them) or being posted. */
  pending: number;
  /** How many were ever scheduled: seen unchanged between two looks, none started meanwhile. */
  scheduled: number;
  /** CRM tracker runs waiting out their line's lag (`crmLagMs × timeFactor`); a run may still fire ONCRM* events. */
  crmPending: number;
}

export interface MethodCall {
  ctx: Bitrix24Context;
  portal: PortalState;
  auth: CallAuth;
  params: Record<string, unknown>;
  method: string;
}

export type MethodHandler = (call: MethodCall) => unknown;

/** Reads a parameter case-insensitively (Bitrix accepts LINE, line, Line…). */
export function param(params: Record<string, unknown>, name: string): unknown {
  if (name in params) return params[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(params)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function appClientId(call: MethodCall): string {
  return call.auth.kind === 'oauth' ? call.auth.clientId : '';
}
