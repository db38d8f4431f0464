/**
 * `npm run bench`: figures measured side by side in one run on this machine,
 * printed as a table and as one last line:
 *   bench: intake_ratio=R p99_ack_ms=X burst_s=Y msgs_per_call=Z min_burst_s=W e2e_p50_ms=A e2e_p99_ms=B rss_mb=M
 * Sections (docs/performance.md explains each method):
 * - intake over HTTP against a bare Fastify server, p99 answer at 1,000 req/s;
 * - burst: 5,000 messages / 500 conversations into a 2 req/s, burst-50 portal, through a bridge
 *   that has been running (the last line), and side by side through one just restarted;
 * - latency: MAX update → Open Line and operator reply → MAX at 200/s without limit pressure
 *   (the last line quotes the slower direction of the two; both are in the table);
 * - footprint: RSS of the bridge process with 100,000 stored messages;
 * - core: event intake and job throughput on SQLite and PostgreSQL;
 * - retention: 20 simulated days of traffic both ways with every retention at 3 days, a bridge
 *   that purges each day beside one that never does, the database's size after each day;
 * - export: `GET /admin/export/messages` of 10,000 and of 100,000 stored messages streamed from
 *   a bridge process, three times in a row, its RSS and heap at start, peak and end (export.ts).
 * Flags:
 *   --quick            shrinks every count (a smoke run, not figures to quote);
 *   --retention-pg     the retention section on PostgreSQL too (about 80 s more);
 *   --only <sections>  runs only these sections, comma-separated (e.g. `--only latency,footprint`);
 *                      the others print "not run" in the table and `n/a` in the last line.
 * The bridge runs in a child process; the emulators and the load in this one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulators } from './bench-world.ts';
import { measureBurst, prepareConversations, type BurstFigures } from './burst.ts';
import { EVENTS, measureCore, postgresUrl, type CoreFigures } from './core.ts';
import { measureFootprint, type FootprintFigures } from './footprint.ts';
import { measureIntake, type IntakeFigures } from './http-intake.ts';
import { measureRoutingCost, type RoutingFigures } from './routing.ts';
import { measureRetention, retentionDayLines, type RetentionFigures } from './retention.ts';
import { measureInboundLatency, measureOutboundLatency, type LatencyFigures } from './latency.ts';
import { EXPORT_REPEATS, measureExport, type ExportSizeFigures } from './export.ts';

const SECTIONS = ['intake', 'burst', 'latency', 'routing', 'footprint', 'core', 'retention', 'export'] as const;
type Section = (typeof SECTIONS)[number];

function selectedSections(argv: string[]): Set<Section> {
  const at = argv.indexOf('--only');
  if (at < 0) return new Set(SECTIONS);
  const names = (argv[at + 1] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (names.length === 0 || unknown.length > 0) {
    console.error(`bench: --only takes sections from ${SECTIONS.join(', ')} (comma-separated)${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
    process.exit(2);
  }
  return new Set(names as Section[]);
}

const quick = process.argv.includes('--quick');
const only = selectedSections(process.argv);
const n = (full: number, small: number) => (quick ? small : full);
const f = (v: number, digits = 0) => v.toFixed(digits);
/** A figure for the last line: `n/a` when its section did not run. */
const fig = <T>(value: T | undefined, pick: (v: T) => number, digits = 0) => (value === undefined ? 'n/a' : f(pick(value), digits));

interface Figures {
  intake?: IntakeFigures;
  burst?: BurstFigures;
  /** The same burst into a process just restarted (its catch-up reads included). */
  burstAfterRestart?: BurstFigures;
  latency?: { inbound: LatencyFigures; inboundNoWindow: LatencyFigures; outbound: LatencyFigures; outboundNoWindow: LatencyFigures };
  routing?: RoutingFigures;
  retention?: RetentionFigures[];
  footprint?: FootprintFigures;
  core?: { sqlite: CoreFigures; postgres: CoreFigures };
  /** The same export at each size, side by side. */
  export?: ExportSizeFigures[];
}

