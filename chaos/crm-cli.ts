/**
 * `npm run crm-check` — the CRM rules against the emulators (crm-check.ts): for each mode,
 * 1,000 Open Lines sessions of 300 clients (returning, sharing a phone, converted midway, on
 * a line whose tracker binds 30 s late), then the portal's CRM compared with what the mode
 * must produce. One line per mode:
 *   crm-check[lead]: sessions=1000 clients=300 persons=… leads=…/… contacts=…/… deals=…/… problems=0 seconds=…
 * then the problems, if any. Exits 1 when any mode has one.
 *
 * Flags (defaults): --sessions 1000 --clients 300 --modes line,lead,contact_deal
 * --time-factor 1 (the tracker's lag scaled; 0.1 makes the late line 3 s) --concurrency 40 --seed 1
 * SQLite in a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrmCheck, type CheckedMode } from './crm-check.ts';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`crm-check: --${name} needs a number > 0, e.g. --${name} ${fallback}`);
    process.exit(2);
  }
  return value;
}

const MODES: CheckedMode[] = ['line', 'lead', 'contact_deal'];
const modesAt = process.argv.indexOf('--modes');
const modes = (modesAt >= 0 ? process.argv[modesAt + 1] ?? '' : MODES.join(',')).split(',').map((m) => m.trim());
for (const m of modes) {
  if (!MODES.includes(m as CheckedMode)) {
    console.error(`crm-check: unknown mode "${m}": use --modes ${MODES.join(',')}`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bridge-crm-check-'));
let failed = false;
try {
  for (const mode of modes as CheckedMode[]) {
    const result = await runCrmCheck({
      mode, sessions: flag('sessions', 1_000), clients: flag('clients', 300), databaseUrl: join(dir, `${mode}.sqlite`),
      timeFactor: flag('time-factor', 1), concurrency: flag('concurrency', 40), seed: flag('seed', 1), log: (line) => console.error(line),
    });
    const { expected: e, found: f } = result;
    console.log(`crm-check[${mode}]: sessions=${result.sessions} clients=${result.clients} persons=${result.persons} `
      + `leads=${f.leads}/${e.leads} contacts=${f.contacts}/${e.contacts} deals=${f.deals}/${e.deals} problems=${result.problems.length} seconds=${result.seconds.toFixed(0)}`);
    for (const p of result.problems.slice(0, 20)) console.log(`  ${p}`);
    if (result.problems.length > 0) failed = true;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
