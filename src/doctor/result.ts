/**
 * What every check of `doctor` returns (docs/operations.md, "doctor"): one finding about one
 * subject, in words an administrator acts on — Russian first, English beside it.
 *
 * - `ok`: works; `problem` says what was checked and found, `fix` is empty.
 * - `warn`: works now, but will not for long or not everywhere (a certificate about to expire,
 *   a clock 30 s off, a second subscription); does not fail the run.
 * - `fail`: does not work (a revoked token, no subscription, an inactive connector, a database
 *   behind on migrations); the run exits 1.
 * - `skip`: not checked, and `problem` says why (the sandbox's loopback address, a database
 *   that could not be opened for the checks that read it).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** A text in both languages. */
export interface Words {
  ru: string;
  en: string;
}

export interface CheckResult {
  /** Stable id of the check (`max.token`, `database.migrations`, …): what monitoring keys on. */
  id: string;
  /** What was checked: `bot main`, `portal main, line 1`, `https://bridge.example.ru`. */
  subject: string;
  status: CheckStatus;
  /** The finding: what is wrong (or, for ok and skip, what was found). */
  problem: Words;
  /** What to do; empty when nothing is to be done. */
  fix: Words;
  /** Facts for monitoring and support (never a secret). */
  details?: Record<string, unknown>;
}

export const NOTHING_TO_DO: Words = { ru: '', en: '' };

export const words = (ru: string, en: string): Words => ({ ru, en });

export function ok(id: string, subject: string, found: Words, details?: Record<string, unknown>): CheckResult {
  return { id, subject, status: 'ok', problem: found, fix: NOTHING_TO_DO, ...(details ? { details } : {}) };
}

export function skip(id: string, subject: string, why: Words, details?: Record<string, unknown>): CheckResult {
  return { id, subject, status: 'skip', problem: why, fix: NOTHING_TO_DO, ...(details ? { details } : {}) };
}

export function failed(id: string, subject: string, problem: Words, fix: Words, details?: Record<string, unknown>): CheckResult {
  return { id, subject, status: 'fail', problem, fix, ...(details ? { details } : {}) };
}

export function warned(id: string, subject: string, problem: Words, fix: Words, details?: Record<string, unknown>): CheckResult {
  return { id, subject, status: 'warn', problem, fix, ...(details ? { details } : {}) };
}

/** One run of every check. */
export interface DoctorReport {
  /** Which configuration was checked: the one configured, or a sandbox started for the run. */
  mode: 'sandbox' | 'production';
  startedAtMs: number;
  durationMs: number;
  results: CheckResult[];
}

export interface DoctorSummary {
  ok: number;
  warn: number;
  fail: number;
  skip: number;
}

export function summarize(results: readonly CheckResult[]): DoctorSummary {
  const summary: DoctorSummary = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

/** 0 when nothing failed (warnings do not fail a run), 1 otherwise. */
export function exitCodeOf(report: Pick<DoctorReport, 'results'>): 0 | 1 {
  return report.results.some((r) => r.status === 'fail') ? 1 : 0;
}

/** A failure's message without secrets or stack: the error's own text, cut short. */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
