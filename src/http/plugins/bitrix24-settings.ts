/**
 * The connector's settings page: `POST /bitrix24/settings`, the PLACEMENT_HANDLER
 * given to imconnector.register. Bitrix24 opens it in an iframe (placement
 * SETTING_CONNECTOR, docs api-reference/widgets/setting-connector.md) once the
 * admin has clicked "Connect" on the MAX tile in the Contact Center and picked
 * an open line: a form POST with the widget auth (AUTH_ID, member_id…) and
 * PLACEMENT_OPTIONS, a JSON string {CONNECTOR, LINE, ACTIVE_STATUS,
 * CONNECTION_STATUS, REGISTER_STATUS, ERROR_STATUS, STATUS}.
 *
 * Caller verified like the install page: the portal is the one installed with
 * this member_id, and AUTH_ID must be valid for our app there (app.info at the
 * portal's stored client_endpoint). Then, as in the docs' connector tutorial
 * (tutorials/openlines/example-connector.md: the handler activates the connector
 * for PLACEMENT_OPTIONS.LINE and sets its data), picking a line asks to connect
 * it: unless it already is the bridge's line, active and fully connected, a
 * `bitrix24.setup` job is queued for that line (imconnector.activate,
 * connector.data.set, events bound, the line recorded and the portal's
 * conversations moved to it). The page waits a little for it and says what
 * happened. A line fixed in the configuration (portals[].line_id) is not changed
 * from here (409). Bad input → 400, unknown caller → 401.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parse as parseForm } from 'qs';
import type { PortalTokens } from '../../domain/ports.ts';
import type { EventRepo } from '../../store/repos/event-repo.ts';
import { HttpError } from '../http-errors.ts';
import { BITRIX24_SETUP_JOB, portalSetupQueue } from '../../queue/job-kinds.ts';
import { verifyAtPortal } from './bitrix24-install.ts';
import { settingsPage, type SettingsOutcome } from './bitrix24-settings-page.ts';

/** How long the page waits for the setup job before answering "in progress". */
export const SETTINGS_SETUP_WAIT_MS = 10_000;
const POLL_MS = 100;

export interface Bitrix24SettingsOptions {
  portals: {
    idForMember(memberId: string): Promise<string | null>;
    /** The installed portal's tokens; null when not installed or uninstalled. */
    load(portalId: string): Promise<PortalTokens | null>;
  };
  events: EventRepo;
  /** The state of a queued job (JobRepo.get). */
  jobs: { get(id: number): Promise<{ state: string; last_error_code: string | null } | undefined> };
  connectorId: string;
  clientIdFor: (portalId: string) => string | undefined;
  /** The line fixed for a portal in the configuration (portals[].line_id), or null. */
  configuredLineFor: (portalId: string) => number | null;
  /** The bridge's line of a portal as the setup recorded it (active or paused), or null. */
  lineOf: (portalId: string) => Promise<{ lineId: number; active: boolean } | null>;
  nowMs: () => number;
  fetchFn?: typeof fetch;
  onStored?: () => void;
  setupWaitMs?: number;
}

interface Placement {
  authId: string;
  memberId: string;
  lineId: number;
  /** PLACEMENT_OPTIONS.STATUS: active, connected, registered, no error. */
  connected: boolean;
}

type Form = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const EXPECTED = 'expected the SETTING_CONNECTOR placement as Bitrix24 sends it (PLACEMENT, PLACEMENT_OPTIONS, AUTH_ID, member_id)';

function placementOf(form: Form, connectorId: string): Placement {
  if (str(form.PLACEMENT) !== 'SETTING_CONNECTOR') throw new HttpError('invalidBody', `${EXPECTED}; PLACEMENT is "${str(form.PLACEMENT).slice(0, 40)}"`);
  let options: Record<string, unknown>;
  try {
    options = JSON.parse(str(form.PLACEMENT_OPTIONS)) as Record<string, unknown>;
  } catch {
    throw new HttpError('invalidBody', 'PLACEMENT_OPTIONS is not JSON');
  }
  if (!options || typeof options !== 'object') throw new HttpError('invalidBody', 'PLACEMENT_OPTIONS is not a JSON object');
  // imconnector.register lowercases the ID; PLACEMENT_OPTIONS carries the lowercased one (docs).
  if (str(options.CONNECTOR).toLowerCase() !== connectorId) {
    throw new HttpError('invalidBody', `PLACEMENT_OPTIONS.CONNECTOR must be ${connectorId}, the connector this page serves`);
  }
  const lineId = typeof options.LINE === 'string' || typeof options.LINE === 'number' ? Number(options.LINE) : Number.NaN;
  if (!Number.isInteger(lineId) || lineId <= 0) throw new HttpError('invalidBody', 'PLACEMENT_OPTIONS.LINE must be the id of an open line (a positive integer)');
  const authId = str(form.AUTH_ID);
  const memberId = str(form.member_id);
  if (!authId || !memberId) throw new HttpError('invalidBody', `${EXPECTED}; AUTH_ID or member_id is missing`);
  return { authId, memberId, lineId, connected: options.STATUS === true || options.STATUS === 'Y' };
}

