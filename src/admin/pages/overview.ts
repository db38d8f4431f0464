/**
 * The overview (`/admin/`): is everything working, and if not, what to do. Each bot (its token
 * accepted or the problem, its webhook subscription or polling, when its last update arrived),
 * each portal (the app installed, its access token, its request limit in use, held or failing),
 * each line (its connector active or paused and why, what waits for it and since when), the dead
 * letters, and the errors the journal recorded in the last 24 hours — every problem with its fix.
 *
 * It reads what /ready and the metrics read (the readiness report, the store's gauges, the live
 * holds of the clients) rather than working anything out again.
 */
import { fixFor } from '../error-fixes.ts';
import { formatAgo, formatTime } from '../i18n.ts';
import type { AdminPage, PageContext } from '../page.ts';
import { renderView } from '../render.ts';
import { OVERVIEW_VIEW } from '../views/overview.ts';
import { overallStatus } from '../../doctor/format.ts';
import { summarize } from '../../doctor/result.ts';
import { lastDoctorRun } from './doctor.ts';

const DAY_MS = 86_400_000;
/** How far back "last update" looks: 7 days (older is "none in 7 days"; the events' time index bounds the read). */
const LAST_UPDATE_LOOKBACK_MS = 7 * DAY_MS;
/** A line whose oldest waiting message is older than this is a problem: 5 minutes (a healthy line takes them in seconds). */
const STALE_QUEUE_MS = 5 * 60_000;

interface Problem {
  text: string;
  fix: string;
  severity: 'bad' | 'warn';
}

async function botRows(ctx: PageContext) {
  const { store } = ctx.deps;
  const live = ctx.deps.live?.().bots ?? [];
  const subscribed = new Set((await store.meta.list('subscription:')).map((m) => m.key.slice('subscription:'.length)));
  return Promise.all(ctx.deps.config().bots.map(async (b) => {
    const lastMs = await store.overview.lastEventAt(`max:${b.id}`, ctx.nowMs - LAST_UPDATE_LOOKBACK_MS);
    const isSubscribed = subscribed.has(b.id);
    return {
      id: b.id,
      problem: live.find((l) => l.id === b.id)?.problem ?? null,
      updates: b.updates === 'webhook' ? ctx.t('вебхук', 'webhook') : ctx.t('опрос (long polling)', 'long polling'),
      subscription: b.updates === 'webhook'
        ? { ok: isSubscribed, text: isSubscribed ? ctx.t('подписка есть', 'subscribed') : ctx.t('подписки нет', 'not subscribed') }
        : null,
      lastUpdate: lastMs === null ? ctx.t('нет за 7 дней', 'none in 7 days') : `${formatAgo(lastMs, ctx.nowMs, ctx.lang)} (${formatTime(lastMs, ctx.lang)})`,
      lastMs,
      webhookSubscribed: b.updates === 'webhook' ? isSubscribed : true,
    };
  }));
}

async function portalRows(ctx: PageContext) {
  const installed = await ctx.deps.store.overview.portals();
  const live = ctx.deps.live?.().portals ?? [];
  const ids = [...new Set([...ctx.deps.config().portals.map((p) => p.id), ...installed.map((p) => p.id)])];
  return ids.map((id) => {
    const row = installed.find((p) => p.id === id);
    const state = live.find((l) => l.id === id);
    const installedState = !row ? { cls: 'bad', text: ctx.t('не установлено', 'not installed') }
      : row.status === 'active' ? { cls: 'ok', text: ctx.t('установлено', 'installed') } : { cls: 'bad', text: ctx.t('удалено с портала', 'uninstalled') };
    const token = !row || row.status !== 'active' ? '—'
      : row.accessExpiresAtMs > ctx.nowMs ? ctx.t(`действует до ${formatTime(row.accessExpiresAtMs, ctx.lang)}`, `valid until ${formatTime(row.accessExpiresAtMs, ctx.lang)}`)
        : ctx.t(`обновится при следующем запросе (обновлён ${formatAgo(row.updatedAtMs, ctx.nowMs, ctx.lang)})`, `refreshed at the next call (last ${formatAgo(row.updatedAtMs, ctx.nowMs, ctx.lang)})`);
    const limit = state && state.limitBurst > 0 ? `${Math.round((state.limitLevel / state.limitBurst) * 100)}% (${Math.round(state.limitLevel)} / ${state.limitBurst})` : '—';
    return { id, domain: row?.domain ?? null, installed: installedState, status: row?.status ?? null, token, limit, problem: state?.problem ?? null };
  });
}

