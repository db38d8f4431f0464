/**
 * The OAuth server (`server_endpoint` minus /rest/, like oauth.bitrix24.tech):
 * `/oauth/token/?grant_type=refresh_token&client_id&client_secret&refresh_token`,
 * GET with query or POST with a form body (the official SDK posts a form).
 * Refresh tokens rotate: the used one stops working (`invalid_grant` after).
 */
import type { FastifyInstance } from 'fastify';
import type { Bitrix24Context } from './context.ts';
import { B24Error, oauthErrors } from './errors.ts';
import { issueTokens } from './tokens.ts';

function refresh(ctx: Bitrix24Context, params: Record<string, unknown>) {
  for (const key of ['grant_type', 'client_id', 'client_secret', 'refresh_token']) {
    if (typeof params[key] !== 'string' || params[key] === '') throw oauthErrors.invalidRequest(key);
  }
  if (params.grant_type !== 'refresh_token') throw new B24Error(400, 'unsupported_grant_type', 'Only refresh_token is supported');
  const app = ctx.apps.get(params.client_id as string);
  if (!app || app.clientSecret !== params.client_secret) throw oauthErrors.invalidClient();
  const record = ctx.refreshTokens.get(params.refresh_token as string);
  if (!record || record.clientId !== app.clientId || record.expiresAtMs <= Date.now()) throw oauthErrors.invalidGrant();
  const portal = ctx.portals[record.portalId];
  if (!portal?.installOf(app.clientId)) throw oauthErrors.invalidClient();
  ctx.refreshTokens.delete(params.refresh_token as string);
  const tokens = issueTokens(ctx, portal, app.clientId, record.userId);
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    expires: tokens.expiresUnix,
    expires_in: tokens.expiresIn,
    scope: 'imopenlines,imconnector,im,crm,user',
    domain: ctx.oauthUrl().replace(/^https?:\/\//, ''),
    server_endpoint: `${ctx.oauthUrl()}/rest/`,
    client_endpoint: `${portal.baseUrl}/rest/`,
    member_id: portal.memberId,
    user_id: record.userId,
    status: 'L',
  };
}

export function registerOAuthRoutes(app: FastifyInstance, ctx: Bitrix24Context): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/oauth/token/',
    handler: async (request, reply) => {
      const body = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
      const params = { ...(request.query as Record<string, unknown>), ...body };
      const clientId = typeof params.client_id === 'string' ? params.client_id : '';
      try {
        const result = refresh(ctx, params);
        ctx.refreshCalls.push({ clientId, atMs: Date.now(), ok: true });
        return reply.send(result);
      } catch (err) {
        ctx.refreshCalls.push({ clientId, atMs: Date.now(), ok: false });
        const e = err instanceof B24Error ? err : new B24Error(500, 'server_error', 'Internal error');
        return reply.code(e.statusCode).send(e.toBody());
      }
    },
  });
}
