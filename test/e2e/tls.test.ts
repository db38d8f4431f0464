/**
 * Built-in HTTPS (server.tls, docs/tls.md) against the MAX emulator in its strict mode, which
 * posts webhooks as the real MAX does: https on port 443 only, the certificate checked against
 * MAX's trust (here: the public roots plus the test's CA), the URL's host named in it
 * (emulators/max/webhook-tls.ts). The test makes a CA, an intermediate and server certificates
 * like a public CA's; `max-bridge.test`'s port 443 is the bridge's port (the emulator's
 * `webhookAddresses` stands in for DNS and a port forward).
 *
 * Shown: a client's message is delivered by webhook over verified HTTPS and reaches the line;
 * strict MAX refuses http:// and ported URLs, and a MAX that does not trust the chain delivers
 * nothing; replaced certificate files are served to new connections without a restart while a
 * connection already open keeps its certificate; a broken file or a key of another certificate
 * is refused in words and the served certificate stays; an unusable pair stops the start with
 * the key and the fix. SQLite only: nothing here touches the store's engine.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/child-process.ts';
import { startBitrix24Emulator, type Bitrix24Emulator } from '../../emulators/bitrix24/index.ts';
import { startMaxEmulator, type MaxEmulator } from '../../emulators/max/index.ts';
import { SANDBOX_APP, SANDBOX_BOT_TOKEN } from '../../src/cli/sandbox.ts';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startBridge, type Bridge } from '../../src/runtime/start-bridge.ts';
import { until, waitForSetup } from '../helpers/e2e.ts';
import { issueServerCertificate, makeTestCa, servedCertificate, type ServerCertificate, type TestCa } from '../helpers/tls-certificates.ts';

const HOST = 'max-bridge.test';
const PUBLIC_URL = `https://${HOST}`;

describe('built-in HTTPS: strict MAX delivers to the bridge\'s TLS listener', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-tls-'));
  const certFile = join(dir, 'fullchain.pem');
  const keyFile = join(dir, 'privkey.pem');
  const logLines: Array<Record<string, unknown>> = [];
  let ca: TestCa;
  let first: ServerCertificate;
  let port = 0;
  let max: MaxEmulator;
  let b24: Bitrix24Emulator;
  let bridge: Bridge;
  let relay: Server;
  /** The configuration's input, with other TLS files and database when given. */
  const configWith = (tls: { cert_file: string; key_file: string }, database: string) => configSchema.parse({
    server: { host: '127.0.0.1', port, public_url: PUBLIC_URL, tls },
    database: { url: database },
    security: { secret_key: 'tls-test-secret-key-0123456789' },
    workers: { line_reorder_window_ms: 0 },
    bots: [{ id: 'main', token: SANDBOX_BOT_TOKEN, api_url: max.baseUrl }],
    portals: [{ id: 'main', client_id: SANDBOX_APP.clientId, client_secret: SANDBOX_APP.clientSecret }],
  });

  /** Replaces both files at once, as certbot's renewal swaps its symlinks (a rename is atomic). */
  const installFiles = (cert: string, key: string) => {
    writeFileSync(`${certFile}.new`, cert);
    writeFileSync(`${keyFile}.new`, key, { mode: 0o600 });
    renameSync(`${keyFile}.new`, keyFile);
    renameSync(`${certFile}.new`, certFile);
  };
  const served = () => servedCertificate(port, HOST, ca.rootCert);
  const portal = () => b24.context.portals[0]!;
  const lineTexts = (userId: number) => {
    const chat = [...portal().chats.values()].find((c) => c.externalUserId === String(userId));
    return (chat?.messageIds ?? []).map((id) => portal().messages.get(id)!).filter((m) => m.direction === 'in').map((m) => m.text);
  };
  const write = (emulator: MaxEmulator, userId: number, text: string) => fetch(`${emulator.controlUrl}/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { user_id: userId, first_name: 'Ирина' }, text }),
  });
  const attempts = async (emulator: MaxEmulator) => ((await (await fetch(`${emulator.controlUrl}/deliveries`)).json()) as { attempts: Array<{ url: string; status: number | null; error?: string }> }).attempts;
  const logged = (text: string, since = 0) => logLines.slice(since).find((l) => String(l.msg).includes(text));

  before(async () => {
    ca = await makeTestCa();
    first = await issueServerCertificate(ca, [HOST], ['127.0.0.1']);
    installFiles(first.fullchain, first.key);
    port = await freePort();
    b24 = await startBitrix24Emulator({ apps: [SANDBOX_APP] });
    max = await startMaxEmulator({
      bots: [{ token: SANDBOX_BOT_TOKEN }], strictWebhookUrls: true,
      webhookCaCerts: [ca.rootCert], webhookAddresses: { [HOST]: `127.0.0.1:${port}` },
    });
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });
    bridge = await startBridge(configWith({ cert_file: certFile, key_file: keyFile }, join(dir, 'bridge.sqlite')), { clock: systemClock, logger });
    // The portal installs the app at the bridge's public address; this hop verifies the chain
    // and the name as Bitrix24's side would (the test process trusts only the emulators' certificate).
    relay = createServer((req, res) => {
      const upstream = httpsRequest({
        host: '127.0.0.1', port, servername: HOST, ca: [ca.rootCert], method: req.method, path: req.url, headers: { ...req.headers, host: HOST },
      }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.once('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayPort = (relay.address() as { port: number }).port;
    const res = await fetch(`${b24.controlUrl}/portals/0/install`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: SANDBOX_APP.clientId, handlerUrl: `http://127.0.0.1:${relayPort}/bitrix24/install/main` }),
    });
    assert.equal(((await res.json()) as { status: number | null }).status, 200, 'the install reached the bridge over HTTPS');
    await waitForSetup(b24.controlUrl);
  });

  after(async () => {
    await bridge?.close();
    await new Promise((resolve) => relay?.close(resolve));
    await max?.close();
    await b24?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the bridge serves HTTPS with the configured certificate and its chain', async () => {
    assert.equal(bridge.url, `https://127.0.0.1:${port}`);
    assert.equal((await served()).fingerprint256, first.fingerprint256);
    assert.equal(bridge.certificate?.current().fingerprint256, first.fingerprint256);
    const started = logged('serving HTTPS with the configured certificate');
    assert.equal(started?.fingerprint256, first.fingerprint256);
    assert.equal(logLines.filter((l) => l.component === 'tls' && Number(l.level) >= 40).length, 0, 'a full chain for the public host: nothing to warn about');
  });

  test('strict MAX delivers a client\'s message by webhook over verified HTTPS, and it reaches the line', async () => {
    const subs = ((await (await fetch(`${max.controlUrl}/subscriptions`)).json()) as { subscriptions: Array<{ url: string }> }).subscriptions;
    assert.deepEqual(subs.map((s) => s.url), [`${PUBLIC_URL}/max/webhook/main`]);
    await write(max, 9301, 'по HTTPS');
    await until(() => (lineTexts(9301).includes('по HTTPS') ? true : undefined));
    const delivered = (await attempts(max)).filter((a) => a.url === `${PUBLIC_URL}/max/webhook/main`);
    assert.ok(delivered.length > 0 && delivered.every((a) => a.status === 200), JSON.stringify(delivered));
  });

  test('strict MAX refuses a webhook URL on http:// or with a port', async () => {
    for (const url of [`http://127.0.0.1:${port}/max/webhook/main`, `https://${HOST}:8443/max/webhook/main`]) {
      const res = await fetch(`${max.baseUrl}/subscriptions`, {
        method: 'POST', headers: { authorization: SANDBOX_BOT_TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ url }),
      });
      assert.equal(res.status, 400, url);
      const body = (await res.json()) as { code: string; message: string };
      assert.equal(body.code, 'proto.payload');
      assert.match(body.message, /https.*443/);
    }
  });

  test('a MAX that does not trust the chain delivers nothing (the certificate check fails)', async () => {
    const untrusting = await startMaxEmulator({ bots: [{ token: SANDBOX_BOT_TOKEN }], strictWebhookUrls: true, webhookAddresses: { [HOST]: `127.0.0.1:${port}` } });
    try {
      const res = await fetch(`${untrusting.baseUrl}/subscriptions`, {
        method: 'POST', headers: { authorization: SANDBOX_BOT_TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ url: `${PUBLIC_URL}/max/webhook/main` }),
      });
      assert.equal(res.status, 200);
      await write(untrusting, 9302, 'не дойдёт');
      const failed = await until(async () => (await attempts(untrusting)).find((a) => a.error !== undefined));
      assert.equal(failed.status, null);
      assert.match(failed.error ?? '', /UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/);
      assert.equal(lineTexts(9302).length, 0);
    } finally {
      await untrusting.close();
    }
  });

  test('replaced certificate files are served to new connections without a restart; an open connection keeps its certificate', async () => {
    const open = await keepAliveConnection(port, ca.rootCert);
    assert.equal(await open.get('/health'), 200);
    const second = await issueServerCertificate(ca, [HOST], ['127.0.0.1']);
    assert.notEqual(second.fingerprint256, first.fingerprint256);
    const since = logLines.length;
    installFiles(second.fullchain, second.key);
    await until(async () => ((await served()).fingerprint256 === second.fingerprint256 ? true : undefined), 15_000);
    assert.equal((await served()).serialNumber, second.serialNumber);
    const line = logged('the TLS certificate files changed', since);
    assert.equal(line?.fingerprint256, second.fingerprint256);
    assert.equal(line?.previousFingerprint256, first.fingerprint256);
    // The connection opened before the change is not dropped: it still answers, under its certificate.
    assert.equal(await open.get('/health'), 200);
    assert.equal(open.socket.getPeerCertificate().fingerprint256, first.fingerprint256);
    open.socket.end();
    // MAX goes on delivering under the new certificate.
    await write(max, 9303, 'после замены сертификата');
    await until(() => (lineTexts(9303).includes('после замены сертификата') ? true : undefined));
  });

  test('a broken certificate file, or a key of another certificate, is refused in words and the served certificate stays', async () => {
    const before = (await served()).fingerprint256;
    let since = logLines.length;
    writeFileSync(certFile, '-----BEGIN CERTIFICATE-----\nnot a certificate\n');
    const broken = await until(() => logged('refused', since), 15_000);
    assert.equal(broken.level, 50);
    assert.match(String(broken.msg), /server\.tls\.cert_file: ".*fullchain\.pem" holds no PEM certificate.*fix: point TLS_CERT_FILE/);
    assert.equal((await served()).fingerprint256, before);

    const other = await issueServerCertificate(ca, [HOST], ['127.0.0.1']);
    const stranger = await issueServerCertificate(ca, [HOST], ['127.0.0.1']);
    since = logLines.length;
    installFiles(other.fullchain, stranger.key);
    const mismatched = await until(() => logged('refused', since), 15_000);
    assert.match(String(mismatched.msg), /server\.tls\.key_file: the private key in ".*privkey\.pem" does not belong to the certificate/);
    assert.equal((await served()).fingerprint256, before);
    assert.equal(bridge.certificate?.current().fingerprint256, before);
    await write(max, 9304, 'старый сертификат работает');
    await until(() => (lineTexts(9304).includes('старый сертификат работает') ? true : undefined));

    // Fixed files are taken at once.
    installFiles(other.fullchain, other.key);
    await until(async () => ((await served()).fingerprint256 === other.fingerprint256 ? true : undefined), 15_000);
  });

  test('an unusable pair stops the start with the key and the fix, before anything is opened', async () => {
    const database = join(dir, 'never-opened.sqlite');
    await assert.rejects(startBridge(configWith({ cert_file: certFile, key_file: join(dir, 'absent.pem') }, database), { clock: systemClock }), /server\.tls\.key_file: ".*absent\.pem" does not exist; fix: point TLS_KEY_FILE/);
    const strangerKey = join(dir, 'stranger-key.pem');
    writeFileSync(strangerKey, (await issueServerCertificate(ca, [HOST])).key);
    await assert.rejects(startBridge(configWith({ cert_file: certFile, key_file: strangerKey }, database), { clock: systemClock }), /server\.tls\.key_file: the private key .* does not belong to the certificate .*fix: use the key made with this certificate/);
    assert.equal(existsSync(database), false, 'the store was not opened');
  });
});

/** One TLS connection kept open, on which HTTP/1.1 requests are made one after another. */
async function keepAliveConnection(port: number, caCert: string): Promise<{ socket: TLSSocket; get(path: string): Promise<number> }> {
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: HOST, ca: [caCert] }, () => resolve(s));
    s.once('error', reject);
  });
  return {
    socket,
    get: (path) => new Promise<number>((resolve, reject) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString('latin1');
        const head = text.indexOf('\r\n\r\n');
        if (head < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(text.slice(0, head))?.[1] ?? 0);
        if (text.length < head + 4 + length) return;
        socket.off('data', onData);
        resolve(Number(text.slice(9, 12)));
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: keep-alive\r\n\r\n`);
    }),
  };
}