async function measure(dir: string): Promise<Figures> {
  const out: Figures = {};
  const needsEmulators = ['intake', 'burst', 'latency', 'routing', 'footprint'].some((s) => only.has(s as Section));
  const sandbox = needsEmulators ? await startEmulators() : undefined;
  try {
    if (sandbox && only.has('intake')) out.intake = await measureIntake(sandbox, join(dir, 'intake.sqlite'), n(5, 2));
    if (sandbox && (only.has('burst') || only.has('latency') || only.has('footprint'))) {
      // Burst, latency and footprint share one database and the conversations prepared here.
      const e2eDb = join(dir, 'e2e.sqlite');
      const clients = await prepareConversations(sandbox, e2eDb, n(500, 50));
      if (only.has('burst')) {
        out.burst = await measureBurst(sandbox, e2eDb, clients, n(5_000, 500), true);
        out.burstAfterRestart = await measureBurst(sandbox, e2eDb, clients, n(5_000, 500), false);
      }
      if (only.has('latency')) {
        const inbound = (label: string, reorderWindowMs?: number) =>
          measureInboundLatency(sandbox, e2eDb, clients, { ratePerS: 200, durationS: n(10, 2), label, reorderWindowMs });
        // One bot: MAX allows it 30 requests/s, so replies go at 20/s (200/s would be limit pressure).
        const outbound = (operatorReorderWindowMs?: number) =>
          measureOutboundLatency(sandbox, e2eDb, clients, { ratePerS: 20, durationS: n(10, 2), operatorReorderWindowMs });
        out.latency = { inbound: await inbound('default'), inboundNoWindow: await inbound('nowindow', 0), outbound: await outbound(), outboundNoWindow: await outbound(0) };
      }
      if (only.has('footprint')) out.footprint = await measureFootprint(sandbox, e2eDb, clients, n(100_000, 5_000));
    }
    // New conversations, each routed: one route against eleven (routing.ts); fresh databases of their own.
    if (sandbox && only.has('routing')) out.routing = await measureRoutingCost(sandbox, dir, { ratePerS: 20, durationS: n(10, 2) });
  } finally {
    await sandbox?.close();
  }
  if (only.has('retention')) {
    // Bridges of its own, in this process, on clocks moved a day at a time (retention.ts).
    const engines = process.argv.includes('--retention-pg') ? ['sqlite', 'postgres'] as const : ['sqlite'] as const;
    out.retention = [];
    for (const engine of engines) {
      out.retention.push(await measureRetention({ dir, engine, days: n(20, 5), clientsPerDay: n(30, 10), messagesPerClient: 2, retentionDays: 3 }));
    }
  }
  if (only.has('export')) out.export = await measureExport(join(dir, 'export.sqlite'), [n(10_000, 1_000), n(100_000, 10_000)]);
  if (only.has('core')) {
    const pgServer = await postgresUrl();
    try {
      out.core = { sqlite: await measureCore(join(dir, 'core.sqlite')), postgres: await measureCore(pgServer.url) };
    } finally {
      pgServer.stop();
    }
  }
  return out;
}

type Row = [string, string, string];
const notRun = (name: string): Row => [name, 'not run', ''];

