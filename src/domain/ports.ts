/**
 * Ports: the interfaces the core depends on, implemented by adapters
 * (store repositories, side clients). Types only — no I/O here
 * (like mautrix bridgev2 networkinterface.go).
 */

/**
 * Which outside system an exchange or an event belongs to; `admin`: a person's look at a client's
 * data in the admin UI (152-ФЗ access accounting, src/admin/access-journal.ts), journaled beside the exchanges.
 */
export type Side = 'max' | 'bitrix24' | 'hook' | 'admin';

/**
 * OAuth tokens of one portal (Bitrix24 local application). Keyed by the
 * portal's member_id, which is stable (the domain can change).
 */
export interface PortalTokens {
  /** Our portal id (see store: portals.id). */
  portalId: string;
  memberId: string;
  domain: string;
  accessToken: string;
  /** Rotates on every refresh: the old one stops working once the new one is issued. */
  refreshToken: string;
  /** When the access token expires, ms since epoch. */
  expiresAtMs: number;
  /** e.g. https://portal.bitrix24.ru/rest/ — base of REST calls. */
  clientEndpoint: string;
  /** e.g. https://oauth.bitrix24.tech/rest/ — the OAuth server is this minus /rest/. */
  serverEndpoint: string;
  /** Verifies events from this portal (auth[application_token]). */
  applicationToken: string;
}

/**
 * Persistent, encrypted-at-rest token storage. `replace` is a compare-and-swap:
 * it stores `next` only if the stored refresh token is still `expectedRefreshToken`,
 * so two processes refreshing at once cannot overwrite a newer pair with an older one.
 */
export interface PortalTokenStore {
  load(portalId: string): Promise<PortalTokens | null>;
  replace(next: PortalTokens, expectedRefreshToken: string): Promise<boolean>;
}

/** One HTTP exchange with MAX, Bitrix24 or a hook, as recorded in the journal. */
export interface JournalEntry {
  atMs: number;
  side: Side;
  /** 'in': they called us (webhook, event); 'out': we called them. */
  direction: 'in' | 'out';
  method: string;
  /** Path or REST method name; never a URL with credentials in it. */
  endpoint: string;
  /** HTTP status, or null when no answer came (network error, timeout). */
  status: number | null;
  durationMs: number;
  /** Bodies are stored already redacted (tokens, secrets) by the writer's caller. */
  requestBody?: string;
  responseBody?: string;
  errorCode?: string;
  botId?: string;
  portalId?: string;
  conversationId?: string;
  messageId?: string;
  jobId?: string;
  /** The client (MAX user id) and the MAX chat, when the caller knows them. */
  maxUserId?: string;
  maxChatId?: string;
  /** '<portalId>:<lineId>' */
  lineRef?: string;
  /** A call that carried several conversations' messages (one line's batch): each of them. */
  refs?: ReadonlyArray<{ conversationId: string; messageId: string }>;
}

export interface JournalWriter {
  write(entry: JournalEntry): Promise<void>;
}
