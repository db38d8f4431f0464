/**
 * App installation on a portal (spec §3). An "API only" local app gets
 * `ONAPPINSTALL` POSTed (form-encoded) to its handler and is installed at once;
 * an app with UI gets the install page POST (AUTH_ID, REFRESH_ID, …) and stays
 * not installed until `installFinish` — no events are delivered before that.
 * Uninstall removes the app's bindings and connectors and sends ONAPPUNINSTALL
 * (auth without tokens).
 */
import { randomBytes } from 'node:crypto';
import { stringify } from 'qs';
import type { Bitrix24Context } from './context.ts';
import type { PortalState } from './portal.ts';
import { authBlock, issueTokens } from './tokens.ts';

export interface InstallResult {
  status: number | null;
  applicationToken: string;
}

async function postForm(url: string, body: Record<string, unknown>, timeoutMs: number): Promise<number | null> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  } catch {
    return null;
  }
}

export async function installApp(
  ctx: Bitrix24Context,
  portal: PortalState,
  input: { clientId: string; handlerUrl: string; mode: 'event' | 'page' },
): Promise<InstallResult> {
  const existing = portal.installOf(input.clientId);
  const applicationToken = existing?.applicationToken ?? randomBytes(16).toString('hex');
  portal.installs.set(input.clientId, { clientId: input.clientId, applicationToken, installed: input.mode === 'event', handlerUrl: input.handlerUrl });
  const tokens = issueTokens(ctx, portal, input.clientId, 1);
  const timeoutMs = ctx.settings.eventTimeoutMs;
  if (input.mode === 'event') {
    const body = {
      event: 'ONAPPINSTALL',
      data: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'ru' },
      ts: String(Math.floor(Date.now() / 1000)),
      auth: authBlock(ctx, portal, input.clientId, tokens),
    };
    return { status: await postForm(input.handlerUrl, body, timeoutMs), applicationToken };
  }
  const url = `${input.handlerUrl}${input.handlerUrl.includes('?') ? '&' : '?'}DOMAIN=${encodeURIComponent(portal.domain)}&PROTOCOL=${portal.baseUrl.startsWith('https:') ? 1 : 0}&LANG=ru&APP_SID=${randomBytes(8).toString('hex')}`;
  const body = {
    AUTH_ID: tokens.accessToken, AUTH_EXPIRES: String(tokens.expiresIn), REFRESH_ID: tokens.refreshToken,
    SERVER_ENDPOINT: `${ctx.oauthUrl()}/rest/`, APPLICATION_TOKEN: applicationToken, member_id: portal.memberId, status: 'L',
    PLACEMENT: 'DEFAULT', PLACEMENT_OPTIONS: '{}',
  };
  return { status: await postForm(url, body, timeoutMs), applicationToken };
}

export function finishInstall(portal: PortalState, clientId: string): boolean {
  const install = portal.installOf(clientId);
  if (!install) return false;
  install.installed = true;
  return true;
}

export function uninstallApp(ctx: Bitrix24Context, portal: PortalState, clientId: string): boolean {
  const install = portal.installOf(clientId);
  if (!install) return false;
  ctx.emitEvent(portal, clientId, 'ONAPPUNINSTALL', { LANGUAGE_ID: 'ru', CLEAN: '0' });
  // Handlers, placements and connectors of the app are removed automatically (spec §3).
  queueMicrotask(() => {
    const keep = portal.bindings.filter((b) => b.clientId !== clientId);
    portal.bindings.splice(0, portal.bindings.length, ...keep);
    for (const [id, connector] of portal.connectors) {
      if (connector.clientId !== clientId) continue;
      portal.connectors.delete(id);
      for (const line of portal.lines.values()) line.connectors.delete(id);
    }
    portal.installs.delete(clientId);
    for (const [token, record] of ctx.accessTokens) if (record.clientId === clientId && record.portalId === portal.id) ctx.accessTokens.delete(token);
  });
  return true;
}
