/**
 * Certificates made in a test, shaped like a public CA's: a root (what the client trusts), an
 * intermediate it signed, and server certificates the intermediate issues, served with the
 * intermediate after them (certbot's fullchain.pem). EC keys: made in milliseconds.
 */
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { generate } from 'selfsigned';

export interface TestCa {
  /** The root certificate, PEM: what a client trusts. */
  rootCert: string;
  intermediate: { cert: string; key: string };
}

export interface ServerCertificate {
  /** The certificate then the intermediate, PEM (a fullchain.pem). */
  fullchain: string;
  /** The certificate alone (a cert.pem). */
  cert: string;
  key: string;
  fingerprint256: string;
  serialNumber: string;
}

const CA_EXTENSIONS = [
  { name: 'basicConstraints' as const, cA: true, critical: true },
  { name: 'keyUsage' as const, keyCertSign: true, cRLSign: true, critical: true },
];

const pem = (text: string) => `${text.trimEnd()}\n`;

export async function makeTestCa(name = 'Test'): Promise<TestCa> {
  const notBeforeDate = new Date(Date.now() - 3_600_000);
  const notAfterDate = new Date(Date.now() + 10 * 365 * 86_400_000);
  const root = await generate([{ name: 'commonName', value: `${name} Root CA` }], { keyType: 'ec', algorithm: 'sha256', notBeforeDate, notAfterDate, extensions: CA_EXTENSIONS });
  const intermediate = await generate([{ name: 'commonName', value: `${name} Intermediate CA` }], {
    keyType: 'ec', algorithm: 'sha256', notBeforeDate, notAfterDate, ca: { key: root.private, cert: root.cert }, extensions: CA_EXTENSIONS,
  });
  return { rootCert: pem(root.cert), intermediate: { cert: pem(intermediate.cert), key: intermediate.private } };
}

/** A server certificate for DNS `names` and `ips`, issued by the CA's intermediate. */
export async function issueServerCertificate(ca: TestCa, names: string[], ips: string[] = [], validDays = 90): Promise<ServerCertificate> {
  const notBeforeDate = new Date(Date.now() - 3_600_000);
  const pems = await generate([{ name: 'commonName', value: names[0] ?? ips[0] ?? 'server' }], {
    keyType: 'ec', algorithm: 'sha256', notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + validDays * 86_400_000),
    ca: { key: ca.intermediate.key, cert: ca.intermediate.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...names.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  const x509 = new X509Certificate(pems.cert);
  return { fullchain: pem(pems.cert) + ca.intermediate.cert, cert: pem(pems.cert), key: pems.private, fingerprint256: x509.fingerprint256, serialNumber: x509.serialNumber };
}

/** The certificate a TLS server at 127.0.0.1:`port` serves to a new connection for `servername`, checked against `caCert`. */
export function servedCertificate(port: number, servername: string, caCert: string): Promise<{ fingerprint256: string; serialNumber: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca: [caCert] }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve({ fingerprint256: peer.fingerprint256, serialNumber: peer.serialNumber });
    });
    socket.once('error', reject);
  });
}
