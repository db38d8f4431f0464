/**
 * The doctor's TLS findings against real TLS servers on loopback, with certificates made in the
 * test: the MAX API's chain ending at a root Node does not trust is named — the Russian Ministry
 * of Digital Development's ("Russian Trusted Root CA") with how to install it and
 * NODE_EXTRA_CA_CERTS; "the system trusts it, Node does not" when the OS bundle has it; verified
 * once the root is trusted. The self-call: a self-signed certificate fails (MAX refuses those),
 * an answer from a bridge with another key fails, something that is not the bridge fails, the
 * right answer passes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { generate } from 'selfsigned';
import { configSchema } from '../../../src/config/schema.ts';
import { systemClock } from '../../../src/domain/clock.ts';
import { challengeKey } from '../../../src/domain/doctor-challenge.ts';
import { maxTlsCheck } from '../../../src/doctor/checks/max-tls.ts';
import { publicUrlReachableCheck } from '../../../src/doctor/checks/public-url-reachable.ts';
import { DateHeaders } from '../../../src/doctor/date-headers.ts';
import type { DoctorContext } from '../../../src/doctor/deps.ts';
import { doctorChallengePlugin } from '../../../src/http/plugins/doctor-challenge.ts';
import { makeTestCa, type TestCa } from '../../helpers/doctor-tls.ts';

const SECRET = 'tls-unit-test-secret-key-0123456789';

function contextFor(publicUrl: string, extra: Partial<DoctorContext> = {}): DoctorContext {
  const config = configSchema.parse({ server: { public_url: 'https://bridge.example.ru' }, security: { secret_key: SECRET } });
  return {
    config: { ...config, server: { ...config.server, public_url: publicUrl } }, mode: 'production', configResults: [], clock: systemClock,
    store: { problem: { ru: '', en: '' }, fix: { ru: '', en: '' } }, connectorId: 'max_bridge', challengeKey: challengeKey(SECRET),
    env: {}, timeoutMs: 5_000, dateHeaders: new DateHeaders(),
    maxClient: () => { throw new Error('not used'); }, bitrixClient: () => { throw new Error('not used'); },
    ...extra,
  };
}

async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const close = (server: Server | HttpServer) => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
});

describe('max.tls: the MAX API\'s chain', () => {
  let mintsifry: TestCa;
  let server: Server;
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), 'doctor-tls-'));
  before(async () => {
    mintsifry = await makeTestCa('Russian Trusted Root CA');
    server = createServer({ key: mintsifry.keyPem, cert: `${mintsifry.certPem}\n${mintsifry.caPem}` }, (_req, res) => res.end('{}'));
    port = await listen(server);
  });
  after(async () => {
    await close(server);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a chain ending at the Минцифры root Node lacks: named, with how to install it and NODE_EXTRA_CA_CERTS', async () => {
    const r = await maxTlsCheck(contextFor('https://b.example.ru', { systemCaFile: join(dir, 'none.crt') }), `https://127.0.0.1:${port}`);
    assert.equal(r.status, 'fail');
    assert.match(r.problem.ru, /корневой сертификат Минцифры России \(«Russian Trusted Root CA»\), которому здесь не доверяют/);
    assert.match(r.problem.en, /NODE_EXTRA_CA_CERTS is not set/);
    assert.match(r.fix.ru, /https:\/\/www\.gosuslugi\.ru\/crt/);
    assert.match(r.fix.ru, /update-ca-certificates/);
    assert.match(r.fix.en, /NODE_EXTRA_CA_CERTS=\/usr\/local\/share\/ca-certificates\/russian_trusted_root_ca\.crt/);
    assert.equal((r.details as { root: string }).root, 'Russian Trusted Root CA');
  });

  test('the system trusts it but Node does not: said so, and only Node needs telling', async () => {
    const bundle = join(dir, 'system.crt');
    writeFileSync(bundle, mintsifry.caPem);
    const extra = join(dir, 'other.pem');
    writeFileSync(extra, (await makeTestCa('Some Other CA')).caPem);
    const r = await maxTlsCheck(contextFor('https://b.example.ru', { systemCaFile: bundle, env: { NODE_EXTRA_CA_CERTS: extra } }), `https://127.0.0.1:${port}`);
    assert.equal(r.status, 'fail');
    assert.match(r.problem.en, /The system trusts it \(it is in the OS store\), but Node does not read the OS store/);
    assert.match(r.problem.en, /NODE_EXTRA_CA_CERTS=.*other\.pem \(1 certificate\(s\)\) does not hold this root/);
    assert.match(r.fix.en, /--use-system-ca/);
  });

  test('with the root trusted the chain verifies, and its root is named', async () => {
    const r = await maxTlsCheck(contextFor('https://b.example.ru', { extraCaPem: [mintsifry.caPem] }), `https://127.0.0.1:${port}`);
    assert.equal(r.status, 'ok', r.problem.en);
    assert.match(r.problem.ru, /корень — «Russian Trusted Root CA»/);
  });

  test('an http api_url (an emulator on this machine) has no TLS to check', async () => {
    assert.equal((await maxTlsCheck(contextFor('https://b.example.ru'), 'http://127.0.0.1:3001')).status, 'skip');
  });

  test('nothing listening: a failure naming the connection error', async () => {
    const free = createHttpServer();
    const closedPort = await listen(free);
    await close(free);
    const r = await maxTlsCheck(contextFor('https://b.example.ru'), `https://127.0.0.1:${closedPort}`);
    assert.equal(r.status, 'fail');
    assert.match(r.problem.en, /ECONNREFUSED/);
  });
});

describe('public_url.reachable: the self-call with a challenge', () => {
  let ca: TestCa;
  const servers: Array<Server | HttpServer> = [];
  const apps: Array<ReturnType<typeof Fastify>> = [];
  before(async () => {
    ca = await makeTestCa();
  });
  after(async () => {
    for (const s of servers) await close(s);
    for (const a of apps) await a.close();
  });

  /** A bridge's challenge endpoint alone, over http on loopback, answering with `secret`'s key. */
  async function challengeServer(secret: string): Promise<string> {
    const app = Fastify();
    await app.register(doctorChallengePlugin({ key: challengeKey(secret) }));
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  test('the bridge holding the same key answers: ok', async () => {
    const r = await publicUrlReachableCheck(contextFor(await challengeServer(SECRET)));
    assert.equal(r.status, 'ok', r.problem.en);
  });

  test('a bridge with another BRIDGE_SECRET_KEY answers: fails, saying webhooks go to it', async () => {
    const r = await publicUrlReachableCheck(contextFor(await challengeServer('another-secret-key-0123456789abcdef')));
    assert.equal(r.status, 'fail');
    assert.match(r.problem.en, /Another bridge \(with another BRIDGE_SECRET_KEY\) answers at PUBLIC_URL/);
  });

  test('something that is not the bridge answers: fails, with the proxy fix', async () => {
    const other = createHttpServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Not Found</h1>');
    });
    servers.push(other);
    const r = await publicUrlReachableCheck(contextFor(`http://127.0.0.1:${await listen(other)}`));
    assert.equal(r.status, 'fail');
    assert.match(r.problem.en, /HTTP 404/);
    assert.match(r.fix.en, /proxy_pass/);
  });

  test('a self-signed certificate: fails — MAX refuses those — with the fix', async () => {
    const selfSigned = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const https = createServer({ key: selfSigned.private, cert: selfSigned.cert }, (_req, res) => res.end('{}'));
    servers.push(https);
    const r = await publicUrlReachableCheck(contextFor(`https://127.0.0.1:${await listen(https)}`));
    assert.equal(r.status, 'fail');
    assert.match(r.problem.ru, /самоподписанный/);
    assert.match(r.problem.en, /MAX refuses those \(since 25 May 2026\)/);
    assert.match(r.fix.en, /Let's Encrypt/);
  });

  test('https with a trusted chain in front of the bridge: ok, naming the root', async () => {
    const target = await challengeServer(SECRET);
    const https = createServer({ key: ca.keyPem, cert: `${ca.certPem}\n${ca.caPem}` }, (req, res) => {
      void fetch(`${target}${req.url ?? '/'}`).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(await answer.text());
      });
    });
    servers.push(https);
    const url = `https://127.0.0.1:${await listen(https)}`;
    const r = await publicUrlReachableCheck(contextFor(url, { extraCaPem: [ca.caPem] }));
    assert.equal(r.status, 'ok', r.problem.en);
    assert.match(r.problem.en, /root "Doctor Test Root CA"/);
    const untrusted = await publicUrlReachableCheck(contextFor(url));
    assert.equal(untrusted.status, 'fail');
    assert.match(untrusted.problem.en, /Doctor Test Root CA/);
  });
});
