/**
 * `npm run bench`: figures measured side by side in one run on this machine,
 * printed as a table and as one last line:
 *   bench: intake_ratio=R p99_ack_ms=X burst_s=Y msgs_per_call=Z min_burst_s=W e2e_p50_ms=A e2e_p99_ms=B rss_mb=M
 * Sections (docs/performance.md explains each method):
 * - intake over HTTP against a bare Fastify server, p99 answer at 1,000 req/s;
 * - burst: 5,000 messages / 500 conversations into a 2 req/s, burst-50 portal;
 * - latency: MAX update → Open Line and operator reply → MAX at 200/s without limit pressure
 *   (the last line quotes the slower direction of the two; both are in the table);
 * - footprint: RSS of the bridge process with 100,000 stored messages;
 * - durable core: event intake and job throughput on SQLite and PostgreSQL.
 * `--quick` shrinks every count (a smoke run, not figures to quote).
 * The bridge runs in a child process; the emulators and the load in this one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulators } from './bench-world.ts';
import { measureBurst } from './burst.ts';
import { EVENTS, measureCore, postgresUrl } from './core.ts';
import { measureFootprint } from './footprint.ts';
import { measureIntake } from './http-intake.ts';
import { measureInboundLatency, measureOutboundLatency } from './latency.ts';

const quick = process.argv.includes('--quick');
// The bridge runs from the same bundle `npm start` builds.
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const n = (full: number, small: number) => (quick ? small : full);

const dir = mkdtempSync(join(tmpdir(), 'bridge-bench-'));
const sandbox = await startEmulators();
const pgServer = await postgresUrl();
try {
  const e2eDb = join(dir, 'e2e.sqlite');
  const intake = await measureIntake(sandbox, join(dir, 'intake.sqlite'), n(5, 2));
  const burst = await measureBurst(sandbox, e2eDb, n(5_000, 500), n(500, 50));
  const latency = await measureInboundLatency(sandbox, e2eDb, burst.clients, { ratePerS: 200, durationS: n(10, 2), label: 'default' });
  const latencyNoWindow = await measureInboundLatency(sandbox, e2eDb, burst.clients, { ratePerS: 200, durationS: n(10, 2), label: 'nowindow', reorderWindowMs: 0 });
  // One bot: MAX allows it 30 requests/s, so replies go at 20/s (200/s would be limit pressure).
  const outbound = await measureOutboundLatency(sandbox, e2eDb, burst.clients, { ratePerS: 20, durationS: n(10, 2) });
  const outboundNoWindow = await measureOutboundLatency(sandbox, e2eDb, burst.clients, { ratePerS: 20, durationS: n(10, 2), operatorReorderWindowMs: 0 });
  const footprint = await measureFootprint(sandbox, e2eDb, burst.clients, n(100_000, 5_000));
  const sqlite = await measureCore(join(dir, 'core.sqlite'));
  const postgres = await measureCore(pgServer.url);

  const f = (v: number, digits = 0) => v.toFixed(digits);
  const rows: Array<[string, string, string]> = [
    ['intake, bare Fastify 200', `${f(intake.bareRps)} req/s`, '16 connections, autocannon'],
    ['intake, bridge webhook', `${f(intake.bridgeRps)} req/s`, 'secret checked, stored, answered'],
    ['intake_ratio', f(intake.ratio, 2), 'target ≥ 0.7'],
    ['answer at 1,000 req/s', `p50 ${f(intake.p50AckMs, 1)} ms, p99 ${f(intake.p99AckMs, 1)} ms`, `achieved ${f(intake.rateAchieved)} req/s; target p99 ≤ 10 ms`],
    ['burst', `${f(burst.burstS, 1)} s for ${burst.messages} msgs`, `min ${f(burst.minBurstS, 1)} s; ratio ${f(burst.burstS / Math.max(burst.minBurstS, 0.001), 2)} (target ≤ 1.1)`],
    ['burst calls', `${burst.calls} send.messages, ${f(burst.msgsPerCall, 1)} msgs/call`, `limit errors ${burst.limitErrors}; target ≥ 10 msgs/call`],
    ['MAX → Open Line latency', `p50 ${f(latency.p50Ms, 1)} ms, p99 ${f(latency.p99Ms, 1)} ms`, `${latency.messages} msgs at 200/s, adaptive reorder watermark (default)`],
    ['  same, reorder window off', `p50 ${f(latencyNoWindow.p50Ms, 1)} ms, p99 ${f(latencyNoWindow.p99Ms, 1)} ms`, 'line_reorder_window_ms: 0; target p50 ≤ 15, p99 ≤ 50 ms'],
    ['operator reply → MAX latency', `p50 ${f(outbound.p50Ms, 1)} ms, p99 ${f(outbound.p99Ms, 1)} ms`, `${outbound.messages} replies at 20/s (one bot: MAX allows 30 req/s), window 100 ms (default)${outbound.missing ? `; ${outbound.missing} not seen in 60 s` : ''}`],
    ['  same, reorder window off', `p50 ${f(outboundNoWindow.p50Ms, 1)} ms, p99 ${f(outboundNoWindow.p99Ms, 1)} ms`, 'operator_reorder_window_ms: 0'],
    ['footprint', `${f(footprint.rssMb)} MB RSS`, `${footprint.storedMessages} stored messages (idle ${f(footprint.idleRssMb)} MB); target ≤ 150 MB`],
    ['core sqlite', `${f(sqlite.intakePerS)} events/s, ${f(sqlite.jobsPerS)} jobs/s`, `${EVENTS} events, 8 concurrent`],
    ['core postgres', `${f(postgres.intakePerS)} events/s, ${f(postgres.jobsPerS)} jobs/s`, `${EVENTS} events, 8 concurrent`],
  ];
  console.log(`bench on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}${quick ? ' (--quick: smoke run, do not quote)' : ''}`);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  if (intake.errors > 0) console.log(`warning: ${intake.errors} load-tool errors or non-2xx answers during intake`);
  console.log(
    `bench: intake_ratio=${f(intake.ratio, 2)} p99_ack_ms=${f(intake.p99AckMs, 1)} burst_s=${f(burst.burstS, 1)} msgs_per_call=${f(burst.msgsPerCall, 1)} ` +
      `min_burst_s=${f(burst.minBurstS, 1)} e2e_p50_ms=${f(Math.max(latency.p50Ms, outbound.p50Ms), 1)} e2e_p99_ms=${f(Math.max(latency.p99Ms, outbound.p99Ms), 1)} rss_mb=${f(footprint.rssMb)}`,
  );
} finally {
  await sandbox.close();
  pgServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
