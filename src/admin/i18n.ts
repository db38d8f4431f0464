/**
 * The admin UI's languages and formats: Russian by default, English when the user switched
 * (`?lang=en`, remembered in a cookie). Times are shown in the company's time zone
 * (`analytics.time_zone`, the zone the journal and analytics forms read typed times in), with
 * the zone's name, so a screenshot sent to support is unambiguous.
 */
import type { Lang } from './page.ts';

export const LANGS: readonly Lang[] = ['ru', 'en'];
export const LANG_COOKIE = 'bridge_admin_lang';

export function parseLang(v: string | undefined): Lang | null {
  return v === 'ru' || v === 'en' ? v : null;
}

export const tr = (lang: Lang) => (ru: string, en: string): string => (lang === 'ru' ? ru : en);

const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone times are shown in: the company's (`analytics.time_zone`), set per request by the UI plugin; undefined = the server's. */
let displayTimeZone: string | undefined;

export function setDisplayTimeZone(zone: string | undefined): void {
  displayTimeZone = zone;
}

/** `03.12.2026, 14:05:09 MSK` / `03/12/2026, 14:05:09 GMT+3`, in the display zone; '—' for none. */
export function formatTime(ms: number | null, lang: Lang): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  const key = `${lang} ${displayTimeZone ?? ''}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
      ...(displayTimeZone ? { timeZone: displayTimeZone } : {}),
    });
    formats.set(key, f);
  }
  return f.format(new Date(ms));
}

/** A duration in the largest fitting unit: `3 мин` / `3 min`, `2 ч 5 мин`, `4 дн`. */
export function formatDuration(ms: number, lang: Lang): string {
  const t = tr(lang);
  const s = Math.max(0, Math.round(ms / 1_000));
  if (s < 60) return `${s} ${t('с', 's')}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} ${t('мин', 'min')}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} ${t('ч', 'h')}${m % 60 ? ` ${m % 60} ${t('мин', 'min')}` : ''}`;
  return `${Math.floor(h / 24)} ${t('дн', 'd')}`;
}

/** `5 мин назад` / `5 min ago`; `через 5 мин` / `in 5 min` for the future. */
export function formatAgo(ms: number | null, nowMs: number, lang: Lang): string {
  if (ms === null) return '—';
  const t = tr(lang);
  return ms <= nowMs ? t(`${formatDuration(nowMs - ms, lang)} назад`, `${formatDuration(nowMs - ms, lang)} ago`) : t(`через ${formatDuration(ms - nowMs, lang)}`, `in ${formatDuration(ms - nowMs, lang)}`);
}
