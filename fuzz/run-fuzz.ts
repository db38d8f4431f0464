/**
 * One fuzz run: the bridge in a child process (the bundle `npm start` runs, so
 * a crash is an exit we can see), both emulators here, and N generated
 * requests (requests.ts) in chunks. Rejected requests go in chunks of their
 * own, with the rows a request can store counted before and after (events
 * with their jobs, portals): anything stored for them is counted.
 * Accepted ones must be 2xx and store exactly their new events, replays none.
 */
import http from 'node:http';
import fc from 'fast-check';
import { freePort, startChild, type BenchChild } from '../bench/child-process.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN, startSandbox } from '../src/cli/sandbox.ts';
import { systemClock } from '../src/domain/clock.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { allRequests, type FuzzRequest, type FuzzTargets } from './requests.ts';

export const BRIDGE_BUNDLE = 'dist/bench-bridge-server.mjs';
const SECRET_KEY = 'fuzz-only-secret-key-0123456789';
const ADMIN_TOKEN = 'fuzz-admin-token-0123456789';
const CHUNK = 500;

export interface EndpointTally {
  requests: number;
  ok2xx: number;
  client4xx: number;
  server5xx: number;
  violations: number;
}

export interface FuzzResult {
  requests: number;
  crashes: number;
  fiveXX: number;
  stored: number;
  violations: string[];
  byEndpoint: Map<string, EndpointTally>;
  seconds: number;
}

/**
 * What a request can store itself: events (with their jobs, in one transaction) and portals
 * (installs). Rows the job runner adds meanwhile for earlier accepted updates are not counted.
 */
async function rowCounts(store: Store): Promise<number> {
  let total = 0;
  for (const table of ['events', 'portals'] as const) {
    total += Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  }
  return total;
}

