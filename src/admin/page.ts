/**
 * The admin web UI's contract between its pages and the plugin that serves them
 * (src/http/plugins/admin-ui.ts). A page is a plain object: its path, its place in the
 * navigation, who may open it, and `get` (and `post` for its forms) returning the body's
 * HTML (rendered with renderView from src/admin/render.ts) and a title; the plugin puts it in
 * the layout, checks the session, the role and the CSRF token first, and answers.
 *
 * Page scripts: no inline `<script>` (the Content-Security-Policy allows only the bridge's own
 * files); a chart's data goes in `<script type="application/json" id="…">` (data, not code) and
 * its code in a file of src/admin/assets.ts, loaded with `<script src="/admin/assets/…" defer>`.
 */
import type { AdminUiDeps } from './deps.ts';

export type Lang = 'ru' | 'en';
export type AdminRole = 'admin' | 'viewer';

export interface AdminUser {
  username: string;
  role: AdminRole;
}

export interface PageContext {
  lang: Lang;
  user: AdminUser;
  csrfToken: string;
  nowMs: number;
  deps: AdminUiDeps;
  /** Query string values of the request (first value of each). */
  query: Record<string, string>;
  /** Route params (`:id`). */
  params: Record<string, string>;
  /** Masks personal data for viewers (identity for admins): phone '+7 *** ***-**-67', names, texts by the privacy policy. */
  mask: {
    phone(v: string | null): string;
    name(v: string | null): string;
    text(v: string | null): string;
    /** One value of a privacy class ('phone', 'email', 'name', 'text', 'file'), or a whole JSON value (any other class) masked by key. */
    value(cls: string, v: unknown): unknown;
  };
  /** t(ru, en): the text in the page's language. */
  t(ru: string, en: string): string;
}

/** html: the body inside the layout. */
export interface PageResult {
  title: string;
  html: string;
}

export type PageOutcome = PageResult | { redirect: string } | { status: number; result: PageResult };

export interface AdminPage {
  /** Path under /admin/ui/ ('conversations', 'conversations/:id'); '' is the overview at /admin/. */
  path: string;
  /** In the navigation bar, sorted by order; absent = not in the bar. */
  nav?: { ru: string; en: string; order: number };
  /** Who may open it (default both roles). */
  roles?: AdminRole[];
  get(ctx: PageContext): Promise<PageOutcome>;
  /** Form POST (admin role only; the CSRF token and origin already checked); `form`: the urlencoded fields. */
  post?(ctx: PageContext, form: Record<string, string>): Promise<PageOutcome>;
}

/** The URL of a page path ('' → /admin/, 'conversations' → /admin/ui/conversations). */
export function pageUrl(path: string): string {
  return path === '' ? '/admin/' : `/admin/ui/${path}`;
}
