/**
 * The control API (prefix /_control on the OAuth/control origin, no auth): set
 * up apps, portals, lines and webhooks; install/uninstall; act as an operator;
 * inspect lines, chats, CRM, bindings, event deliveries, refresh calls and the
 * request log; set a line's CRM settings and lag; convert a lead as an
 * operator would; inject faults and change limits. Documented in
 * docs/emulators-bitrix24.md.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Bitrix24Context } from './context.ts';
import { convertLead } from './crm-convert.ts';
import type { B24FaultRule, B24FaultTable } from './faults.ts';
import { finishInstall, installApp, uninstallApp } from './install.ts';
import type { PortalLimits } from './limits.ts';
import { makeLine, settingsFromControl } from './lines.ts';
import { lineView } from './methods/imopenlines.ts';
import type { LineState, OlChat } from './model.ts';
import { closeChat, operatorDelete, operatorEdit, operatorMessage, systemMessage, transferChat } from './openlines.ts';
import { SYSTEM_SHAPES, type SystemMessageKind } from './operator-text.ts';
import { operatorPageHtml } from './operator-page.ts';
import { openConnectorSettings } from './placement.ts';
import type { PortalState } from './portal.ts';
import type { RequestLog } from './rest-routes.ts';

class ControlError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

type Body = Record<string, unknown>;
const bodyOf = (req: FastifyRequest): Body => (req.body && typeof req.body === 'object' ? (req.body as Body) : {});

export interface ControlDeps {
  ctx: Bitrix24Context;
  faults: B24FaultTable[];
  requestLog: RequestLog;
}

function portalOf(deps: ControlDeps, req: FastifyRequest): PortalState {
  const portal = deps.ctx.portals[Number((req.params as { p: string }).p)];
  if (!portal) throw new ControlError(404, 'portal not found');
  return portal;
}

function chatOf(portal: PortalState, req: FastifyRequest): OlChat {
  const chat = portal.chats.get(Number((req.params as { chatId: string }).chatId));
  if (!chat) throw new ControlError(404, 'chat not found');
  return chat;
}

/** A line as the control API shows it: the REST view plus the tracker's lag. */
function lineControlView(line: LineState): Body {
  return { ...lineView(line), crmLagMs: line.crmLagMs };
}

export function chatView(portal: PortalState, chat: OlChat): Body {
  return {
    ...chat,
    line: lineView(portal.lines.get(chat.lineId) ?? makeLine(chat.lineId, { name: '(удалена)', active: false, crm: 'N', crmCreate: 'none' })),
    messages: chat.messageIds.map((id) => portal.messages.get(id)).filter(Boolean),
  };
}