async function callerPortal(options: Bitrix24SettingsOptions, placement: Placement): Promise<string> {
  const refused = new HttpError('unauthorized', 'the app is not installed on this portal, or AUTH_ID is not valid for it');
  const portalId = await options.portals.idForMember(placement.memberId);
  const stored = portalId === null ? null : await options.portals.load(portalId);
  const clientId = portalId === null ? undefined : options.clientIdFor(portalId);
  if (portalId === null || !stored || stored.memberId !== placement.memberId || !clientId) throw refused;
  await verifyAtPortal({ ...stored, accessToken: placement.authId }, clientId, options.fetchFn ?? fetch);
  return portalId;
}

/** Waits up to `waitMs` for a queued job to finish (done or dead); its row then, or as it is when the time is up. */
export async function settledJob(jobs: Bitrix24SettingsOptions['jobs'], jobId: number, waitMs: number): Promise<{ state: string; last_error_code: string | null } | undefined> {
  const rounds = Math.ceil(waitMs / POLL_MS);
  let job = await jobs.get(jobId);
  for (let i = 0; i < rounds && (job?.state === 'pending' || job?.state === 'running'); i++) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    job = await jobs.get(jobId);
  }
  return job;
}

const settled = (options: Bitrix24SettingsOptions, jobId: number) => settledJob(options.jobs, jobId, options.setupWaitMs ?? SETTINGS_SETUP_WAIT_MS);

async function connect(options: Bitrix24SettingsOptions, portalId: string, placement: Placement): Promise<SettingsOutcome> {
  const { lineId } = placement;
  const configuredLineId = options.configuredLineFor(portalId);
  if (configuredLineId !== null && configuredLineId !== lineId) return { kind: 'pinned', lineId, configuredLineId };
  const current = await options.lineOf(portalId);
  if (placement.connected && current?.lineId === lineId && current.active) return { kind: 'connected', lineId };
  const now = options.nowMs();
  const recorded = await options.events.record({
    source: `bitrix24-settings:${portalId}`, kind: 'SETTING_CONNECTOR', dedupeKey: `settings:${lineId}:${now}`, raw: JSON.stringify({ line: lineId }),
    jobs: [{ kind: BITRIX24_SETUP_JOB, conversationKey: portalSetupQueue(portalId), resourceKey: `portal:${portalId}`, payload: { portalId, lineId } }],
  });
  options.onStored?.();
  const jobId = recorded.jobIds[0];
  const job = jobId === undefined ? undefined : await settled(options, jobId);
  if (job?.state === 'done') return { kind: 'activated', lineId, previousLineId: current?.lineId ?? null };
  if (job?.state === 'dead') return { kind: 'failed', lineId, errorCode: job.last_error_code ?? 'BRG_ERR_INTERNAL' };
  return { kind: 'pending', lineId, lastErrorCode: job?.last_error_code ?? null };
}

export function bitrix24SettingsPlugin(options: Bitrix24SettingsOptions): FastifyPluginAsync {
  return async (app) => {
    app.post('/bitrix24/settings', async (request: FastifyRequest, reply) => {
      const form = parseForm(String(request.body ?? ''), { depth: 5 }) as Form;
      const placement = placementOf(form, options.connectorId);
      const portalId = await callerPortal(options, placement);
      const { status, html } = settingsPage(await connect(options, portalId, placement));
      return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
    });
    app.get('/bitrix24/settings', async () => {
      throw new HttpError('invalidBody', 'this is the MAX connector\'s settings page: Bitrix24 opens it (POST) in the Contact Center, MAX tile → Connect → pick an open line');
    });
  };
}
