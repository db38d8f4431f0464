/**
 * The admin web UI (docs/admin-ui.md): `GET /admin/` (the overview), every page of ADMIN_PAGES at
 * `/admin/ui/<path>` (GET, and POST for its forms), `GET|POST /admin/login`, `POST /admin/logout`,
 * and the static files at `/admin/assets/<name>`. Server-rendered HTML (src/admin/), Russian by
 * default (`?lang=en` switches, remembered in a cookie).
 *
 * Its own authentication, not the admin API's bearer token: named users and a session cookie
 * (src/admin/access.ts). A page without a session redirects (303) to the login. Every POST is
 * checked, in this order: not cross-site (src/admin/cross-site.ts) — else 403 BRG_ERR_ADMIN_CSRF
 * before anything else, even without a session; a session; the form's `_csrf` equal to the
 * session's — else 403 BRG_ERR_ADMIN_CSRF; the admin role (a viewer only reads) — else 403
 * BRG_ERR_ADMIN_FORBIDDEN. Every answer carries a strict Content-Security-Policy (the bridge's own
 * files only), forbids framing, and pages are not cached.
 *
 * Cookies and forms are parsed by @fastify/cookie and @fastify/formbody, registered inside this
 * plugin only (src/http/app.ts keeps every other body as raw text).
 */
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { logIn, logOut, sessionOf, type AdminSession } from '../../admin/access.ts';
import { ADMIN_ASSETS, ASSET_CACHE_IMMUTABLE, ASSET_CACHE_REVALIDATE, assetHash } from '../../admin/assets.ts';
import { crossSiteProblem, originOf, sameToken } from '../../admin/cross-site.ts';
import type { AdminUiDeps } from '../../admin/deps.ts';
import { formatTime, LANG_COOKIE, parseLang, setDisplayTimeZone, tr } from '../../admin/i18n.ts';
import { renderLayout } from '../../admin/layout.ts';
import { pageUrl, type AdminPage, type Lang, type PageContext, type PageOutcome } from '../../admin/page.ts';
import { ADMIN_PAGES } from '../../admin/pages/index.ts';
import { renderView } from '../../admin/render.ts';
import { pageMask } from '../../admin/viewer-mask.ts';
import { LOGIN_VIEW } from '../../admin/views/login.ts';
import { MESSAGE_VIEW } from '../../admin/views/message.ts';
import { privacyHashKey } from '../../journal/hash-key.ts';
import { HTTP_ERRORS, HttpError, type HttpErrorSpec } from '../http-errors.ts';

export interface AdminUiOptions {
  deps: AdminUiDeps;
  /** The pages served (default ADMIN_PAGES). */
  pages?: readonly AdminPage[];
}

export const SESSION_COOKIE = 'bridge_admin_session';
const COOKIE_PATH = '/admin';
const LANG_COOKIE_MAX_AGE_S = 365 * 86_400;

/**
 * `style-src 'self'` with no inline styles: uPlot styles its elements through the DOM (allowed)
 * and its stylesheet is one of our files. `img-src data:` for the empty favicon and charts' exports.
 * Referrer-Policy is `same-origin`, not `no-referrer`: with `no-referrer` a browser sends
 * `Origin: null` on the UI's own form POSTs, which the origin check would then have to accept;
 * `same-origin` still sends nothing to other sites.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};

type Req = FastifyRequest;

/** Each field's first value (a form or a query string may repeat a name). */
function firstValues(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (input === null || typeof input !== 'object') return out;
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const first = Array.isArray(value) ? (value as unknown[])[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}

/** Where a login may send the browser: a page of the UI only (never another site). */
function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/admin/') || next.startsWith('/admin/login') || /[\\\s]/.test(next) || next.includes('//')) return '/admin/';
  return next;
}

