/**
 * Shared by the crash and multi-process tests: starts real worker processes
 * (test/fixtures/queue-worker.ts), fills the queue, and reads back the
 * completions those workers wrote (one row per completed job, written in the
 * completion transaction, so a row exists exactly when the job is done).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import type { Store } from '../../../src/store/open-store.ts';

const WORKER = 'test/fixtures/queue-worker.ts';

export interface Completion {
  job_id: number;
  conversation_key: string;
  resource_key: string | null;
  n: number;
  worker: string;
  started_ms: number;
  finished_ms: number;
  seq: number;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker has opened the store and started its runner. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

export function startWorker(url: string, id: string, leases: boolean, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, url, id, leases ? '1' : '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const ready = new Promise<void>((resolve) => child.stdout?.on('data', (c: Buffer) => c.toString().includes('ready') && resolve()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited };
}

/** Stops every worker still alive (SIGTERM) and waits for all of them to exit. */
export async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

export async function createCompletionsTable(store: Store): Promise<void> {
  const seqType = store.engine === 'postgres' ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
  await sql`create table test_completions (seq ${seqType}, job_id bigint not null, conversation_key text not null,
    resource_key text, n integer not null, worker text not null, started_ms bigint not null, finished_ms bigint not null)`.execute(store.db);
}

/** `perConversation` jobs in each of `conversations`, interleaved; resources `portal:<prefix><c % resources>` when resources > 0. */
export async function prepare(store: Store, conversations: number, perConversation: number, resources: number, prefix = ''): Promise<void> {
  await createCompletionsTable(store);
  for (let n = 1; n <= perConversation; n++) {
    for (let c = 0; c < conversations; c++) {
      await store.jobs.enqueue({ kind: 'work', conversationKey: `conv-${c}`, resourceKey: resources ? `portal:${prefix}${c % resources}` : null, payload: { n } });
    }
  }
}

export async function completions(store: Store): Promise<Completion[]> {
  const { rows } = await sql<Completion>`select * from test_completions order by seq`.execute(store.db);
  return rows.map((r) => ({ ...r, job_id: Number(r.job_id), seq: Number(r.seq), started_ms: Number(r.started_ms), finished_ms: Number(r.finished_ms) }));
}

export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function assertExactlyOnceInOrder(rows: Completion[], total: number): void {
  assert.equal(rows.length, total, 'every job completed');
  assert.equal(new Set(rows.map((r) => r.job_id)).size, total, 'no job completed twice');
  const byConversation = new Map<string, number[]>();
  for (const r of rows) byConversation.set(r.conversation_key, [...(byConversation.get(r.conversation_key) ?? []), r.n]);
  for (const [conv, ns] of byConversation) assert.deepEqual(ns, [...ns].sort((a, b) => a - b), `order kept in ${conv}`);
}

/**
 * SIGKILLs the worker at a moment it holds jobs: each look freezes it first (SIGSTOP), lets
 * what it already sent the database settle, and reads the running count; with none running it
 * is thawed and looked at again. A kill right after an unfrozen look could land after its 2–20 ms
 * jobs were all committed, and the kill would test nothing (seen once on a loaded CI machine).
 * Returns how many jobs the kill left running.
 */
export async function killWithJobsInFlight(worker: WorkerProcess, store: Store, timeoutMs = 20_000): Promise<number> {
  let running = 0;
  try {
    await waitUntil(async () => {
      worker.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 100));
      running = (await store.jobs.countByState()).running ?? 0;
      if (running > 0) return true;
      worker.child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 10));
      return false;
    }, timeoutMs);
  } catch (err) {
    // Left frozen, the worker would hold a SIGTERM unhandled and the test's teardown forever.
    worker.child.kill('SIGCONT');
    throw err;
  }
  worker.child.kill('SIGKILL');
  await worker.exited;
  return running;
}

/** Picks a worker that holds at least one resource lease (killing it tests takeover), else the first. */
export async function leaseHolder<W extends WorkerProcess & { id: string }>(store: Store, workers: W[]): Promise<W> {
  const holders = await store.db.selectFrom('leases').select(['holder']).execute();
  return workers.find((w) => holders.some((h) => h.holder === w.id)) ?? workers[0]!;
}
