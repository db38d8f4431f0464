/**
 * `npm run bridge -- doctor [--json] [--lang ru|en]`: every operational check of the bridge in
 * one run (docs/operations.md, "doctor"): the configuration, the database and its migrations,
 * each MAX bot's token, the TLS chain of the MAX API, PUBLIC_URL reachable over https on 443
 * (a self-call with a challenge), each bot's subscription, each portal's install, tokens and
 * connectors, and the clock against MAX's and Bitrix24's. Russian by default, a line per check
 * (✓ / ! / ✗ / –) with the problem and the fix; `--json` for monitoring.
 *
 * The configuration is read as `start` reads it (CONFIG_FILE, the environment). With nothing
 * configured — where `start` would run the sandbox — the doctor starts a sandbox of its own
 * (emulators and a bridge on free ports, a temporary database), checks it and stops it: a
 * self-test of this installation, and what a healthy report looks like.
 *
 * Exit 0: nothing failed (warnings do not fail); 1: something failed; 2: bad usage.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type LoadResult } from '../config/load.ts';
import { systemClock } from '../domain/clock.ts';
import { configCheck } from '../doctor/checks/config.ts';
import { doctorConfigured } from '../doctor/configured.ts';
import { formatReportText, reportJson, type DoctorLang } from '../doctor/format.ts';
import { exitCodeOf, skip, words, type DoctorReport } from '../doctor/result.ts';
import { CONNECTOR_ID } from '../runtime/start-bridge.ts';
import { startSandboxWithBridge } from './sandbox.ts';

export const DOCTOR_USAGE = [
  'Использование / usage:',
  '  npm run bridge -- doctor [--json] [--lang ru|en]',
  '    проверить всё, от чего зависит работа моста, и сказать, что исправить',
  '    / check everything the bridge depends on, and say what to fix',
  '',
  'Параметры / options:',
  '  --json     результат одним JSON-объектом (для мониторинга) / the result as one JSON object (for monitoring)',
  '  --lang     ru (по умолчанию / default) или en',
  '',
  'Настройки читаются, как их читает start (CONFIG_FILE, переменные); если ничего не настроено — проверяется песочница, запущенная для проверки.',
  'The configuration is read as start reads it (CONFIG_FILE, the environment); with nothing configured, a sandbox started for the run is checked.',
  'Exit 0: nothing failed (warnings do not fail); 1: something failed; 2: bad usage. docs/operations.md, "doctor".',
].join('\n');

export interface DoctorIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** Roots the doctor's TLS calls trust besides Node's (tests; an install uses NODE_EXTRA_CA_CERTS). */
  extraCaPem?: string[];
}

const PROCESS_IO: DoctorIo = { env: process.env, out: (t) => console.log(t), err: (t) => console.error(t) };

/** How long the sandbox's setup (install → connector on a line) may take before its checks run anyway. */
const SANDBOX_SETUP_WAIT_MS = 30_000;

async function sandboxReport(loaded: Extract<LoadResult, { ok: true }>, configFile: string | null): Promise<DoctorReport> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-doctor-'));
  const sandbox = await startSandboxWithBridge({ preferredPorts: false, dataDir: dir });
  try {
    const bridge = sandbox.bridge!;
    // The install's setup job activates the connector on a line: wait for it, as a person would.
    const deadline = Date.now() + SANDBOX_SETUP_WAIT_MS;
    while ((await bridge.store.readiness.lineStates()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const report = await bridge.doctor();
    return { ...report, results: [...configCheck(loaded, configFile), ...report.results.filter((r) => r.id !== 'config')] };
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report for the configuration `env` names (also for tests). */
export async function diagnose(io: Pick<DoctorIo, 'env' | 'extraCaPem'>): Promise<DoctorReport> {
  const configFile = io.env.CONFIG_FILE?.trim() || null;
  const loaded = loadConfig(io.env, (path) => readFileSync(path, 'utf8'));
  const startedAtMs = systemClock.nowMs();
  if (!loaded.ok) {
    return {
      mode: 'production', startedAtMs, durationMs: systemClock.nowMs() - startedAtMs,
      results: [...configCheck(loaded, configFile), skip('doctor', 'all', words('Остальные проверки не запускались: сначала исправьте конфигурацию.', 'The other checks did not run: fix the configuration first.'))],
    };
  }
  if (loaded.mode === 'sandbox') return sandboxReport(loaded, configFile);
  return doctorConfigured({
    config: loaded.config, configResults: configCheck(loaded, configFile), clock: systemClock, connectorId: CONNECTOR_ID, env: io.env, extraCaPem: io.extraCaPem,
  });
}

export async function doctorCommand(args: string[], io: DoctorIo = PROCESS_IO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args, strict: true, allowPositionals: false,
      options: { json: { type: 'boolean', default: false }, lang: { type: 'string', default: 'ru' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    io.err(`doctor: ${err instanceof Error ? err.message : String(err)}; fix: use the options below\n\n${DOCTOR_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(DOCTOR_USAGE);
    return 0;
  }
  if (values.lang !== 'ru' && values.lang !== 'en') {
    io.err(`doctor: --lang ${values.lang}: must be ru or en\n\n${DOCTOR_USAGE}`);
    return 2;
  }
  const lang: DoctorLang = values.lang;
  const report = await diagnose(io);
  io.out(values.json ? JSON.stringify(reportJson(report), null, 2) : formatReportText(report, lang));
  return exitCodeOf(report);
}
