/**
 * `npm run bench`: figures measured side by side in one run on this machine.
 * So far (durable core): event intake (raw event + its job in one transaction)
 * and job throughput (claim → no-op handler → done, head-of-line, 8 in flight),
 * on SQLite and on PostgreSQL (a throwaway server from the installed binaries,
 * or BENCH_DATABASE_URL). Bounded counts; prints a table and a last line.
 * The issue "Proof" adds intake over HTTP, burst, latency and footprint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { systemClock } from '../src/domain/clock.ts';
import { JobRunner } from '../src/queue/runner.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { startPostgresServer } from '../scripts/postgres-server.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000);
const CONCURRENCY = 8;
const SECRET = 'bench-secret-key-0123456789';

async function intake(store: Store): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < EVENTS) {
      const i = next++;
      await store.events.record({
        source: 'max:bench', kind: 'message_created', dedupeKey: `mid.${i}`, raw: `{"update_type":"message_created","n":${i}}`,
        jobs: [{ kind: 'noop', conversationKey: `conv-${i % 200}`, payload: { i } }],
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return EVENTS / ((performance.now() - started) / 1000);
}

async function jobs(store: Store): Promise<number> {
  const started = performance.now();
  let done = 0;
  const runner = new JobRunner({ store, workerId: 'bench', clock: systemClock, concurrency: CONCURRENCY, pollIntervalMs: 1, handlers: { noop: async () => void done++ } });
  runner.start();
  while (done < EVENTS) await new Promise((r) => setTimeout(r, 5));
  const elapsed = performance.now() - started;
  await runner.stop(1_000);
  return EVENTS / (elapsed / 1000);
}

async function measure(databaseUrl: string) {
  const store = await openStore({ databaseUrl, secretKey: SECRET, clock: systemClock });
  try {
    return { intakePerS: await intake(store), jobsPerS: await jobs(store) };
  } finally {
    await store.close();
  }
}

async function postgresUrl(): Promise<{ url: string; stop: () => void }> {
  const admin = process.env.BENCH_DATABASE_URL;
  const server = admin ? null : await startPostgresServer();
  const adminUrl = admin ?? server!.url;
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), stop: () => server?.stop() };
}

const dir = mkdtempSync(join(tmpdir(), 'bridge-bench-'));
const pgServer = await postgresUrl();
try {
  const sqlite = await measure(join(dir, 'bench.sqlite'));
  const postgres = await measure(pgServer.url);
  const f = (n: number) => n.toFixed(0).padStart(10);
  console.log(`durable core, ${EVENTS} events, ${CONCURRENCY} concurrent, node ${process.version}`);
  console.log('engine       intake/s     jobs/s');
  console.log(`sqlite     ${f(sqlite.intakePerS)} ${f(sqlite.jobsPerS)}`);
  console.log(`postgres   ${f(postgres.intakePerS)} ${f(postgres.jobsPerS)}`);
  console.log(
    `bench: sqlite_intake_per_s=${sqlite.intakePerS.toFixed(0)} sqlite_jobs_per_s=${sqlite.jobsPerS.toFixed(0)} ` +
      `pg_intake_per_s=${postgres.intakePerS.toFixed(0)} pg_jobs_per_s=${postgres.jobsPerS.toFixed(0)}`,
  );
} finally {
  pgServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
