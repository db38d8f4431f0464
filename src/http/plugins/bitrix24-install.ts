/**
 * App install: `POST /bitrix24/install` (the portal found by its domain among
 * the configured portals: one handler URL for an app on several portals) or
 * `POST /bitrix24/install/:portalId`, form-encoded, in both forms
 * Bitrix24 uses (spec §3): the ONAPPINSTALL event (auth[...] fields) and the
 * install page (AUTH_ID, REFRESH_ID, SERVER_ENDPOINT…; answered with a page that
 * calls BX24.installFinish()). Tokens are stored encrypted, then a setup job
 * registers the connector, activates the line and binds events (idempotent).
 *
 * Safety: our client_secret goes to `server_endpoint` on every refresh, so only
 * the official OAuth servers (or loopback, for the sandbox and tests) are
 * accepted; a portal already installed can be re-installed only by the same
 * member_id. The access token is checked against the portal (app.info) before
 * anything is stored.
 */
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseForm } from 'qs';
import { checkServiceUrl, isLoopbackHost } from '../../config/url-rules.ts';
import type { JournalEntry, JournalWriter, PortalTokens } from '../../domain/ports.ts';
import { redactText } from '../../journal/redact.ts';
import { codeOf } from '../../log/logger.ts';
import { BITRIX24_SETUP_JOB, portalSetupQueue } from '../../queue/job-kinds.ts';
import type { EventRepo } from '../../store/repos/event-repo.ts';
import type { PortalRepo } from '../../store/repos/portal-repo.ts';
import { HttpError } from '../http-errors.ts';

export const OFFICIAL_OAUTH_SERVERS = ['https://oauth.bitrix.info/rest/', 'https://oauth.bitrix24.tech/rest/'];

export interface Bitrix24InstallOptions {
  portals: PortalRepo;
  events: EventRepo;
  /** client_id of the configured app for this portal id, or undefined when not configured. */
  clientIdFor: (portalId: string) => string | undefined;
  /**
   * For `POST /bitrix24/install` (one handler URL for an app installed on several
   * portals): the configured portal id for the installing portal's domain, or undefined.
   */
  portalIdForDomain?: (domain: string) => string | undefined;
  nowMs: () => number;
  fetchFn?: typeof fetch;
  onStored?: () => void;
  /** Every install request is journaled (direction in), accepted or refused, its body without the tokens. */
  journal?: JournalWriter;
}

type Form = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function endpointAllowed(url: string, allowed: string[]): boolean {
  try {
    const u = new URL(url);
    return allowed.includes(url) || ((u.protocol === 'http:' || u.protocol === 'https:') && isLoopbackHost(u.hostname));
  } catch {
    return false; // not a URL: not an allowed endpoint
  }
}

function tokensFrom(form: Form, portalId: string, nowMs: number): PortalTokens | null {
  const auth = (form.auth && typeof form.auth === 'object' ? form.auth : null) as Form | null;
  if (str(form.event).toUpperCase() === 'ONAPPINSTALL' && auth) {
    return {
      portalId, memberId: str(auth.member_id), domain: str(auth.domain), accessToken: str(auth.access_token), refreshToken: str(auth.refresh_token),
      expiresAtMs: nowMs + Number(str(auth.expires_in) || '3600') * 1000, clientEndpoint: str(auth.client_endpoint),
      serverEndpoint: str(auth.server_endpoint), applicationToken: str(auth.application_token),
    };
  }
  if (form.AUTH_ID) {
    const domain = str(form.DOMAIN);
    return {
      portalId, memberId: str(form.member_id), domain, accessToken: str(form.AUTH_ID), refreshToken: str(form.REFRESH_ID),
      // PROTOCOL=0: a portal served over plain http (on-premise); only loopback passes the URL check then.
      expiresAtMs: nowMs + Number(str(form.AUTH_EXPIRES) || '3600') * 1000, clientEndpoint: `${str(form.PROTOCOL) === '0' ? 'http' : 'https'}://${domain}/rest/`,
      serverEndpoint: str(form.SERVER_ENDPOINT), applicationToken: str(form.APPLICATION_TOKEN),
    };
  }
  return null;
}

/** The access token is valid for our app (client_id) at the portal: app.info answers with it. */
export async function verifyAtPortal(tokens: PortalTokens, clientId: string, fetchFn: typeof fetch, log?: FastifyBaseLogger): Promise<void> {
  // Any failure to ask or to read the answer means "not verified" (401 below); the log says which.
  const res = await fetchFn(`${tokens.clientEndpoint.replace(/\/?$/, '/')}app.info`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ auth: tokens.accessToken }),
    signal: AbortSignal.timeout(10_000),
  }).catch((err: unknown) => {
    log?.warn({ err, portalId: tokens.portalId }, 'app.info at the portal did not answer; the caller is not verified');
    return null;
  });
  if (res && !res.ok) log?.warn({ portalId: tokens.portalId, status: res.status }, 'app.info at the portal refused the token; the caller is not verified');
  const body = res?.ok ? ((await res.json().catch((err: unknown) => {
    log?.warn({ err, portalId: tokens.portalId }, 'app.info answered something that is not JSON; the caller is not verified');
    return null;
  })) as { result?: { CODE?: string; CLIENT_ID?: string } } | null) : null;
  const code = body?.result?.CLIENT_ID ?? body?.result?.CODE;
  if (code !== clientId) throw new HttpError('unauthorized', 'the access token is not valid for this app at the given portal');
}

