/**
 * Connector setup on a portal, idempotent (safe on every install and
 * reinstall): imconnector.register → find the line (configured id, or a line
 * named "MAX", created when missing) → imconnector.activate →
 * imconnector.connector.data.set → event.bind of every event we handle
 * (ERROR_HANDLER_ALREADY_EXIST counts as done, so no duplicate bindings), and
 * our bindings of the same events to the same address written differently (a
 * doubled or trailing slash left by an uncanonical PUBLIC_URL) unbound.
 */
import { sameEndpoint } from '../domain/endpoint-address.ts';
import type { Bitrix24Client } from './client.ts';
import { Bitrix24ApiError } from './errors.ts';

export const HANDLED_EVENTS = [
  'ONIMCONNECTORMESSAGEADD', 'ONIMCONNECTORMESSAGEUPDATE', 'ONIMCONNECTORMESSAGEDELETE',
  'ONIMCONNECTORSTATUSDELETE', 'ONIMCONNECTORLINEDELETE', 'ONAPPUNINSTALL',
  // A session closed: the conversation is routed afresh at its next message.
  'ONIMCONNECTORDIALOGFINISH',
  // A lead converted: the client's identity and source carried to its contact and deal (crm/converted-lead.ts).
  'ONCRMLEADUPDATE',
] as const;

/**
 * The CRM settings of a line the bridge creates (docs/crm.md): the line makes a lead for a new
 * client, never a "repeat lead" for each new session of a known one (CRM_CREATE_SECOND=N; the
 * string "0" would count as on), forwards a returning client to the responsible person of their
 * open deal (CRM_FORWARD), and closes a silent session after one day. A route whose CRM mode
 * makes the objects itself switches creation off on its lines (setup.ts).
 */
export const NEW_LINE_CRM = { CRM: 'Y', CRM_CREATE: 'lead', CRM_CREATE_SECOND: 'N', CRM_FORWARD: 'Y', AUTO_CLOSE_TIME: '86400' } as const;

/** What a line a bridge-driven CRM route sends to is set to: finds and binds, creates nothing. */
export const BRIDGE_DRIVEN_LINE_CRM = { CRM: 'Y', CRM_CREATE: 'none', CRM_CREATE_SECOND: 'N', CRM_FORWARD: 'Y' } as const;

/** A chat bubble in MAX blue, as a data URI (Bitrix24 wants an SVG icon). */
const ICON_SVG = 'data:image/svg+xml;charset=US-ASCII,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%20viewBox%3D%220%200%2070%2071%22%3E%3Cpath%20fill%3D%22%23FFF%22%20d%3D%22M35%2010C20%2010%2010%2020%2010%2033c0%208%204%2014%2010%2018l-2%209%2010-5c2%201%205%201%207%201%2015%200%2025-10%2025-23S50%2010%2035%2010z%22%2F%3E%3C%2Fsvg%3E';

export interface ConnectorSetupInput {
  portalId: string;
  connectorId: string;
  connectorName: string;
  /** Configured line, or null to find/create a line named "MAX". */
  lineId: number | null;
  /** https://bridge/bitrix24/events/<portal> */
  eventsUrl: string;
  /** https://bridge/bitrix24/settings (the connector's settings page). */
  settingsUrl: string;
  publicUrl: string;
}

async function findOrCreateLine(client: Bitrix24Client, portalId: string, lineId: number | null): Promise<number> {
  if (lineId !== null) return lineId;
  const lines = await client.call<Array<{ ID: string; LINE_NAME: string }>>(portalId, 'imopenlines.config.list.get', { PARAMS: { select: ['ID', 'LINE_NAME'] } }, { idempotent: true });
  const existing = lines.find((l) => l.LINE_NAME === 'MAX');
  if (existing) return Number(existing.ID);
  return Number(await client.call(portalId, 'imopenlines.config.add', { PARAMS: { LINE_NAME: 'MAX', ...NEW_LINE_CRM } }));
}

/** imconnector.register: the same ID again updates it (spec bitrix24-rest §4), so this also moves the settings page (PLACEMENT_HANDLER). */
export async function registerConnector(client: Bitrix24Client, input: Pick<ConnectorSetupInput, 'portalId' | 'connectorId' | 'connectorName' | 'settingsUrl'>): Promise<void> {
  const registered = await client.call<{ result?: boolean; error?: string; error_description?: string } | boolean>(input.portalId, 'imconnector.register', {
    ID: input.connectorId, NAME: input.connectorName, ICON: { DATA_IMAGE: ICON_SVG, COLOR: '#3B2CCF', SIZE: '90%', POSITION: 'center' },
    PLACEMENT_HANDLER: input.settingsUrl, NEED_SYSTEM_MESSAGES: 'Y', NEED_SIGNATURE: 'Y', CHAT_GROUP: 'N',
  });
  if (typeof registered === 'object' && registered.result === false) {
    throw new Bitrix24ApiError('BRG_ERR_BITRIX24_CONNECTOR_REGISTRATION', `imconnector.register failed: ${registered.error}`, 200, registered.error ?? '', JSON.stringify(registered), { retryable: false });
  }
}

