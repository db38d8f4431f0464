/**
 * Crashes with real child processes, really killed (SIGKILL):
 * - one worker killed while jobs are in flight: after restart every job
 *   completes exactly once and per-conversation order holds (both engines);
 * - three workers on one PostgreSQL, one killed: no job runs twice, order holds,
 *   resource leases are exclusive (no two workers ever ran jobs of one portal
 *   at the same time), nothing is lost.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startBitrix24Emulator } from '../../../emulators/bitrix24/index.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { openStore, type Store } from '../../../src/store/open-store.ts';
import { installApp, startAppHandler } from '../../emulators/bitrix24/helpers.ts';
import { TEST_SECRET_KEY, testEngines } from '../../helpers/databases.ts';

const WORKER = 'test/fixtures/queue-worker.ts';

interface Completion {
  job_id: number;
  conversation_key: string;
  resource_key: string | null;
  n: number;
  worker: string;
  started_ms: number;
  finished_ms: number;
  seq: number;
}

function startWorker(url: string, id: string, leases: boolean, env: Record<string, string> = {}): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, url, id, leases ? '1' : '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const ready = new Promise<void>((resolve) => child.stdout?.on('data', (c: Buffer) => c.toString().includes('ready') && resolve()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited };
}

async function prepare(store: Store, conversations: number, perConversation: number, resources: number, prefix = ''): Promise<void> {
  const seqType = store.engine === 'postgres' ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
  await sql`create table test_completions (seq ${seqType}, job_id bigint not null, conversation_key text not null,
    resource_key text, n integer not null, worker text not null, started_ms bigint not null, finished_ms bigint not null)`.execute(store.db);
  for (let n = 1; n <= perConversation; n++) {
    for (let c = 0; c < conversations; c++) {
      await store.jobs.enqueue({ kind: 'work', conversationKey: `conv-${c}`, resourceKey: resources ? `portal:${prefix}${c % resources}` : null, payload: { n } });
    }
  }
}

async function completions(store: Store): Promise<Completion[]> {
  const { rows } = await sql<Completion>`select * from test_completions order by seq`.execute(store.db);
  return rows.map((r) => ({ ...r, job_id: Number(r.job_id), seq: Number(r.seq), started_ms: Number(r.started_ms), finished_ms: Number(r.finished_ms) }));
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function assertExactlyOnceInOrder(rows: Completion[], total: number): void {
  assert.equal(rows.length, total, 'every job completed');
  assert.equal(new Set(rows.map((r) => r.job_id)).size, total, 'no job completed twice');
  const byConversation = new Map<string, number[]>();
  for (const r of rows) byConversation.set(r.conversation_key, [...(byConversation.get(r.conversation_key) ?? []), r.n]);
  for (const [conv, ns] of byConversation) assert.deepEqual(ns, [...ns].sort((a, b) => a - b), `order kept in ${conv}`);
}

for (const engine of testEngines()) {
  describe(`crash recovery (${engine.name})`, () => {
    after(() => engine.dropAll());

    test('SIGKILL with jobs in flight: after restart every job completes exactly once, in order', async () => {
      const url = await engine.createDatabase();
      const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
      try {
        await prepare(store, 20, 10, 0);
        const first = startWorker(url, 'first', false);
        await first.ready;
        await waitUntil(async () => (await completions(store)).length >= 40, 20_000);
        first.child.kill('SIGKILL');
        await first.exited;
        const inFlight = (await store.jobs.countByState()).running ?? 0;
        assert.ok(inFlight > 0, 'the kill left jobs running');
        const second = startWorker(url, 'second', false);
        await second.ready;
        await waitUntil(async () => ((await store.jobs.countByState()).done ?? 0) === 200, 30_000);
        second.child.kill('SIGTERM');
        assert.equal(await second.exited, 0);
        assertExactlyOnceInOrder(await completions(store), 200);
      } finally {
        await store.close();
      }
    });
  });
}

const postgres = testEngines().find((e) => e.name === 'postgres');
if (postgres) {
  describe('three processes on one PostgreSQL', () => {
    after(() => postgres.dropAll());

    test('no job runs twice, order holds, portal leases are exclusive, killing one loses nothing', async () => {
      const url = await postgres.createDatabase();
      const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
      const workers = ['a', 'b', 'c'].map((id) => ({ id, ...startWorker(url, id, true) }));
      try {
        await prepare(store, 30, 8, 6);
        await Promise.all(workers.map((w) => w.ready));
        await waitUntil(async () => (await completions(store)).length >= 60, 20_000);
        const holders = await store.db.selectFrom('leases').select(['holder']).execute();
        const victim = workers.find((w) => holders.some((h) => h.holder === w.id)) ?? workers[0]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        await waitUntil(async () => ((await store.jobs.countByState()).done ?? 0) === 240, 40_000);
        const rows = await completions(store);
        assertExactlyOnceInOrder(rows, 240);
        // Leases: jobs of one portal never ran in two processes at the same time.
        const byResource = new Map<string, Completion[]>();
        for (const r of rows) byResource.set(r.resource_key!, [...(byResource.get(r.resource_key!) ?? []), r]);
        for (const [resource, list] of byResource) {
          for (const x of list) {
            for (const y of list) {
              if (x.worker === y.worker) continue;
              const overlap = x.started_ms < y.finished_ms && y.started_ms < x.finished_ms;
              assert.ok(!overlap, `${resource}: ${x.worker} and ${y.worker} overlapped`);
            }
          }
        }
      } finally {
        for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exited));
        await store.close();
      }
    });
  });
}

if (postgres) {
  describe('three processes on one PostgreSQL calling the emulated portals', () => {
    after(() => postgres.dropAll());

    test('each portal\'s limit is not exceeded (none after a first warning), even when a process is killed', async () => {
      const limit = { drainPerSecond: 10, burst: 5 };
      const emu = await startBitrix24Emulator({ portals: [{ limits: limit }, { limits: limit }] });
      const handler = await startAppHandler();
      const url = await postgres.createDatabase();
      const store = await openStore({ databaseUrl: url, secretKey: TEST_SECRET_KEY, clock: systemClock });
      const app = { clientId: 'local.bridge.1', clientSecret: 'secret-of-app' };
      for (const portal of [0, 1]) {
        const { auth } = await installApp(emu.controlUrl, handler, portal);
        await store.portals.upsertInstall({
          portalId: `p${portal}`, memberId: auth.member_id!, domain: auth.domain!, accessToken: auth.access_token!, refreshToken: auth.refresh_token!,
          expiresAtMs: Number(auth.expires) * 1000, clientEndpoint: auth.client_endpoint!, serverEndpoint: auth.server_endpoint!, applicationToken: auth.application_token!,
        }, app.clientId);
      }
      await prepare(store, 10, 8, 2, 'p');
      const env = { BRIDGE_TEST_BITRIX: JSON.stringify({ ...app, ...limit }) };
      const workers = ['a', 'b', 'c'].map((id) => ({ id, ...startWorker(url, id, true, env) }));
      try {
        await Promise.all(workers.map((w) => w.ready));
        await waitUntil(async () => (await completions(store)).length >= 20, 30_000);
        const holders = await store.db.selectFrom('leases').select(['holder']).execute();
        const victim = workers.find((w) => holders.some((h) => h.holder === w.id)) ?? workers[0]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        await waitUntil(async () => ((await store.jobs.countByState()).done ?? 0) === 80, 60_000);
        assertExactlyOnceInOrder(await completions(store), 80);
        const log = ((await (await fetch(`${emu.controlUrl}/requests`)).json()) as { requests: Array<{ portalId: number; outcome: string; method: string }> }).requests
          .filter((r) => r.method === 'crm.lead.add');
        for (const portal of [0, 1]) {
          const outcomes = log.filter((r) => r.portalId === portal).map((r) => r.outcome);
          const first = outcomes.indexOf('QUERY_LIMIT_EXCEEDED');
          const later = first < 0 ? [] : outcomes.slice(first + 1).filter((o) => o === 'QUERY_LIMIT_EXCEEDED');
          assert.deepEqual(later, [], `portal ${portal}: limit exceeded again after the first warning`);
        }
      } finally {
        for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exited));
        await store.close();
        await emu.close();
        await handler.close();
      }
    });
  });
}