export function bitrix24InstallPlugin(options: Bitrix24InstallOptions): FastifyPluginAsync {
  return async (app) => {
    const install = async (request: FastifyRequest, reply: FastifyReply, givenPortalId: string | null) => {
      const form = { ...(parseForm(String(request.body ?? '')) as Form), ...(request.query as Form) };
      let portalId = givenPortalId;
      if (portalId === null) {
        const auth = (form.auth && typeof form.auth === 'object' ? form.auth : {}) as Form;
        const domain = str(auth.domain) || str(form.DOMAIN);
        if (!domain) throw new HttpError('invalidBody', 'expected ONAPPINSTALL with auth[domain] or the install page fields (DOMAIN, AUTH_ID, REFRESH_ID, member_id)');
        portalId = options.portalIdForDomain?.(domain) ?? null;
        if (portalId === null) throw new HttpError('notFound', `no portal in the configuration for ${domain}: add it to portals[] with url: https://${domain}`);
      }
      const clientId = options.clientIdFor(portalId);
      if (!clientId) throw new HttpError('notFound', `no portal "${portalId}" in the configuration`);
      const tokens = tokensFrom(form, portalId, options.nowMs());
      if (!tokens || !tokens.accessToken || !tokens.refreshToken || !tokens.memberId || !tokens.clientEndpoint) {
        throw new HttpError('invalidBody', 'expected ONAPPINSTALL with auth[...] or the install page fields (AUTH_ID, REFRESH_ID, member_id)');
      }
      if (!tokens.applicationToken) {
        throw new HttpError('invalidBody', 'application_token is missing (auth[application_token] or APPLICATION_TOKEN): events from this portal could not be verified');
      }
      if (!endpointAllowed(tokens.serverEndpoint, OFFICIAL_OAUTH_SERVERS)) {
        throw new HttpError('unauthorized', 'server_endpoint must be an official Bitrix24 OAuth server');
      }
      if (checkServiceUrl(tokens.clientEndpoint)) throw new HttpError('invalidBody', 'client_endpoint must be an https:// URL');
      const current = await options.portals.load(portalId).catch((err: unknown) => {
        // Read as "not installed yet": the member_id check is skipped, and storing the install below fails the same way if the store is down.
        request.log.warn({ err, portalId }, 'reading the stored install failed; treated as a first install');
        return null;
      });
      if (current && current.memberId !== tokens.memberId) throw new HttpError('unauthorized', 'this portal id is installed on another Bitrix24 portal (member_id differs)');
      await verifyAtPortal(tokens, clientId, options.fetchFn ?? fetch, request.log);
      await options.portals.upsertInstall(tokens, clientId);
      await options.events.record({
        source: `bitrix24-install:${portalId}`, kind: 'ONAPPINSTALL', dedupeKey: `install:${tokens.memberId}:${options.nowMs()}`, raw: '{}',
        jobs: [{ kind: BITRIX24_SETUP_JOB, conversationKey: portalSetupQueue(portalId), resourceKey: `portal:${portalId}`, payload: { portalId } }],
      });
      options.onStored?.();
      if (form.AUTH_ID) {
        return reply.header('content-type', 'text/html; charset=utf-8').send(
          '<!doctype html><html lang="ru"><head><meta charset="utf-8"><script src="//api.bitrix24.com/api/v1/"></script></head>' +
            '<body><p>Мост MAX установлен. Настройка линии выполняется…</p><script>BX24.init(function(){BX24.installFinish();});</script></body></html>',
        );
      }
      return reply.send({ ok: true });
    };
    /** The install, journaled whatever its outcome: the request with its tokens redacted, the status, the refusal's code. */
    const journaled = async (request: FastifyRequest, reply: FastifyReply, givenPortalId: string | null) => {
      const startedMs = options.nowMs();
      const entry: JournalEntry = {
        atMs: startedMs, side: 'bitrix24', direction: 'in', method: 'POST', endpoint: 'ONAPPINSTALL', status: 200, durationMs: 0,
        ...(givenPortalId ? { portalId: givenPortalId } : {}), requestBody: redactText(String(request.body ?? '')) ?? undefined,
      };
      try {
        return await install(request, reply, givenPortalId);
      } catch (err) {
        entry.status = err instanceof HttpError ? err.spec.statusCode : 500;
        entry.errorCode = err instanceof HttpError ? err.spec.code : codeOf(err);
        throw err;
      } finally {
        entry.durationMs = options.nowMs() - startedMs;
        void options.journal?.write(entry).catch((err: unknown) => request.log.warn({ err, portalId: givenPortalId }, 'journal write failed for an install request'));
      }
    };
    app.post('/bitrix24/install', (request, reply) => journaled(request, reply, null));
    app.post('/bitrix24/install/:portalId', (request, reply) => journaled(request, reply, (request.params as { portalId: string }).portalId));
  };
}