export interface BindingsReport {
  bound: string[];
  /** CRM events the portal would not bind (the app lacks the crm scope): `EVENT: code`. */
  refused: string[];
  /** `event handler` pairs removed: ours, to the same endpoint, written differently. */
  unbound: string[];
}

/**
 * One binding per handled event, to `eventsUrl` exactly: missing ones bound,
 * and ours to the same endpoint spelled differently (`https://host//bitrix24/events/p`
 * from a PUBLIC_URL with a trailing slash, which the bridge answers 404) unbound.
 * Bindings to other addresses are left alone (event.get lists only this app's).
 */
export async function reconcileEventBindings(client: Bitrix24Client, portalId: string, eventsUrl: string): Promise<BindingsReport> {
  const report: BindingsReport = { bound: [], unbound: [], refused: [] };
  const existing = await client.call<Array<{ event: string; handler: string }>>(portalId, 'event.get', {}, { idempotent: true });
  const handled = new Set<string>(HANDLED_EVENTS);
  const list = Array.isArray(existing) ? existing : [];
  for (const event of HANDLED_EVENTS) {
    if (list.some((b) => String(b.event).toUpperCase() === event && b.handler === eventsUrl)) continue;
    try {
      await client.call(portalId, 'event.bind', { event, handler: eventsUrl });
      report.bound.push(event);
    } catch (err) {
      if (err instanceof Bitrix24ApiError && err.bitrixCode === 'ERROR_HANDLER_ALREADY_EXIST') continue;
      // A CRM event needs the app's `crm` scope: without it the Open Lines work on, and only the
      // carry-over of a converted lead's identity is missing (docs/crm.md); said in the report.
      if (event.startsWith('ONCRM') && err instanceof Bitrix24ApiError && !err.retryable) {
        report.refused.push(`${event}: ${err.bitrixCode || err.code}`);
        continue;
      }
      throw err;
    }
  }
  for (const b of list) {
    const event = String(b.event).toUpperCase();
    if (!handled.has(event) || b.handler === eventsUrl || !sameEndpoint(b.handler, eventsUrl)) continue;
    await client.call(portalId, 'event.unbind', { event, handler: b.handler });
    report.unbound.push(`${event} ${b.handler}`);
  }
  return report;
}

/** The connector registered and its events bound, no line activated (every line is named by routes and set up on its own). */
export async function setUpConnectorWithoutLine(client: Bitrix24Client, input: Omit<ConnectorSetupInput, 'lineId'>): Promise<BindingsReport> {
  await registerConnector(client, input);
  return reconcileEventBindings(client, input.portalId, input.eventsUrl);
}

export async function setUpConnector(client: Bitrix24Client, input: ConnectorSetupInput): Promise<{ lineId: number; bindings: BindingsReport }> {
  const { portalId, connectorId } = input;
  await registerConnector(client, input);
  const lineId = await findOrCreateLine(client, portalId, input.lineId);
  await client.call(portalId, 'imconnector.activate', { CONNECTOR: connectorId, LINE: lineId, ACTIVE: 1 });
  await setConnectorData(client, input, lineId);
  const bindings = await reconcileEventBindings(client, portalId, input.eventsUrl);
  return { lineId, bindings };
}

/** The connector switched on for one more line of an already set-up portal, with its data (a line a route names). */
export async function activateOnLine(client: Bitrix24Client, input: Pick<ConnectorSetupInput, 'portalId' | 'connectorId' | 'connectorName' | 'publicUrl'>, lineId: number): Promise<void> {
  await client.call(input.portalId, 'imconnector.activate', { CONNECTOR: input.connectorId, LINE: lineId, ACTIVE: 1 });
  await setConnectorData(client, input, lineId);
}

/** imconnector.connector.data.set: the connector's links on the line (the whole object is overwritten). */
export async function setConnectorData(client: Bitrix24Client, input: Pick<ConnectorSetupInput, 'portalId' | 'connectorId' | 'connectorName' | 'publicUrl'>, lineId: number): Promise<void> {
  await client.call(input.portalId, 'imconnector.connector.data.set', {
    CONNECTOR: input.connectorId, LINE: lineId, DATA: { ID: `${input.connectorId}_${lineId}`, URL: input.publicUrl, URL_IM: input.publicUrl, NAME: input.connectorName },
  });
}