async function lineRows(ctx: PageContext) {
  const [states, queues] = await Promise.all([ctx.deps.store.readiness.lineStates(), ctx.deps.store.gauges.lineQueues()]);
  return states.map((l) => {
    const q = queues.find((x) => x.portalId === l.portalId && x.lineId === l.lineId);
    return {
      portal: l.portalId, line: l.lineId, active: l.state === 'active', reason: l.pausedReason ?? '', pending: q?.pending ?? 0,
      oldest: q?.oldestArrivedMs == null ? '—' : formatAgo(q.oldestArrivedMs, ctx.nowMs, ctx.lang), oldestMs: q?.oldestArrivedMs ?? null,
    };
  });
}

type Rows = { bots: Awaited<ReturnType<typeof botRows>>; portals: Awaited<ReturnType<typeof portalRows>>; lines: Awaited<ReturnType<typeof lineRows>> };

/** Every problem of the rows, each with what to do (the /ready report's own lines are added as they are). */
function problemsOf(ctx: PageContext, rows: Rows, deadLetters: number, readinessProblems: string[]): Problem[] {
  const { t } = ctx;
  const publicUrl = ctx.deps.config().server.public_url ?? '';
  const problems: Problem[] = [];
  for (const b of rows.bots) {
    if (b.problem) problems.push({ severity: 'bad', text: b.problem, fix: t('Проверьте токен бота и доступ сервера к API MAX; ответы операторов ждут и уйдут по порядку.', 'Check the bot\'s token and the server\'s access to the MAX API; operator replies wait and go in order.') });
    if (!b.webhookSubscribed) problems.push({ severity: 'warn', text: t(`Бот ${b.id}: подписки на вебхук нет.`, `Bot ${b.id}: no webhook subscription.`), fix: t(`Мост подписывается сам при запуске и каждые 10 минут; адрес ${publicUrl || 'server.public_url'} должен открываться из интернета по HTTPS.`, `The bridge subscribes at start and every 10 minutes; ${publicUrl || 'server.public_url'} must be reachable from the internet over HTTPS.`) });
  }
  for (const p of rows.portals) {
    const installUrl = `${publicUrl}/bitrix24/install/${p.id}`;
    if (p.status === null) problems.push({ severity: 'warn', text: t(`Портал ${p.id}: приложение не установлено.`, `Portal ${p.id}: the app is not installed.`), fix: t(`Укажите адрес установки ${installUrl} в настройках локального приложения на портале и установите его.`, `Give ${installUrl} as the install address of the local app on the portal and install it.`) });
    if (p.status === 'uninstalled') problems.push({ severity: 'bad', text: t(`Портал ${p.id}: приложение удалено с портала, его события не принимаются.`, `Portal ${p.id}: the app was uninstalled; its events are refused.`), fix: t(`Установите приложение снова (адрес установки ${installUrl}).`, `Install the app again (install address ${installUrl}).`) });
    if (p.problem) problems.push({ severity: 'bad', text: p.problem, fix: t('Сообщения ждут и уйдут по порядку, когда портал ответит; причина и что сделать — в тексте выше.', 'Messages wait and go in order when the portal answers; the cause and what to do are in the text above.') });
  }
  for (const l of rows.lines) {
    if (!l.active) problems.push({ severity: 'bad', text: t(`Линия ${l.line} портала ${l.portal} приостановлена: ${l.reason}`, `Line ${l.line} of portal ${l.portal} is paused: ${l.reason}`), fix: t('Включите коннектор MAX в Контакт-центре Битрикс24 (линия должна существовать); мост проверяет линию каждые 10 минут и включит её сам. Сообщения клиентов ждут.', 'Switch the MAX connector on in the Bitrix24 Contact Center (the line must exist); the bridge checks the line every 10 minutes and resumes it. Client messages wait.') });
    else if (l.oldestMs !== null && ctx.nowMs - l.oldestMs > STALE_QUEUE_MS) problems.push({ severity: 'warn', text: t(`Линия ${l.line} портала ${l.portal}: ${l.pending} сообщ. ждут отправки, старейшее — ${l.oldest}.`, `Line ${l.line} of portal ${l.portal}: ${l.pending} message(s) waiting, the oldest since ${l.oldest}.`), fix: t('Портал не принимает сообщения: смотрите ошибки ниже и состояние портала. Сообщения уйдут по порядку сами.', 'The portal does not take the messages: see the errors below and the portal\'s state. They go in order by themselves.') });
  }
  if (deadLetters > 0) problems.push({ severity: 'warn', text: t(`Недоставленных заданий: ${deadLetters}.`, `Dead letters: ${deadLetters}.`), fix: t('Откройте «Недоставленные»: устраните причину (код ошибки подскажет) и повторите.', 'Open "Dead letters": fix the cause (the error code tells it) and replay.') });
  // What /ready says that the rows above do not: the database, its schema, a failing poll.
  const shown = new Set(problems.map((p) => p.text));
  for (const text of readinessProblems) {
    if (!shown.has(text) && !text.startsWith('линия ')) problems.push({ severity: 'bad', text, fix: '' });
  }
  return problems;
}

