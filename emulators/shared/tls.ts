/**
 * The emulators' self-signed HTTPS certificate.
 *
 * The Bitrix24 SDK insists on `https://` (it rewrites http origins), so both
 * emulators can serve HTTPS. The certificate is generated once per directory
 * and reused, because Node reads `NODE_EXTRA_CA_CERTS` only at process start:
 * `npm test` creates it before spawning the test runner and points
 * NODE_EXTRA_CA_CERTS at it; emulators started later load the same files.
 *
 * Valid for 127.0.0.1, ::1 and localhost only: never a certificate for a real host.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface EmulatorCertificate {
  certPem: string;
  keyPem: string;
  /** Path of the PEM certificate, suitable for NODE_EXTRA_CA_CERTS. */
  certPath: string;
}

/** Default directory: EMULATOR_TLS_DIR, else `.data/tls` under the working directory. */
export function defaultTlsDir(): string {
  return resolve(process.env.EMULATOR_TLS_DIR ?? join('.data', 'tls'));
}

const CERT_VALIDITY_DAYS = 30;

export async function ensureEmulatorCertificate(dir = defaultTlsDir()): Promise<EmulatorCertificate> {
  const certPath = join(dir, 'emulator-cert.pem');
  const keyPath = join(dir, 'emulator-key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certPem = readFileSync(certPath, 'utf8');
    const keyPem = readFileSync(keyPath, 'utf8');
    return { certPem, keyPem, certPath };
  }
  mkdirSync(dir, { recursive: true });
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + CERT_VALIDITY_DAYS * 86_400_000);
  // Imported here, not at the top: the sandbox is bundled into dist/start.mjs, and selfsigned is a
  // dev dependency, absent from a production install (`npm ci --omit=dev`, the Docker image).
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return { certPem: pems.cert, keyPem: pems.private, certPath };
}
