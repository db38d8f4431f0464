/**
 * A portal's REST endpoint: `/rest/<method>` with OAuth (`auth` in query or
 * body), and `/rest/<user>/<secret>/<method>` for incoming webhooks. Params
 * from query, JSON or form body (PHP bracket keys). Order of checks: faults →
 * leaky bucket (every HTTP request counts) → auth → method → operating limit.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Bitrix24Context, CallAuth } from './context.ts';
import { timeBlock } from './envelope.ts';
import { B24Error, b24Errors, faultError } from './errors.ts';
import type { B24FaultRule, B24FaultTable } from './faults.ts';
import { prefetchClientFiles } from './file-fetch.ts';
import { runBatch } from './methods/batch.ts';
import { isListPage } from './methods/list-page.ts';
import type { PortalState } from './portal.ts';
import { hasMethod, operatingKey, runMethod } from './registry.ts';

function sendError(reply: FastifyReply, error: B24Error): FastifyReply {
  return reply.code(error.statusCode).send(error.toBody());
}

function authenticate(ctx: Bitrix24Context, portal: PortalState, segments: string[], params: Record<string, unknown>): CallAuth {
  if (segments.length === 3) {
    const hook = portal.webhooks.get(`${segments[0]}/${segments[1]}`);
    if (!hook) throw b24Errors.noAuth();
    return { kind: 'webhook', userId: hook.userId };
  }
  const token = params.auth;
  if (typeof token !== 'string' || token === '') throw b24Errors.noAuth();
  const record = ctx.accessTokens.get(token);
  if (!record || record.portalId !== portal.id) throw b24Errors.invalidToken();
  if (record.expiresAtMs <= Date.now()) throw b24Errors.expiredToken();
  return { kind: 'oauth', clientId: record.clientId, userId: record.userId };
}

/** The faults for one request; a `lose` rule is not applied here but returned, for after the call ran. */
async function applyFaults(faults: B24FaultTable, method: string, request: FastifyRequest, reply: FastifyReply): Promise<boolean | B24FaultRule> {
  const body = request.body && typeof request.body === 'object' && !Buffer.isBuffer(request.body) ? (request.body as Record<string, unknown>) : {};
  let lose: B24FaultRule | null = null;
  for (const rule of faults.pick(method, { ...(request.query as Record<string, unknown>), ...body })) {
    if (rule.kind === 'lose') lose = rule;
    else if (rule.kind === 'latency') await new Promise((r) => setTimeout(r, rule.latencyMs ?? 1_000));
    else if (rule.kind === 'status') {
      sendError(reply, faultError(rule.status, rule.code));
      return true;
    } else {
      reply.hijack();
      if (rule.kind === 'drop') request.raw.socket.destroy();
      return true;
    }
  }
  return lose ?? false;
}

/** The call ran; its answer never reaches the caller (`lose`): the connection is destroyed after `latencyMs`. */
function loseAnswer(rule: B24FaultRule, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  const timer = setTimeout(() => request.raw.socket.destroy(), rule.latencyMs ?? 0);
  timer.unref();
  request.raw.socket.once('close', () => clearTimeout(timer));
  return reply;
}

export function registerRestRoutes(app: FastifyInstance, ctx: Bitrix24Context, portal: PortalState, faults: B24FaultTable, log: RequestLog): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/rest/*',
    handler: async (request, reply) => {
      const started = Date.now();
      const segments = (request.params as { '*': string })['*'].split('/').filter(Boolean);
      const method = (segments.at(-1) ?? '').toLowerCase().replace(/\.(json|xml)$/, '');
      const fault = await applyFaults(faults, method, request, reply);
      if (fault === true) return reply;
      const lose = fault === false ? null : fault;
      if (!portal.bucket.tryAdd()) {
        log.push({ portalId: portal.id, method, atMs: started, outcome: 'QUERY_LIMIT_EXCEEDED' });
        return sendError(reply, b24Errors.queryLimit());
      }
      const body = request.body && typeof request.body === 'object' && !Buffer.isBuffer(request.body) ? (request.body as Record<string, unknown>) : {};
      const params = { ...(request.query as Record<string, unknown>), ...body };
      const messages = params.MESSAGES;
      const items = Array.isArray(messages) ? messages.length : messages && typeof messages === 'object' ? Object.keys(messages).length : undefined;
      log.push({ portalId: portal.id, method, atMs: started, outcome: 'accepted', ...(items === undefined ? {} : { items }) });
      try {
        if (segments.length !== 1 && segments.length !== 3) throw b24Errors.methodNotFound(segments.join('/'));
        const auth = authenticate(ctx, portal, segments, params);
        if (!hasMethod(method)) throw b24Errors.methodNotFound(method);
        delete params.auth;
        // The portal downloads a client's files while it handles the call (file-fetch.ts).
        if (method === 'imconnector.send.messages') await prefetchClientFiles(params);
        const commandFault = (m: string, p: Record<string, unknown>) => {
          const rule = faults.pickCommand(m, p);
          return rule ? faultError(rule.status, rule.code) : null;
        };
        const result = method === 'batch' ? runBatch(ctx, portal, auth, params, commandFault) : runMethod(ctx, portal, auth, method, params);
        if (lose) return loseAnswer(lose, request, reply);
        const time = timeBlock(started, portal.operating.state(operatingKey(auth, method)));
        if (isListPage(result)) {
          return reply.send({ result: result.result, total: result.total, ...(result.next !== undefined ? { next: result.next } : {}), time });
        }
        return reply.send({ result, time });
      } catch (err) {
        if (err instanceof B24Error) return sendError(reply, err);
        request.log.error(err);
        return sendError(reply, b24Errors.internal());
      }
    },
  });
  // The file's name follows as a wildcard: a real portal serves names of any length (Fastify's
  // `:name` parameter would refuse one over 100 characters).
  app.get('/upload/:id/*', async (request, reply) => {
    const file = portal.files.get((request.params as { id: string }).id);
    if (!file) return reply.code(404).send('Not found');
    return reply.header('content-type', file.type).send(file.data);
  });
}

export interface RequestLogEntry {
  portalId: number;
  method: string;
  atMs: number;
  outcome: 'accepted' | 'QUERY_LIMIT_EXCEEDED';
  /** How many MESSAGES items the request carried (imconnector.*.messages), for coalescing figures. */
  items?: number;
}

export type RequestLog = RequestLogEntry[];