export function adminUiPlugin(options: AdminUiOptions): FastifyPluginAsync {
  const { deps } = options;
  const pages = options.pages ?? ADMIN_PAGES;
  const hashKey = privacyHashKey(deps.config().security.secret_key);
  const log = deps.log;

  const secureCookie = (request: Req) => request.protocol === 'https' || (deps.config().server.public_url ?? '').startsWith('https:');

  /** The language: `?lang=` (remembered), else the cookie's, else Russian. */
  function langOf(request: Req, reply: FastifyReply): Lang {
    const asked = parseLang(firstValues(request.query).lang);
    if (asked && asked !== request.cookies[LANG_COOKIE]) {
      void reply.setCookie(LANG_COOKIE, asked, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: secureCookie(request), maxAge: LANG_COOKIE_MAX_AGE_S });
    }
    return asked ?? parseLang(request.cookies[LANG_COOKIE]) ?? 'ru';
  }

  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);

  /** A refusal or an error as a page of its own (the layout, without the navigation). */
  function messagePage(request: Req, reply: FastifyReply, lang: Lang, spec: HttpErrorSpec, session?: AdminSession | null) {
    const t = tr(lang);
    const body = renderView(MESSAGE_VIEW, {
      t, message: lang === 'ru' ? spec.messageRu : spec.messageEn, code: spec.code,
      back: session ? '/admin/' : '/admin/login', backLabel: session ? t('На обзор', 'To the overview') : t('Ко входу', 'To the login'),
    });
    return html(reply, spec.statusCode, renderLayout({
      lang, title: t('Запрос отклонён', 'Request refused'), body, url: request.url,
      user: session?.user, csrfToken: session?.csrfToken, pages,
    }));
  }

  function ownOrigins(request: Req): string[] {
    const origins = [`${request.protocol}://${request.headers.host ?? ''}`];
    const configured = originOf(deps.config().server.public_url);
    if (configured) origins.push(configured);
    return origins;
  }

  /** The cross-site check of a POST; answers the 403 itself and returns false when refused. */
  function fromOurSite(request: Req, reply: FastifyReply, lang: Lang): boolean {
    const h = request.headers;
    const problem = crossSiteProblem({
      origin: h.origin, referer: h.referer, secFetchSite: typeof h['sec-fetch-site'] === 'string' ? h['sec-fetch-site'] : undefined,
    }, ownOrigins(request));
    if (problem === null) return true;
    log.warn({ path: request.url.split('?')[0], reason: problem }, 'admin UI: a cross-site form was refused');
    void messagePage(request, reply, lang, HTTP_ERRORS.adminCrossSite);
    return false;
  }

  const loginRedirect = (reply: FastifyReply, request: Req) => reply.code(303).header('location', `/admin/login?next=${encodeURIComponent(request.url)}`).send();

  function contextOf(request: Req, lang: Lang, session: AdminSession): PageContext {
    setDisplayTimeZone(deps.config().analytics.time_zone);
    return {
      lang, user: session.user, csrfToken: session.csrfToken, nowMs: deps.nowMs(), deps,
      query: firstValues(request.query), params: firstValues(request.params),
      mask: pageMask(session.user.role, deps.policy(), hashKey), t: tr(lang),
    };
  }

  function sendOutcome(request: Req, reply: FastifyReply, ctx: PageContext, page: AdminPage | undefined, outcome: PageOutcome) {
    if ('redirect' in outcome) return reply.code(303).header('location', outcome.redirect).send();
    const [status, result] = 'status' in outcome ? [outcome.status, outcome.result] : [200, outcome];
    return html(reply, status, renderLayout({
      lang: ctx.lang, title: result.title, body: result.html, url: request.url, user: ctx.user, csrfToken: ctx.csrfToken, pages, current: page,
    }));
  }

  async function servePage(page: AdminPage, request: Req, reply: FastifyReply) {
    const lang = langOf(request, reply);
    const session = await sessionOf(deps.store.adminUsers, request.cookies[SESSION_COOKIE], deps.nowMs());
    if (!session) return loginRedirect(reply, request);
    if (!(page.roles ?? ['admin', 'viewer']).includes(session.user.role)) return messagePage(request, reply, lang, HTTP_ERRORS.adminForbidden, session);
    const ctx = contextOf(request, lang, session);
    return sendOutcome(request, reply, ctx, page, await page.get(ctx));
  }

  async function postPage(page: AdminPage, request: Req, reply: FastifyReply) {
    const lang = langOf(request, reply);
    if (!fromOurSite(request, reply, lang)) return reply;
    const session = await sessionOf(deps.store.adminUsers, request.cookies[SESSION_COOKIE], deps.nowMs());
    if (!session) return loginRedirect(reply, request);
    const form = firstValues(request.body);
    if (!sameToken(form._csrf, session.csrfToken)) {
      log.warn({ path: request.url.split('?')[0], admin: session.user.username }, 'admin UI: a form without the session\'s CSRF token was refused');
      return messagePage(request, reply, lang, HTTP_ERRORS.adminCrossSite, session);
    }
    if (session.user.role !== 'admin' || !(page.roles ?? ['admin', 'viewer']).includes(session.user.role)) {
      log.warn({ path: request.url.split('?')[0], admin: session.user.username, role: session.user.role }, 'admin UI: a viewer\'s form was refused');
      return messagePage(request, reply, lang, HTTP_ERRORS.adminForbidden, session);
    }
    const ctx = contextOf(request, lang, session);
    return sendOutcome(request, reply, ctx, page, await (page.post as NonNullable<AdminPage['post']>)(ctx, form));
  }

  return async (app) => {
    await app.register(fastifyCookie);
    // The root parser keeps forms as raw text (src/http/app.ts); here they are parsed into fields.
    app.removeContentTypeParser('application/x-www-form-urlencoded');
    await app.register(fastifyFormbody, { bodyLimit: 256 * 1024 });
    app.addHook('onSend', async (_request, reply, payload) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    });
    app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      const spec = error instanceof HttpError ? error.spec
        : error.statusCode === 413 ? HTTP_ERRORS.bodyTooLarge
          : error.statusCode === 415 ? HTTP_ERRORS.unsupportedMediaType
            : error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? HTTP_ERRORS.malformedBody : HTTP_ERRORS.internal;
      if (spec.statusCode >= 500) request.log.error({ err: error }, 'admin UI: a page failed');
      return messagePage(request, reply, parseLang(request.cookies?.[LANG_COOKIE]) ?? 'ru', spec);
    });
    app.get('/admin', async (_request, reply) => reply.code(308).header('location', '/admin/').send());
    app.get('/admin/assets/:name', async (request, reply) => {
      const name = (request.params as { name: string }).name;
      const asset = Object.hasOwn(ADMIN_ASSETS, name) ? ADMIN_ASSETS[name] : undefined;
      if (!asset) throw new HttpError('notFound', `no admin asset ${name}`);
      const current = firstValues(request.query).v === assetHash(name);
      return reply.type(asset.contentType).header('cache-control', current ? ASSET_CACHE_IMMUTABLE : ASSET_CACHE_REVALIDATE)
        .header('etag', `"${assetHash(name)}"`).send(asset.body());
    });
    registerLogin(app);
    for (const page of pages) {
      app.get(pageUrl(page.path), (request, reply) => servePage(page, request, reply));
      if (page.post) app.post(pageUrl(page.path), (request, reply) => postPage(page, request, reply));
    }
    // An unknown page of the UI: signed in, a 404 in the layout; else the login first.
    app.get('/admin/ui/*', async (request, reply) => {
      const lang = langOf(request, reply);
      const session = await sessionOf(deps.store.adminUsers, request.cookies[SESSION_COOKIE], deps.nowMs());
      if (!session) return loginRedirect(reply, request);
      return messagePage(request, reply, lang, HTTP_ERRORS.notFound, session);
    });
  };

  function registerLogin(app: FastifyInstance) {
    const loginForm = (request: Req, reply: FastifyReply, lang: Lang, status: number, input: { next: string; username: string; error: { text: string; code: string } | null }) => html(reply, status, renderLayout({
      lang, title: tr(lang)('Вход', 'Log in'), url: request.url, body: renderView(LOGIN_VIEW, { t: tr(lang), ...input }),
    }));

    app.get('/admin/login', async (request, reply) => {
      const lang = langOf(request, reply);
      const next = safeNext(firstValues(request.query).next);
      if (await sessionOf(deps.store.adminUsers, request.cookies[SESSION_COOKIE], deps.nowMs())) return reply.code(303).header('location', next).send();
      return loginForm(request, reply, lang, 200, { next, username: '', error: null });
    });

    app.post('/admin/login', async (request, reply) => {
      const lang = langOf(request, reply);
      if (!fromOurSite(request, reply, lang)) return reply;
      const form = firstValues(request.body);
      const next = safeNext(form.next);
      const username = (form.username ?? '').trim().slice(0, 64);
      const t = tr(lang);
      if (!username || !form.password) {
        const spec = HTTP_ERRORS.adminLoginIncomplete;
        return loginForm(request, reply, lang, spec.statusCode, { next, username, error: { text: t(spec.messageRu, spec.messageEn), code: spec.code } });
      }
      const nowMs = deps.nowMs();
      const outcome = await logIn(deps.store.adminUsers, username, form.password, nowMs);
      const ip = request.ip;
      if (outcome.kind === 'ok') {
        log.info({ admin: username, role: outcome.user.role, ip }, 'admin UI: logged in');
        void reply.setCookie(SESSION_COOKIE, outcome.token, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: secureCookie(request) });
        return reply.code(303).header('location', next).send();
      }
      if (outcome.kind === 'locked') {
        if (outcome.justLocked) log.warn({ admin: username, ip, lockedUntil: new Date(outcome.untilMs).toISOString() }, 'admin UI: account locked after repeated wrong passwords');
        else log.warn({ admin: username, ip }, 'admin UI: login to a locked account refused');
        const until = formatTime(outcome.untilMs, lang);
        return loginForm(request, reply, lang, HTTP_ERRORS.adminLocked.statusCode, { next, username, error: { code: HTTP_ERRORS.adminLocked.code, text: t(
          `Учётная запись заблокирована до ${until} после нескольких неверных паролей подряд. Подождите или попросите администратора сервера выполнить: npm run bridge -- user unlock ${username}`,
          `The account is locked until ${until} after several wrong passwords in a row. Wait, or ask the server's administrator to run: npm run bridge -- user unlock ${username}`,
        ) } });
      }
      log.warn({ admin: username, ip, failures: outcome.failures, unknownUser: outcome.unknownUser }, 'admin UI: login failed');
      const failed = HTTP_ERRORS.adminLoginFailed;
      return loginForm(request, reply, lang, failed.statusCode, { next, username, error: { text: t(failed.messageRu, failed.messageEn), code: failed.code } });
    });

    app.post('/admin/logout', async (request, reply) => {
      const lang = langOf(request, reply);
      if (!fromOurSite(request, reply, lang)) return reply;
      const session = await sessionOf(deps.store.adminUsers, request.cookies[SESSION_COOKIE], deps.nowMs());
      if (!session) return reply.code(303).header('location', '/admin/login').send();
      if (!sameToken(firstValues(request.body)._csrf, session.csrfToken)) return messagePage(request, reply, lang, HTTP_ERRORS.adminCrossSite, session);
      await logOut(deps.store.adminUsers, session);
      log.info({ admin: session.user.username }, 'admin UI: logged out');
      void reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: secureCookie(request) });
      return reply.code(303).header('location', '/admin/login').send();
    });
  }
}