export function registerControlRoutes(app: FastifyInstance, deps: ControlDeps): void {
  const { ctx } = deps;
  app.setErrorHandler((error: Error & { statusCode?: number }, _req, reply) =>
    reply.code(error.statusCode ?? 500).send({ error: error.message }),
  );
  app.get('/_control/ui', async (_req, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(operatorPageHtml()));
  app.get('/_control/state', async () => ({
    apps: [...ctx.apps.keys()],
    portals: ctx.portals.map((p) => ({
      id: p.id, base_url: p.baseUrl, domain: p.domain, member_id: p.memberId, limits: p.limits,
      lines: [...p.lines.values()].map((l) => ({ ...lineControlView(l), connectors: [...l.connectors] })),
      connectors: [...p.connectors.values()].map(({ raw: _raw, ...c }) => c),
      installs: [...p.installs.values()],
      operators: [...p.operators.values()],
    })),
  }));
  app.post('/_control/apps', async (req) => {
    const b = bodyOf(req);
    const clientId = String(b.clientId ?? `local.${randomBytes(6).toString('hex')}`);
    const clientSecret = String(b.clientSecret ?? randomBytes(16).toString('hex'));
    ctx.apps.set(clientId, { clientId, clientSecret });
    return { clientId, clientSecret };
  });
  app.post('/_control/portals/:p/install', async (req) => {
    const b = bodyOf(req);
    if (!ctx.apps.has(String(b.clientId))) throw new ControlError(400, 'unknown app: create it with POST /_control/apps');
    if (typeof b.handlerUrl !== 'string') throw new ControlError(400, 'handlerUrl required');
    return installApp(ctx, portalOf(deps, req), { clientId: String(b.clientId), handlerUrl: b.handlerUrl, mode: b.mode === 'page' ? 'page' : 'event' });
  });
  app.post('/_control/portals/:p/install-finish', async (req) => ({ ok: finishInstall(portalOf(deps, req), String(bodyOf(req).clientId)) }));
  app.post('/_control/portals/:p/uninstall', async (req) => ({ ok: uninstallApp(ctx, portalOf(deps, req), String(bodyOf(req).clientId)) }));
  app.post('/_control/portals/:p/connectors/:id/settings', async (req) => {
    const answer = await openConnectorSettings(ctx, portalOf(deps, req), (req.params as { id: string }).id, Number(bodyOf(req).line));
    if ('refused' in answer) throw new ControlError(409, answer.refused);
    return answer;
  });
  app.post('/_control/portals/:p/webhooks', async (req) => {
    const portal = portalOf(deps, req);
    const userId = Number(bodyOf(req).userId ?? 1);
    const secret = randomBytes(8).toString('hex');
    portal.webhooks.set(`${userId}/${secret}`, { userId });
    return { url: `${portal.baseUrl}/rest/${userId}/${secret}/` };
  });
  app.post('/_control/portals/:p/expire-tokens', async (req) => {
    const portal = portalOf(deps, req);
    let count = 0;
    for (const record of ctx.accessTokens.values()) {
      if (record.portalId !== portal.id) continue;
      record.expiresAtMs = 0;
      count++;
    }
    return { expired: count };
  });
  registerLineControl(app, deps);
  registerOperatorControl(app, deps);
  registerInspection(app, deps);
}

function registerLineControl(app: FastifyInstance, deps: ControlDeps): void {
  const { ctx } = deps;
  app.post('/_control/portals/:p/lines', async (req) => lineControlView(portalOf(deps, req).addLine({ name: 'Линия', ...settingsFromControl(bodyOf(req)) })));
  app.patch('/_control/portals/:p/lines/:lineId', async (req) => {
    const line = portalOf(deps, req).lines.get(Number((req.params as { lineId: string }).lineId));
    if (!line) throw new ControlError(404, 'line not found');
    Object.assign(line, settingsFromControl(bodyOf(req)));
    return lineControlView(line);
  });
  app.delete('/_control/portals/:p/lines/:lineId', async (req) => {
    const portal = portalOf(deps, req);
    const lineId = Number((req.params as { lineId: string }).lineId);
    const line = portal.lines.get(lineId);
    if (!line) throw new ControlError(404, 'line not found');
    portal.lines.delete(lineId);
    for (const connectorId of line.connectors) {
      const connector = portal.connectors.get(connectorId);
      if (connector) ctx.emitEvent(portal, connector.clientId, 'ONIMCONNECTORLINEDELETE', lineId);
    }
    return { deleted: lineId };
  });
  app.post('/_control/portals/:p/lines/:lineId/deactivate', async (req) => {
    const portal = portalOf(deps, req);
    const line = portal.lines.get(Number((req.params as { lineId: string }).lineId));
    const connector = portal.connectors.get(String(bodyOf(req).connector));
    if (!line || !connector) throw new ControlError(404, 'line or connector not found');
    if (line.connectors.delete(connector.id)) {
      ctx.emitEvent(portal, connector.clientId, 'ONIMCONNECTORSTATUSDELETE', { connector: connector.id, line: String(line.id) });
    }
    return { ok: true };
  });
  app.put('/_control/portals/:p/limits', async (req) => {
    const portal = portalOf(deps, req);
    portal.setLimits(bodyOf(req) as Partial<PortalLimits>);
    portal.bucket.reset();
    portal.operating.reset();
    return portal.limits;
  });
  app.put('/_control/portals/:p/faults', async (req) => {
    const rules = bodyOf(req).rules;
    if (!Array.isArray(rules)) throw new ControlError(400, 'rules: array required');
    const table = deps.faults[portalOf(deps, req).id];
    table?.set(rules as B24FaultRule[]);
    return { rules: table?.list() ?? [] };
  });
  // Bitrix24's clock off from this machine's by skewMs (Date headers, tokens' expires); 0 puts it right.
  app.put('/_control/clock', async (req) => {
    const skewMs = bodyOf(req).skewMs;
    if (typeof skewMs !== 'number' || !Number.isFinite(skewMs)) throw new ControlError(400, 'skewMs: a number of milliseconds (negative: behind)');
    ctx.settings.clockSkewMs = skewMs;
    return { skewMs };
  });
  app.put('/_control/events', async (req) => {
    const b = bodyOf(req);
    const s = ctx.settings;
    if (typeof b.delayMs === 'number') s.eventDelayMs = b.delayMs;
    if (typeof b.dropRate === 'number') s.eventDropRate = b.dropRate;
    if (typeof b.duplicateRate === 'number') s.eventDuplicateRate = b.duplicateRate;
    if (typeof b.reorder === 'boolean') s.eventReorder = b.reorder;
    return s;
  });
}

function registerOperatorControl(app: FastifyInstance, deps: ControlDeps): void {
  const { ctx } = deps;
  app.post('/_control/portals/:p/chats/:chatId/reply', async (req) => {
    const portal = portalOf(deps, req);
    const chat = chatOf(portal, req);
    const b = bodyOf(req);
    const files = (Array.isArray(b.files) ? b.files : []).map((f: Body) => {
      const id = randomBytes(6).toString('hex');
      const name = String(f.name ?? 'file.bin');
      const data = Buffer.from(String(f.content_base64 ?? ''), 'base64');
      const type = String(f.type ?? 'file');
      portal.files.set(id, { name, data, type: String(f.mime ?? 'application/octet-stream') });
      return { name, url: `${portal.baseUrl}/upload/${id}/${encodeURIComponent(name)}`, type, size: data.length };
    });
    const quote = b.quoteMessageId === undefined ? {} : { quoteMessageId: Number(b.quoteMessageId) };
    if (quote.quoteMessageId !== undefined && portal.messages.get(quote.quoteMessageId)?.chatId !== chat.chatId) throw new ControlError(404, 'quoted message not found in this chat');
    const message = operatorMessage(ctx, portal, chat, { text: String(b.text ?? ''), operatorId: Number(b.operatorId ?? chat.operatorId), files, ...quote });
    return { message };
  });
  app.put('/_control/portals/:p/messages/:id', async (req) => {
    const portal = portalOf(deps, req);
    const message = portal.messages.get(Number((req.params as { id: string }).id));
    if (!message || message.direction !== 'out') throw new ControlError(404, 'operator message not found');
    operatorEdit(ctx, portal, message, String(bodyOf(req).text ?? ''));
    return { message };
  });
  app.delete('/_control/portals/:p/messages/:id', async (req) => {
    const portal = portalOf(deps, req);
    const message = portal.messages.get(Number((req.params as { id: string }).id));
    if (!message || message.direction !== 'out') throw new ControlError(404, 'operator message not found');
    operatorDelete(ctx, portal, message);
    return { message };
  });
  app.post('/_control/portals/:p/chats/:chatId/transfer', async (req) => {
    const portal = portalOf(deps, req);
    transferChat(ctx, portal, chatOf(portal, req), Number(bodyOf(req).operatorId ?? 3));
    return { ok: true };
  });
  app.post('/_control/portals/:p/chats/:chatId/system', async (req) => {
    const portal = portalOf(deps, req);
    const b = bodyOf(req);
    const kind = String(b.kind ?? '') as SystemMessageKind;
    if (!Object.hasOwn(SYSTEM_SHAPES, kind)) throw new ControlError(400, `kind must be one of ${Object.keys(SYSTEM_SHAPES).join(', ')}`);
    const message = systemMessage(ctx, portal, chatOf(portal, req), kind, b.text === undefined ? undefined : String(b.text));
    return { message };
  });
  app.post('/_control/portals/:p/chats/:chatId/close', async (req) => {
    const portal = portalOf(deps, req);
    closeChat(ctx, portal, chatOf(portal, req));
    return { ok: true };
  });
  app.post('/_control/portals/:p/crm/lead/:id/convert', async (req) => {
    const b = bodyOf(req);
    const categoryId = b.categoryId === undefined ? 0 : Number(b.categoryId);
    if (!Number.isInteger(categoryId) || categoryId < 0) throw new ControlError(400, 'categoryId: a category number (0: the general funnel)');
    const result = convertLead(ctx, portalOf(deps, req), Number((req.params as { id: string }).id), { deal: b.deal !== false, categoryId });
    if ('refused' in result) throw new ControlError(result.refused === 'lead not found' ? 404 : 409, result.refused);
    return result;
  });
}

function registerInspection(app: FastifyInstance, deps: ControlDeps): void {
  const { ctx } = deps;
  app.get('/_control/portals/:p/chats', async (req) => {
    const portal = portalOf(deps, req);
    return { chats: [...portal.chats.values()].map((c) => chatView(portal, c)) };
  });
  app.get('/_control/portals/:p/chats/:chatId', async (req) => {
    const portal = portalOf(deps, req);
    return chatView(portal, chatOf(portal, req));
  });
  app.get('/_control/portals/:p/crm/:type', async (req) => {
    const portal = portalOf(deps, req);
    const type = (req.params as { type: string }).type as 'lead' | 'contact' | 'deal' | 'company';
    if (!(type in portal.crm)) throw new ControlError(400, 'type: lead|contact|deal|company');
    return { items: [...portal.crm[type].values()], timeline: portal.timeline };
  });
  app.get('/_control/portals/:p/bindings', async (req) => ({ bindings: portalOf(deps, req).bindings }));
  app.get('/_control/portals/:p/notifications', async (req) => ({ notifications: portalOf(deps, req).notifications }));
  app.get('/_control/deliveries', async () => ({ deliveries: ctx.deliveries, ...ctx.pendingDeliveries() }));
  app.get('/_control/refresh-calls', async () => ({ calls: ctx.refreshCalls }));
  app.get('/_control/requests', async () => ({ requests: deps.requestLog }));
}
