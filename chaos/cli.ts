/**
 * `npm run chaos` — both directions at once over many conversations against
 * the emulators over HTTP, with redeliveries, portal faults and SIGKILLs (see
 * run-chaos.ts). One line per engine, then the sum as the last line:
 *   chaos: sent=N delivered=N lost=N duplicated=N reordered=N
 * Exits 1 if anything was lost, duplicated or reordered.
 *
 * Flags (defaults): --messages 10000 (each way) --conversations 300 --bots 10
 * --limit-errors 0.2 --errors 0.05 --timeouts 0.02 --redeliveries 0.2 --kills 5
 * --rate 50 (messages per second each way)
 * --processes 3 (PostgreSQL) --engines sqlite,postgres --seed 1 --inbound-only
 * PostgreSQL: a throwaway server from the installed binaries, or CHAOS_DATABASE_URL
 * (an admin URL; a fresh database is created on it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresUrl } from '../bench/core.ts';
import { addCounts, countLine, type DeliveryCount } from './count.ts';
import { runChaos } from './run-chaos.ts';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`chaos: --${name} needs a number ≥ 0, e.g. --${name} ${fallback}`);
    process.exit(2);
  }
  return value;
}

const engines = (process.argv[process.argv.indexOf('--engines') + 1] && process.argv.includes('--engines')
  ? process.argv[process.argv.indexOf('--engines') + 1]!
  : 'sqlite,postgres').split(',').map((e) => e.trim());
for (const e of engines) {
  if (e !== 'sqlite' && e !== 'postgres') {
    console.error(`chaos: unknown engine "${e}": use --engines sqlite,postgres`);
    process.exit(2);
  }
}

execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'bridge-chaos-'));
let total: DeliveryCount = { sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0 };
let hooks: DeliveryCount = { sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0 };
let badSignatures = 0;
try {
  for (const engine of engines as Array<'sqlite' | 'postgres'>) {
    const pg = engine === 'postgres' ? await postgresUrl(process.env.CHAOS_DATABASE_URL) : null;
    try {
      const result = await runChaos({
        engine,
        databaseUrl: pg ? pg.url : join(dir, 'chaos.sqlite'),
        processes: engine === 'postgres' ? flag('processes', 3) : 1,
        messages: flag('messages', 10_000),
        conversations: flag('conversations', 300),
        bots: Math.max(1, flag('bots', 10)),
        limitErrorRate: flag('limit-errors', 0.2),
        errorRate: flag('errors', 0.05),
        timeoutRate: flag('timeouts', 0.02),
        redeliveryRate: flag('redeliveries', 0.2),
        kills: flag('kills', 5),
        ratePerS: Math.max(1, flag('rate', 50)),
        seed: flag('seed', 1),
        outbound: !process.argv.includes('--inbound-only'),
        drainTimeoutMs: flag('drain-timeout-s', 900) * 1000,
        log: (line) => console.log(line),
      });
      console.log(`${countLine(`chaos[${engine}] in `, result.inbound)}`);
      console.log(`${countLine(`chaos[${engine}] out`, result.outbound)}`);
      console.log(`${countLine(`chaos[${engine}] webhook in `, result.hooks.inbound)}`);
      console.log(`${countLine(`chaos[${engine}] webhook out`, result.hooks.outbound)} bad_signatures=${result.hooks.badSignatures} retried=${result.hooks.retries}`);
      console.log(`${countLine(`chaos[${engine}]`, result.total)} kills=${result.kills} seconds=${result.seconds.toFixed(0)}`);
      total = addCounts(total, result.total);
      hooks = addCounts(hooks, addCounts(result.hooks.inbound, result.hooks.outbound));
      badSignatures += result.hooks.badSignatures;
    } finally {
      pg?.stop();
    }
  }
} finally {
  // CHAOS_KEEP=1 keeps the SQLite database for a look afterwards.
  if (process.env.CHAOS_KEEP) console.log(`chaos: kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
console.log(countLine('chaos', total));
console.log(`${countLine('chaos webhooks', hooks)} bad_signatures=${badSignatures}`);
const clean = (c: DeliveryCount) => c.lost === 0 && c.duplicated === 0 && c.reordered === 0;
process.exit(clean(total) && clean(hooks) && badSignatures === 0 ? 0 : 1);
