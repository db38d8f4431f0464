/**
 * OAuth tokens of installed apps (spec §3): access tokens live 1 h (scaled),
 * refresh tokens rotate on every refresh (the old one stops working).
 */
import { randomBytes } from 'node:crypto';
import type { Bitrix24Context } from './context.ts';
import type { PortalState } from './portal.ts';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  expiresUnix: number;
}

export function issueTokens(ctx: Bitrix24Context, portal: PortalState, clientId: string, userId: number): IssuedTokens {
  const accessToken = randomBytes(20).toString('hex');
  const refreshToken = randomBytes(20).toString('hex');
  const ttlMs = ctx.settings.accessTokenTtlSeconds * 1000 * ctx.settings.timeFactor;
  const expiresAtMs = Date.now() + ttlMs;
  ctx.accessTokens.set(accessToken, { clientId, portalId: portal.id, userId, expiresAtMs });
  ctx.refreshTokens.set(refreshToken, { clientId, portalId: portal.id, userId, expiresAtMs: Date.now() + 180 * 86_400_000 });
  return {
    accessToken,
    refreshToken,
    // Reported as the real 3600 s: the scaled lifetime is the emulator's secret.
    expiresIn: ctx.settings.accessTokenTtlSeconds,
    // By the portal's clock: a skewed one (PUT /_control/clock) reports a skewed expiry.
    expiresUnix: Math.floor((expiresAtMs + (ctx.settings.clockSkewMs ?? 0)) / 1000),
  };
}

/** The `auth[...]` block of ONAPPINSTALL and of events (tokens only where given). */
export function authBlock(
  ctx: Bitrix24Context,
  portal: PortalState,
  clientId: string,
  tokens: IssuedTokens | null,
): Record<string, string> {
  const install = portal.installOf(clientId);
  const block: Record<string, string> = {
    domain: portal.domain,
    client_endpoint: `${portal.baseUrl}/rest/`,
    server_endpoint: `${ctx.oauthUrl()}/rest/`,
    member_id: portal.memberId,
    application_token: install?.applicationToken ?? '',
  };
  if (tokens) {
    Object.assign(block, {
      access_token: tokens.accessToken,
      expires: String(tokens.expiresUnix),
      expires_in: String(tokens.expiresIn),
      scope: 'imopenlines,imconnector,im,crm,user',
      status: 'L',
      refresh_token: tokens.refreshToken,
      user_id: '1',
    });
  }
  return block;
}
