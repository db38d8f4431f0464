/**
 * How a doctor's report is shown: lines for a person (one per check — ✓ ok, ! warning,
 * ✗ failure, – skipped — with the problem and the fix in words, Russian or English), or JSON for
 * monitoring (both languages, stable ids, the overall status).
 */
import { exitCodeOf, summarize, type CheckStatus, type DoctorReport } from './result.ts';

export type DoctorLang = 'ru' | 'en';

export const STATUS_MARKS: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '–' };

/** The run's overall status: fail when anything failed, warn when anything warned, else ok. */
export function overallStatus(report: DoctorReport): 'ok' | 'warn' | 'fail' {
  const summary = summarize(report.results);
  return summary.fail > 0 ? 'fail' : summary.warn > 0 ? 'warn' : 'ok';
}

export function formatReportText(report: DoctorReport, lang: DoctorLang): string {
  const t = (ru: string, en: string) => (lang === 'ru' ? ru : en);
  const lines = [
    t(`Диагностика моста (${report.mode === 'sandbox' ? 'песочница' : 'рабочий режим'}), ${new Date(report.startedAtMs).toISOString()}, ${(report.durationMs / 1000).toFixed(1)} с`,
      `Bridge diagnostics (${report.mode === 'sandbox' ? 'sandbox' : 'production'}), ${new Date(report.startedAtMs).toISOString()}, ${(report.durationMs / 1000).toFixed(1)} s`),
    '',
  ];
  for (const r of report.results) {
    lines.push(`${STATUS_MARKS[r.status]} ${r.id} — ${r.subject}: ${r.problem[lang]}`);
    if (r.fix[lang]) lines.push(`    ${t('Что сделать', 'Fix')}: ${r.fix[lang]}`);
  }
  const s = summarize(report.results);
  lines.push('', t(`Итого: в порядке ${s.ok}, предупреждений ${s.warn}, ошибок ${s.fail}, пропущено ${s.skip}.`, `Total: ${s.ok} ok, ${s.warn} warning(s), ${s.fail} failure(s), ${s.skip} skipped.`));
  lines.push(exitCodeOf(report) === 0
    ? t(s.warn > 0 ? 'Мост работает; предупреждения стоит разобрать.' : 'Всё в порядке.', s.warn > 0 ? 'The bridge works; the warnings are worth a look.' : 'All good.')
    : t('Есть ошибки: исправьте их по подсказкам выше и запустите проверку снова.', 'There are failures: fix them as said above and run the check again.'));
  return lines.join('\n');
}

/** The report as monitoring reads it (`doctor --json`): keys in snake_case, both languages. */
export function reportJson(report: DoctorReport): Record<string, unknown> {
  return {
    status: overallStatus(report),
    mode: report.mode,
    started_at: new Date(report.startedAtMs).toISOString(),
    duration_ms: Math.round(report.durationMs),
    summary: summarize(report.results),
    checks: report.results.map((r) => ({ id: r.id, subject: r.subject, status: r.status, problem: r.problem, fix: r.fix, ...(r.details ? { details: r.details } : {}) })),
  };
}
