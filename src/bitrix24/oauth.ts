/**
 * OAuth tokens of the portals (spec §3): the access token lives an hour; each
 * refresh returns a NEW refresh token and invalidates the old one, so refreshes
 * of one portal must be single-flight and the new pair persisted atomically
 * (PortalTokenStore.replace is a compare-and-swap). The OAuth server is the
 * portal's `server_endpoint` minus `/rest/` (oauth.bitrix24.tech for .ru
 * portals, oauth.bitrix.info elsewhere): never hard-coded.
 */
import type { Clock } from '../domain/clock.ts';
import { describeNetworkFailure } from '../domain/network-failure.ts';
import type { JournalWriter, PortalTokens, PortalTokenStore } from '../domain/ports.ts';
import { journaledExchange } from '../journal/exchange.ts';
import { BITRIX24_ERROR_CODES, Bitrix24ApiError, Bitrix24NetworkError } from './errors.ts';

export interface OAuthAppCredentials {
  clientId: string;
  clientSecret: string;
}

/** Refresh this long before the access token expires, so calls do not bounce off a 401. */
export const REFRESH_AHEAD_MS = 60_000;

export class PortalTokenProvider {
  private readonly refreshing = new Map<string, Promise<PortalTokens>>();
  private readonly cache = new Map<string, PortalTokens>();

  constructor(
    private readonly deps: {
      store: PortalTokenStore;
      credentials: OAuthAppCredentials;
      clock: Clock;
      journal?: JournalWriter;
      timeoutMs?: number;
      fetchFn?: typeof fetch;
    },
  ) {}

  /** Tokens to call with: refreshed first when the access token is (about to be) expired by our clock. */
  async valid(portalId: string): Promise<PortalTokens> {
    const tokens = await this.current(portalId);
    if (tokens.expiresAtMs - REFRESH_AHEAD_MS > this.deps.clock.nowMs()) return tokens;
    return this.refresh(portalId, tokens.accessToken);
  }

  async current(portalId: string): Promise<PortalTokens> {
    const cached = this.cache.get(portalId);
    if (cached) return cached;
    const loaded = await this.deps.store.load(portalId);
    if (!loaded) {
      throw new Bitrix24ApiError(BITRIX24_ERROR_CODES.notInstalled, `portal ${portalId} has no tokens: install the app on it`, 0, 'NOT_INSTALLED', '', { retryable: false });
    }
    this.cache.set(portalId, loaded);
    return loaded;
  }

  /** Refreshes once for all concurrent callers that saw `staleAccessToken` rejected. */
  refresh(portalId: string, staleAccessToken: string): Promise<PortalTokens> {
    const inflight = this.refreshing.get(portalId);
    if (inflight) return inflight;
    const p = this.doRefresh(portalId, staleAccessToken).finally(() => this.refreshing.delete(portalId));
    this.refreshing.set(portalId, p);
    return p;
  }

  private async doRefresh(portalId: string, staleAccessToken: string): Promise<PortalTokens> {
    this.cache.delete(portalId);
    const current = await this.current(portalId);
    // Another process (or an earlier flight) already refreshed: use its tokens.
    if (current.accessToken !== staleAccessToken && current.expiresAtMs - REFRESH_AHEAD_MS > this.deps.clock.nowMs()) return current;
    const next = await this.callOAuthServer(current);
    if (!(await this.deps.store.replace(next, current.refreshToken))) {
      this.cache.delete(portalId);
      return this.current(portalId);
    }
    this.cache.set(portalId, next);
    return next;
  }

  private async callOAuthServer(current: PortalTokens): Promise<PortalTokens> {
    const oauthOrigin = current.serverEndpoint.replace(/\/rest\/?$/, '');
    const body = new URLSearchParams({
      grant_type: 'refresh_token', client_id: this.deps.credentials.clientId,
      client_secret: this.deps.credentials.clientSecret, refresh_token: current.refreshToken,
    }).toString();
    let res;
    try {
      res = await journaledExchange({
        side: 'bitrix24', method: 'POST', url: `${oauthOrigin}/oauth/token/`, endpoint: 'oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, timeoutMs: this.deps.timeoutMs ?? 30_000,
        correlation: { portalId: current.portalId },
      }, { clock: this.deps.clock, journal: this.deps.journal, fetchFn: this.deps.fetchFn });
    } catch (err) {
      throw new Bitrix24NetworkError(describeNetworkFailure(err), true);
    }
    const parsed = JSON.parse(res.text || '{}') as Record<string, string | number | undefined>;
    if (res.status !== 200 || !parsed.access_token) {
      const code = String(parsed.error ?? `HTTP_${res.status}`);
      // invalid_grant (refresh token expired or already used), invalid_client, PAYMENT_REQUIRED: a person must act.
      const retryable = res.status >= 500;
      throw new Bitrix24ApiError(retryable ? BITRIX24_ERROR_CODES.unavailable : BITRIX24_ERROR_CODES.reauthRequired,
        `token refresh failed (${code}): reinstall the app on the portal if this persists`, res.status, code, res.text, { retryable });
    }
    return {
      ...current,
      accessToken: String(parsed.access_token),
      refreshToken: String(parsed.refresh_token),
      expiresAtMs: Number(parsed.expires ?? 0) * 1000 || this.deps.clock.nowMs() + Number(parsed.expires_in ?? 3600) * 1000,
      clientEndpoint: String(parsed.client_endpoint ?? current.clientEndpoint),
      serverEndpoint: String(parsed.server_endpoint ?? current.serverEndpoint),
    };
  }
}
