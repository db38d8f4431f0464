/**
 * The durable core alone: event intake (raw event + its job in one
 * transaction) and job throughput (claim → no-op handler → done, head-of-line,
 * 8 in flight), on SQLite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgresServer } from '../scripts/postgres-server.ts';
import { systemClock } from '../src/domain/clock.ts';
import { JobRunner } from '../src/queue/runner.ts';
import { openStore, type Store } from '../src/store/open-store.ts';

export const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000);
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

export interface CoreFigures {
  intakePerS: number;
  jobsPerS: number;
}

export async function measureCore(databaseUrl: string): Promise<CoreFigures> {
  const store = await openStore({ databaseUrl, secretKey: SECRET, clock: systemClock });
  try {
    return { intakePerS: await intake(store), jobsPerS: await jobs(store) };
  } finally {
    await store.close();
  }
}

/** A fresh database on `adminUrl` (default BENCH_DATABASE_URL), or on a throwaway server from the installed binaries. */
export async function postgresUrl(adminUrlGiven = process.env.BENCH_DATABASE_URL): Promise<{ url: string; stop: () => void }> {
  const admin = adminUrlGiven;
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

