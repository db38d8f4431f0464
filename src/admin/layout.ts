/**
 * A whole admin UI page: the layout (views/layout.ts) around a page's body. The navigation lists
 * the pages of ADMIN_PAGES that have `nav` and that the user's role may open, by `nav.order`.
 */
import { assetUrl } from './assets.ts';
import { tr } from './i18n.ts';
import { pageUrl, type AdminPage, type AdminUser, type Lang } from './page.ts';
import { renderView } from './render.ts';
import { LAYOUT_VIEW } from './views/layout.ts';

export interface LayoutInput {
  lang: Lang;
  title: string;
  /** The page's body (HTML rendered by a view). */
  body: string;
  /** The request's path and query, for the language links. */
  url: string;
  /** Signed in: the navigation, the user and the logout form. */
  user?: AdminUser;
  csrfToken?: string;
  pages?: readonly AdminPage[];
  /** The page being shown (its nav entry is marked). */
  current?: AdminPage;
}

/** The same path and query with `lang` set to `lang`. */
export function withLang(url: string, lang: Lang): string {
  const u = new URL(url, 'http://x');
  u.searchParams.set('lang', lang);
  return `${u.pathname}?${u.searchParams.toString()}`;
}

export function roleLabel(role: AdminUser['role'], lang: Lang): string {
  return role === 'admin' ? tr(lang)('администратор', 'administrator') : tr(lang)('наблюдатель', 'viewer');
}

export function renderLayout(input: LayoutInput): string {
  const t = tr(input.lang);
  const user = input.user;
  const nav = user ? (input.pages ?? [])
    .filter((p) => p.nav && (p.roles ?? ['admin', 'viewer']).includes(user.role))
    .sort((a, b) => (a.nav?.order ?? 0) - (b.nav?.order ?? 0))
    .map((p) => ({ href: pageUrl(p.path), label: input.lang === 'ru' ? p.nav?.ru : p.nav?.en, current: p === input.current })) : [];
  return renderView(LAYOUT_VIEW, {
    lang: input.lang, title: input.title, body: input.body, brand: t('Мост MAX ↔ Битрикс24', 'MAX ↔ Bitrix24 bridge'),
    cssUrl: assetUrl('admin.css'), nav,
    langs: (['ru', 'en'] as const).map((l) => ({ lang: l, label: l.toUpperCase(), href: withLang(input.url, l), current: l === input.lang })),
    user: user ? { username: user.username, roleLabel: roleLabel(user.role, input.lang) } : null,
    csrfToken: input.csrfToken ?? '', logoutLabel: t('Выйти', 'Log out'),
  });
}