/** The last run of the diagnostics (src/admin/pages/doctor.ts), in one line; null when none ran since the start. */
function doctorSummary(ctx: PageContext): { cls: string; text: string; when: string } | null {
  const last = lastDoctorRun(ctx.deps);
  if (!last) return null;
  const overall = overallStatus(last.report);
  const s = summarize(last.report.results);
  return {
    cls: overall === 'ok' ? 'ok' : overall === 'warn' ? 'warn' : 'bad',
    text: ctx.t(`в порядке ${s.ok}, предупреждений ${s.warn}, ошибок ${s.fail}`, `${s.ok} ok, ${s.warn} warning(s), ${s.fail} failure(s)`),
    when: `${formatAgo(last.report.startedAtMs, ctx.nowMs, ctx.lang)} (${formatTime(last.report.startedAtMs, ctx.lang)})`,
  };
}

export const overviewPage: AdminPage = {
  path: '',
  nav: { ru: 'Обзор', en: 'Overview', order: 10 },
  async get(ctx) {
    const [bots, portals, lines, jobCounts, errors, report] = await Promise.all([
      botRows(ctx), portalRows(ctx), lineRows(ctx), ctx.deps.store.gauges.jobCounts(),
      ctx.deps.store.overview.recentErrors(ctx.nowMs - DAY_MS), ctx.deps.readiness?.() ?? Promise.resolve(null),
    ]);
    const deadLetters = jobCounts.filter((c) => c.state === 'dead').reduce((n, c) => n + c.count, 0);
    const problems = problemsOf(ctx, { bots, portals, lines }, deadLetters, report?.problems ?? []);
    const html = renderView(OVERVIEW_VIEW, {
      t: ctx.t, problems, bots, portals, lines, deadLetters,
      queued: lines.reduce((n, l) => n + l.pending, 0),
      errorsTotal: errors.reduce((n, e) => n + e.count, 0),
      doctor: doctorSummary(ctx),
      errors: errors.map((e) => ({
        side: e.side, code: e.errorCode, count: e.count, endpoint: e.lastEndpoint,
        last: `${formatAgo(e.lastAtMs, ctx.nowMs, ctx.lang)} (${formatTime(e.lastAtMs, ctx.lang)})`, fix: fixFor(e.errorCode, ctx.lang),
      })),
    });
    return { title: ctx.t('Обзор', 'Overview'), html };
  },
};
