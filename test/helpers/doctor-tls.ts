/**
 * TLS for the doctor's tests: a certificate authority made in the test (`selfsigned`), a leaf
 * it signs for 127.0.0.1, and an HTTPS reverse proxy with that leaf in front of a bridge's
 * plain-HTTP listener — what nginx or Caddy is in production. PUBLIC_URL is then
 * https://127.0.0.1:<high port>: the self-call and its certificate are real, only the port is not 443.
 */
import { request } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface TestCa {
  /** The root, PEM: what the doctor is told to trust (extraCaPem, or NODE_EXTRA_CA_CERTS in a child process). */
  caPem: string;
  /** The leaf for 127.0.0.1 and localhost, and its key. */
  certPem: string;
  keyPem: string;
}

export async function makeTestCa(rootName = 'Doctor Test Root CA'): Promise<TestCa> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 30 * 86_400_000);
  const root = await generate([{ name: 'commonName', value: rootName }], {
    keySize: 2048, algorithm: 'sha256', notBeforeDate, notAfterDate,
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }],
  });
  const leaf = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048, algorithm: 'sha256', notBeforeDate, notAfterDate, ca: { key: root.private, cert: root.cert },
    extensions: [
      { name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true }, { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { caPem: root.cert, certPem: leaf.cert, keyPem: leaf.private };
}

export interface TlsProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 forwarding every request to `target` (http://127.0.0.1:<port>), serving the full chain. */
export async function startTlsProxy(tls: TestCa, target: () => string, port = 0): Promise<TlsProxy> {
  const server: Server = createServer({ key: tls.keyPem, cert: `${tls.certPem.trim()}\n${tls.caPem.trim()}\n` }, (req, res) => {
    const upstream = new URL(req.url ?? '/', target());
    const forward = request(upstream, { method: req.method, headers: { ...req.headers, 'x-forwarded-proto': 'https' } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.once('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${actual}`, port: actual,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
