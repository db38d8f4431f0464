/**
 * The connector settings placement `SETTING_CONNECTOR` (docs
 * api-reference/widgets/setting-connector.md): bound by Bitrix24 itself from
 * imconnector.register's PLACEMENT_HANDLER; shown in the Contact Center after
 * the admin clicks the connector's tile, "Connect", and picks an open line.
 * Bitrix24 then POSTs (form) the widget auth fields and PLACEMENT_OPTIONS (a
 * JSON string with the connector's state on that line) to the handler, with
 * DOMAIN/PROTOCOL/LANG/APP_SID in the query, and shows the answer in an iframe.
 * Not shown before the app's install is finished.
 */
import { randomBytes } from 'node:crypto';
import { stringify } from 'qs';
import type { Bitrix24Context } from './context.ts';
import type { PortalState } from './portal.ts';
import { issueTokens } from './tokens.ts';

export interface PlacementAnswer {
  status: number | null;
  contentType: string | null;
  body: string;
}

/** The state keys of PLACEMENT_OPTIONS, as imconnector.status reports them for the line. */
function optionsFor(portal: PortalState, connectorId: string, lineId: number): Record<string, unknown> {
  const line = portal.lines.get(lineId);
  const active = !!line?.connectors.has(connectorId);
  // CONNECTION_STATUS and REGISTER_STATUS are both raised by imconnector.connector.data.set.
  const connected = active && !!line?.connectorData.get(connectorId);
  return {
    CONNECTOR: connectorId, LINE: String(lineId), STATUS: active && connected && !!line?.active, ACTIVE_STATUS: active,
    CONNECTION_STATUS: connected, REGISTER_STATUS: connected, ERROR_STATUS: false,
    URI: `/contact_center/connector/?ID=${connectorId}&IFRAME=Y&IFRAME_TYPE=SIDE_SLIDER`,
  };
}

/** Opens the settings page of `connectorId` for `lineId` as the admin (user 1) would; `refused` when Bitrix24 would not show it. */
export async function openConnectorSettings(ctx: Bitrix24Context, portal: PortalState, connectorId: string, lineId: number): Promise<PlacementAnswer | { refused: string }> {
  const connector = portal.connectors.get(connectorId.toLowerCase());
  if (!connector) return { refused: 'connector not registered' };
  if (!portal.lines.has(lineId)) return { refused: 'line not found' };
  const install = portal.installOf(connector.clientId);
  if (!install?.installed) return { refused: 'the app install is not finished: placements are hidden' };
  const handler = String(connector.raw.PLACEMENT_HANDLER ?? '');
  const tokens = issueTokens(ctx, portal, connector.clientId, 1);
  const query = `DOMAIN=${encodeURIComponent(portal.domain)}&PROTOCOL=${portal.baseUrl.startsWith('https:') ? 1 : 0}&LANG=ru&APP_SID=${randomBytes(16).toString('hex')}`;
  const body = {
    AUTH_ID: tokens.accessToken, AUTH_EXPIRES: String(tokens.expiresIn), REFRESH_ID: tokens.refreshToken,
    SERVER_ENDPOINT: `${ctx.oauthUrl()}/rest/`, APPLICATION_TOKEN: install.applicationToken, APPLICATION_SCOPE: 'imopenlines,imconnector,im,crm,user',
    member_id: portal.memberId, status: 'L', PLACEMENT: 'SETTING_CONNECTOR', PLACEMENT_OPTIONS: JSON.stringify(optionsFor(portal, connector.id, lineId)),
  };
  try {
    const res = await fetch(`${handler}${handler.includes('?') ? '&' : '?'}${query}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stringify(body),
      signal: AbortSignal.timeout(ctx.settings.eventTimeoutMs * 3),
    });
    return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
  } catch {
    return { status: null, contentType: null, body: '' };
  }
}
