/** Helpers for Bitrix24 emulator tests: an app handler that records form POSTs, and control calls. */
import { createServer, type Server } from 'node:http';
import { parse as parseQuery } from 'qs';
import { startBitrix24Emulator, type Bitrix24Emulator, type Bitrix24EmulatorOptions } from '../../../emulators/bitrix24/index.ts';

export interface HandlerHit {
  body: Record<string, unknown>;
  raw: string;
  contentType: string | undefined;
  query: string;
}

export interface AppHandler {
  url: string;
  hits: HandlerHit[];
  /** Status to answer with, or 'hang' to never answer. */
  answer: number | 'hang';
  close(): Promise<void>;
}

export async function startAppHandler(): Promise<AppHandler> {
  const hits: HandlerHit[] = [];
  const handler: AppHandler = { url: '', hits, answer: 200, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      hits.push({ body: parseQuery(raw, { depth: 10 }) as Record<string, unknown>, raw, contentType: req.headers['content-type'], query: (req.url ?? '').split('?')[1] ?? '' });
      if (handler.answer === 'hang') return;
      res.writeHead(handler.answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  handler.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/bitrix24/install`;
  handler.close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return handler;
}

export async function ctl(controlUrl: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(controlUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** A REST call as an OAuth app would make it: JSON body with `auth`. */
export async function rest(baseUrl: string, method: string, params: Record<string, unknown>, auth?: string) {
  const res = await fetch(`${baseUrl}/rest/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(auth ? { ...params, auth } : params),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
}

export async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Installs an app (API-only mode) and returns the auth fields ONAPPINSTALL delivered. */
export async function installApp(controlUrl: string, handler: AppHandler, portal = 0) {
  const app = await ctl(controlUrl, 'POST', '/apps', { clientId: 'local.bridge.1', clientSecret: 'secret-of-app' });
  const seen = handler.hits.length;
  await ctl(controlUrl, 'POST', `/portals/${portal}/install`, { clientId: app.clientId, handlerUrl: handler.url });
  const hit = await waitFor(() => handler.hits.slice(seen).find((h) => h.body.event === 'ONAPPINSTALL'));
  return { app: app as { clientId: string; clientSecret: string }, auth: hit.body.auth as Record<string, string>, hit };
}

/** The PortalTokens the bridge would store from an ONAPPINSTALL auth block. */
export function tokensFromInstall(portalId: string, auth: Record<string, string>) {
  return {
    portalId, memberId: auth.member_id!, domain: auth.domain!, accessToken: auth.access_token!, refreshToken: auth.refresh_token!,
    expiresAtMs: Number(auth.expires) * 1000, clientEndpoint: auth.client_endpoint!, serverEndpoint: auth.server_endpoint!,
    applicationToken: auth.application_token!,
  };
}

export interface EmulatorWithApp {
  emu: Bitrix24Emulator;
  handler: AppHandler;
  /** The app's access token on portal 0, from ONAPPINSTALL. */
  token: string;
  /** Portal 0's base URL. */
  base: string;
  close(): Promise<void>;
}

/** A fresh emulator with an app installed on portal 0 (API-only mode), for a describe block's before(). */
export async function startEmulatorWithApp(options: Bitrix24EmulatorOptions = {}): Promise<EmulatorWithApp> {
  const emu = await startBitrix24Emulator(options);
  const handler = await startAppHandler();
  const { auth } = await installApp(emu.controlUrl, handler);
  return {
    emu, handler, token: auth.access_token!, base: emu.portals[0]!.baseUrl,
    close: async () => {
      await emu.close();
      await handler.close();
    },
  };
}