function tableRows(m: Figures): Row[] {
  const { intake, burst, burstAfterRestart, latency, footprint, core } = m;
  const rows: Row[] = [];
  if (intake) {
    rows.push(
      ['intake, bare Fastify 200', `${f(intake.bareRps)} req/s`, '16 connections, autocannon'],
      ['intake, bridge webhook', `${f(intake.bridgeRps)} req/s`, 'secret checked, stored, answered'],
      ['intake_ratio', f(intake.ratio, 2), 'target ≥ 0.7'],
      ['answer at 1,000 req/s', `p50 ${f(intake.p50AckMs, 1)} ms, p99 ${f(intake.p99AckMs, 1)} ms`, `achieved ${f(intake.rateAchieved)} req/s; target p99 ≤ 10 ms`],
    );
  } else rows.push(notRun('intake'));
  if (burst) {
    rows.push(
      ['burst', `${f(burst.burstS, 1)} s for ${burst.messages} msgs`, `min ${f(burst.minBurstS, 1)} s; ratio ${f(burst.burstS / Math.max(burst.minBurstS, 0.001), 2)} (target ≤ 1.1)`],
      ['burst calls', `${burst.calls} send.messages, ${f(burst.msgsPerCall, 1)} msgs/call`, `limit errors ${burst.limitErrors}; target ≥ 10 msgs/call`],
    );
    if (burstAfterRestart) {
      const r = burstAfterRestart;
      rows.push(['  same, just restarted', `${f(r.burstS, 1)} s, ${r.calls} calls, ${f(r.msgsPerCall, 1)} msgs/call`, `ratio ${f(r.burstS / Math.max(r.minBurstS, 0.001), 2)}; includes one history read per conversation (catch-up)`]);
    }
  } else rows.push(notRun('burst'));
  if (latency) {
    const p = (l: LatencyFigures) => `p50 ${f(l.p50Ms, 1)} ms, p99 ${f(l.p99Ms, 1)} ms`;
    const missing = (l: LatencyFigures) => (l.missing ? `; ${l.missing} not seen within the deadline` : '');
    const { inbound, inboundNoWindow, outbound, outboundNoWindow } = latency;
    rows.push(
      ['MAX → Open Line latency', p(inbound), `${inbound.messages} msgs at 200/s, adaptive reorder watermark (default)`],
      ['  same, reorder window off', p(inboundNoWindow), 'line_reorder_window_ms: 0; target p50 ≤ 15, p99 ≤ 50 ms'],
      ['operator reply → MAX latency', p(outbound), `${outbound.messages} replies at 20/s (one bot: MAX allows 30 req/s), base window 5 ms (default)${missing(outbound)}`],
      ['  same, reorder window off', p(outboundNoWindow), `operator_reorder_window_ms: 0${missing(outboundNoWindow)}`],
    );
  } else rows.push(notRun('latency'));
  if (m.routing) {
    const p = (l: LatencyFigures) => `p50 ${f(l.p50Ms, 1)} ms, p99 ${f(l.p99Ms, 1)} ms${l.missing ? `; ${l.missing} not seen` : ''}`;
    rows.push(
      ['new conversation → Open Line, 1 route', p(m.routing.oneRoute), `${m.routing.oneRoute.messages} new conversations at 20/s, each routed`],
      ['  same, 11 routes', p(m.routing.elevenRoutes), '10 conditional routes read and failed, then a weighted pool of 2 lines'],
    );
  } else rows.push(notRun('routing'));
  if (footprint) {
    rows.push(['footprint', `${f(footprint.rssMb)} MB RSS`, `${footprint.storedMessages} stored messages + 1,000 live (idle ${f(footprint.idleRssMb)} MB), npm start's flags; target ≤ 150 MB`]);
    rows.push(['  same, Node defaults', `${f(footprint.defaultFlagsRssMb)} MB RSS`, 'without --max-semi-space-size=4']);
  } else rows.push(notRun('footprint'));
  if (core) {
    rows.push(
      ['core sqlite', `${f(core.sqlite.intakePerS)} events/s, ${f(core.sqlite.jobsPerS)} jobs/s`, `${EVENTS} events, 8 concurrent`],
      ['core postgres', `${f(core.postgres.intakePerS)} events/s, ${f(core.postgres.jobsPerS)} jobs/s`, `${EVENTS} events, 8 concurrent`],
    );
  } else rows.push(notRun('core'));
  for (const r of m.retention ?? []) {
    const at = (day: number) => r.days[Math.min(r.days.length, day) - 1];
    const first = at(r.retentionDays + 1);
    const last = r.days.at(-1);
    if (!first || !last) continue;
    const size = (s: { diskMb: number; liveMb: number }) => (r.engine === 'sqlite' ? `${f(s.diskMb, 1)} MB (live ${f(s.liveMb, 2)})` : `${f(s.diskMb, 1)} MB`);
    rows.push(
      [`retention ${r.engine}, purged`, `${size(first.purged)} → ${size(last.purged)}`, `day ${first.day} → ${last.day}; ${last.carried} msgs carried, ${r.retentionDays} days kept`],
      ['  same, never purged', `${size(first.kept)} → ${size(last.kept)}`, 'grows with every day'],
    );
  }
  if (!m.retention) rows.push(notRun('retention'));
  for (const { first, last } of m.export ?? []) {
    const mem = (x: { startMb: number; peakMb: number; endMb: number }) => `${f(x.startMb)} / ${f(x.peakMb)} / ${f(x.endMb)} MB`;
    rows.push(
      [`export ${last.rows} messages`, `${f(last.durationMs / 1000, 1)} s, ${f(last.rowsPerS)} rows/s`, `${f(last.bytes / 1024 / 1024, 1)} MB NDJSON over HTTP; export ${EXPORT_REPEATS} of ${EXPORT_REPEATS} in one bridge process`],
      ['  bridge RSS start / peak / end', mem(last.rss), `heap used ${mem(last.heap)}; RSS peak per quarter of the rows ${last.rssPeakByQuarterMb.map((q) => f(q)).join(' / ')} MB`],
      [`  first export after start`, `RSS ${mem(first.rss)}`, `heap used ${mem(first.heap)}; ${f(first.rowsPerS)} rows/s`],
    );
  }
  if (!m.export) rows.push(notRun('export'));
  return rows;
}

function lastLine(m: Figures): string {
  const { intake, burst, latency, footprint } = m;
  // The slower direction of the two (at the default windows).
  const e2e = latency && { p50: Math.max(latency.inbound.p50Ms, latency.outbound.p50Ms), p99: Math.max(latency.inbound.p99Ms, latency.outbound.p99Ms) };
  return `bench: intake_ratio=${fig(intake, (v) => v.ratio, 2)} p99_ack_ms=${fig(intake, (v) => v.p99AckMs, 1)} ` +
    `burst_s=${fig(burst, (v) => v.burstS, 1)} msgs_per_call=${fig(burst, (v) => v.msgsPerCall, 1)} min_burst_s=${fig(burst, (v) => v.minBurstS, 1)} ` +
    `e2e_p50_ms=${fig(e2e, (v) => v.p50, 1)} e2e_p99_ms=${fig(e2e, (v) => v.p99, 1)} rss_mb=${fig(footprint, (v) => v.rssMb)}`;
}

// The bridge runs from the same bundle `npm start` builds.
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'bridge-bench-'));
try {
  const figures = await measure(dir);
  const rows = tableRows(figures);
  const partial = only.size < SECTIONS.length ? `, only ${[...only].join(', ')}` : '';
  console.log(`bench on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}${quick ? ' (--quick: smoke run, do not quote)' : ''}${partial}`);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd());
  if (figures.intake && figures.intake.errors > 0) console.log(`warning: ${figures.intake.errors} load-tool errors or non-2xx answers during intake`);
  for (const r of figures.retention ?? []) console.log(retentionDayLines(r).join('\n'));
  console.log(lastLine(figures));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
