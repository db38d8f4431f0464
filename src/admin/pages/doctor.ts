/**
 * Diagnostics (`/admin/ui/doctor`): `doctor`'s checks run from inside the bridge on demand (an
 * admin's button; they call MAX and Bitrix24, so never on every page view), the last run shown
 * to every user with when and by whom. One run at a time: a second press waits for the one
 * under way. The overview links here (src/admin/pages/overview.ts, "Диагностика").
 */
import type { DoctorReport } from '../../doctor/result.ts';
import { exitCodeOf, summarize } from '../../doctor/result.ts';
import { overallStatus, STATUS_MARKS } from '../../doctor/format.ts';
import type { AdminUiDeps } from '../deps.ts';
import { formatAgo, formatTime } from '../i18n.ts';
import type { AdminPage, PageContext } from '../page.ts';
import { renderView } from '../render.ts';
import { DOCTOR_VIEW } from '../views/doctor.ts';

export const DOCTOR_PATH = '/admin/ui/doctor';

interface LastRun {
  report: DoctorReport;
  by: string;
}

/** Per running bridge (keyed by its store): the last run, and the run under way. */
const lastRuns = new WeakMap<object, LastRun>();
const running = new WeakMap<object, Promise<DoctorReport>>();

/** The last run of this bridge's checks, if any (the overview shows its outcome). */
export function lastDoctorRun(deps: AdminUiDeps): LastRun | null {
  return lastRuns.get(deps.store) ?? null;
}

const CLASSES = { ok: 'ok', warn: 'warn', fail: 'bad', skip: '' } as const;

function lastView(ctx: PageContext, last: LastRun) {
  const { t } = ctx;
  const labels = { ok: t('в порядке', 'ok'), warn: t('внимание', 'warning'), fail: t('ошибка', 'failed'), skip: t('пропущено', 'skipped') };
  const overall = overallStatus(last.report);
  const s = summarize(last.report.results);
  return {
    overallClass: CLASSES[overall],
    overallText: overall === 'ok' ? t('всё в порядке', 'all good') : overall === 'warn' ? t('есть предупреждения', 'warnings') : t('есть ошибки', 'failures'),
    when: `${formatTime(last.report.startedAtMs, ctx.lang)} (${formatAgo(last.report.startedAtMs, ctx.nowMs, ctx.lang)})`,
    by: t(`запустил ${last.by}`, `run by ${last.by}`),
    duration: t(`${(last.report.durationMs / 1000).toFixed(1)} с`, `${(last.report.durationMs / 1000).toFixed(1)} s`),
    totals: t(`в порядке ${s.ok}, предупреждений ${s.warn}, ошибок ${s.fail}, пропущено ${s.skip}`, `${s.ok} ok, ${s.warn} warning(s), ${s.fail} failure(s), ${s.skip} skipped`),
    results: last.report.results.map((r) => ({
      id: r.id, subject: r.subject, status: r.status, cls: CLASSES[r.status], mark: STATUS_MARKS[r.status], label: labels[r.status],
      problem: r.problem[ctx.lang], fix: r.fix[ctx.lang],
    })),
  };
}

export const doctorPage: AdminPage = {
  path: 'doctor',
  nav: { ru: 'Диагностика', en: 'Diagnostics', order: 65 },
  async get(ctx) {
    const last = lastDoctorRun(ctx.deps);
    const html = renderView(DOCTOR_VIEW, {
      t: ctx.t, csrfToken: ctx.csrfToken, runnable: ctx.deps.doctor !== undefined, canRun: ctx.deps.doctor !== undefined && ctx.user.role === 'admin',
      last: last ? lastView(ctx, last) : null,
    });
    return { title: ctx.t('Диагностика', 'Diagnostics'), html };
  },
  async post(ctx, form) {
    const run = ctx.deps.doctor;
    if (form.action !== 'run' || !run) return { redirect: DOCTOR_PATH };
    const key = ctx.deps.store;
    let pending = running.get(key);
    if (!pending) {
      pending = run().finally(() => running.delete(key));
      running.set(key, pending);
    }
    const report = await pending;
    lastRuns.set(key, { report, by: ctx.user.username });
    const s = summarize(report.results);
    ctx.deps.log.info({ admin: ctx.user.username, ok: s.ok, warn: s.warn, fail: s.fail, skip: s.skip, exitCode: exitCodeOf(report) }, 'doctor run from the admin UI');
    return { redirect: DOCTOR_PATH };
  },
};