async function eventCount(store: Store): Promise<number> {
  return Number((await store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

function rawRequest(url: string, r: FuzzRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: r.method, headers: r.headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(r.body);
  });
}

export async function runFuzz(o: { databaseUrl: string; requests: number; seed: number; concurrency?: number; log?: (line: string) => void; bundle?: string }): Promise<FuzzResult> {
  const bundle = o.bundle ?? BRIDGE_BUNDLE;
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const sandbox = await startSandbox({ preferredPorts: false });
  const port = await freePort();
  const config = JSON.stringify({
    config: {
      server: { port, public_url: `http://127.0.0.1:${port}` },
      database: { url: o.databaseUrl },
      security: { secret_key: SECRET_KEY, admin_token: ADMIN_TOKEN },
      log_level: 'fatal',
      bots: [{ id: 'fuzzbot', token: SANDBOX_BOT_TOKEN, webhook_secret: 'fuzz_webhook_secret', api_url: sandbox.max.baseUrl }],
      portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
      routes: [{ bot: '*', portal: 'main' }],
    },
  });
  let crashes = 0;
  let bridge: BenchChild = await startChild(bundle, { BENCH_BRIDGE_CONFIG: config }, 120_000);
  const base = `http://127.0.0.1:${port}`;
  const store = await openStore({ databaseUrl: o.databaseUrl, secretKey: SECRET_KEY, clock: systemClock });
  const result: FuzzResult = { requests: 0, crashes: 0, fiveXX: 0, stored: 0, violations: [], byEndpoint: new Map(), seconds: 0 };
  try {
    const install = (await (await fetch(`${sandbox.bitrix24.controlUrl}/portals/0/install`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: SANDBOX_APP.clientId, handlerUrl: `${base}/bitrix24/install/main` }),
    })).json()) as { applicationToken: string };
    const targets: FuzzTargets = {
      botId: 'fuzzbot', webhookSecret: 'fuzz_webhook_secret', portalId: 'main', memberId: sandbox.bitrix24.portals[0]!.memberId,
      applicationToken: install.applicationToken, adminToken: ADMIN_TOKEN, bodyLimitBytes: 1_048_576,
    };
    const counter = { n: 0 };
    const arbitrary = allRequests(targets, counter);
    const seenKeys = new Set<string>();
    const accepted: FuzzRequest[] = [];

    const alive = async () => {
      if (bridge.alive()) return;
      crashes++;
      log(`fuzz: the bridge process died (exit); restarting`);
      bridge = await startChild(bundle, { BENCH_BRIDGE_CONFIG: config }, 120_000);
    };
    const send = async (r: FuzzRequest) => {
      const tally = result.byEndpoint.get(r.endpoint) ?? { requests: 0, ok2xx: 0, client4xx: 0, server5xx: 0, violations: 0 };
      result.byEndpoint.set(r.endpoint, tally);
      tally.requests++;
      result.requests++;
      let status: number;
      let text = '';
      let location = '';
      try {
        // Concatenated, not resolved: a path like //host must stay a path on our server.
        const url = `${base}${r.path.startsWith('/') ? r.path : `/${r.path}`}`;
        if (typeof r.body === 'string' && r.body.length > 65_536) {
          // The server answers an oversized body (413) before reading it all and closes: fetch
          // reports the broken write instead of the answer, so read the answer with node:http.
          ({ status, text } = await rawRequest(url, r));
        } else {
          const res = await fetch(url, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(30_000), redirect: r.expect === 'page' ? 'manual' : 'follow' });
          status = res.status;
          text = await res.text();
          location = res.headers.get('location') ?? '';
        }
      } catch (err) {
        tally.violations++;
        result.violations.push(`${r.endpoint} ${r.method} ${r.path.slice(0, 60)} (${typeof r.body === 'string' ? r.body.length : 0} bytes): no answer (${(err as Error).message}; ${String((err as { cause?: { code?: string } }).cause?.code ?? '')})`);
        return;
      }
      if (status >= 500) {
        tally.server5xx++;
        result.fiveXX++;
        result.violations.push(`${r.endpoint} ${r.method} ${r.path.slice(0, 60)}: ${status} ${text.slice(0, 120)}`);
        return;
      }
      if (status >= 400) tally.client4xx++;
      else tally.ok2xx++;
      const coded = () => {
        try {
          const body = JSON.parse(text) as { error?: string; message?: string; message_en?: string };
          return typeof body.error === 'string' && body.error.startsWith('BRG_ERR_') && !!body.message && !!body.message_en;
        } catch {
          return false;
        }
      };
      // The web UI answers pages, not JSON: without a session only the login page and assets are
      // served, everything else is a redirect to the login page or a refusal page naming its code.
      const pageOk = () => (status === 200 && /^\/admin\/(login|assets\/)/.test(r.path))
        || (status === 303 && location.startsWith('/admin/login'))
        || (status === 308 && r.path.split('?')[0] === '/admin' && location.startsWith('/admin/'))
        || (status >= 400 && /BRG_ERR_[A-Z_]+/.test(text));
      const bad = r.expect === 'page' ? !pageOk()
        : (r.expect === 'reject' && (status < 400 || !coded())) || (r.expect === 'accept' && status >= 300) || (status >= 400 && !coded());
      if (bad) {
        tally.violations++;
        result.violations.push(`${r.endpoint} ${r.method} ${r.path.slice(0, 60)} (expected ${r.expect}): ${status} ${text.slice(0, 120)}`);
      }
    };
    const sendAll = async (list: FuzzRequest[]) => {
      let next = 0;
      await Promise.all(Array.from({ length: o.concurrency ?? 32 }, async () => {
        while (next < list.length) await send(list[next++]!);
      }));
    };

    for (let sent = 0, chunk = 0; sent < o.requests; chunk++) {
      const size = Math.min(CHUNK, o.requests - sent);
      const batch = fc.sample(arbitrary, { numRuns: size, seed: o.seed + chunk });
      // Replays of earlier accepted requests: they must change nothing.
      for (let i = 0; i < Math.min(20, accepted.length) && batch.length < size + 20; i++) {
        batch.push(accepted[Math.floor(((chunk * 7919 + i * 104729) % 1_000_003) / 1_000_003 * accepted.length)]!);
      }
      // Refusals, and the web UI without a session, must store nothing.
      const rejects = batch.filter((r) => r.expect === 'reject' || r.expect === 'page');
      const others = batch.filter((r) => r.expect !== 'reject' && r.expect !== 'page');
      await alive();
      const before = await rowCounts(store);
      await sendAll(rejects);
      const after = await rowCounts(store);
      result.stored += Math.max(0, after - before);
      if (after !== before) result.violations.push(`chunk ${chunk}: ${after - before} rows stored for rejected requests`);
      await alive();
      const newKeys = others.filter((r) => r.expect === 'accept' && r.key && !seenKeys.has(r.key)).map((r) => r.key as string);
      const eventsBefore = await eventCount(store);
      await sendAll(others);
      for (const key of newKeys) seenKeys.add(key);
      accepted.push(...others.filter((r) => r.expect === 'accept'));
      const grown = (await eventCount(store)) - eventsBefore;
      const anyCount = others.filter((r) => r.expect === 'any' && r.endpoint === 'max webhook').length;
      if (grown < new Set(newKeys).size || grown > new Set(newKeys).size + anyCount) {
        result.violations.push(`chunk ${chunk}: ${grown} events stored for ${new Set(newKeys).size} new accepted updates (+ up to ${anyCount} odd-shaped ones)`);
      }
      sent += size;
      if (chunk % 20 === 0) log(`fuzz: ${sent}/${o.requests} requests`);
    }
    await alive();
  } finally {
    await store.close();
    await bridge.stop();
    await sandbox.close();
  }
  result.crashes = crashes;
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
