/**
 * The built-in HTTPS listener's certificate (`server.tls`, docs/tls.md): the certificate file
 * (the certificate first, then its chain, as certbot's fullchain.pem) and its private key,
 * read and checked as a pair. What makes the pair unusable is a `TlsFilesError` naming the
 * key and the fix (the bridge refuses to start on it, and a reload keeps the pair it has);
 * what still serves but MAX or Bitrix24 may refuse (no chain, expired, another host,
 * self-signed) is a notice, logged.
 */
import { readFileSync, statSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** The files of `server.tls`, or null when built-in HTTPS is off (the schema allows both or neither). */
export function tlsFilesOf(tls: { cert_file: string | null; key_file: string | null }): TlsFiles | null {
  return tls.cert_file !== null && tls.key_file !== null ? { certFile: tls.cert_file, keyFile: tls.key_file } : null;
}

export interface CertificatePair {
  /** The certificates of the file, PEM, one after another (re-joined: a missing newline between two is mended). */
  cert: string;
  key: string;
  /** The served certificate's SHA-256 fingerprint (AA:BB:…), as `openssl x509 -noout -fingerprint -sha256` prints it. */
  fingerprint256: string;
  serialNumber: string;
  subject: string;
  issuer: string;
  /** `DNS:bridge.example.ru, IP Address:…`, or null. */
  subjectAltName: string | null;
  validFromMs: number;
  validToMs: number;
  /** Certificates in the file: the served one and its chain. */
  chainLength: number;
}

export type TlsFileKey = 'server.tls.cert_file' | 'server.tls.key_file';

/** An unusable certificate or key: the message names the key, the file and the fix. */
export class TlsFilesError extends Error {
  constructor(readonly key: TlsFileKey, message: string) {
    super(`${key}: ${message}`);
    this.name = 'TlsFilesError';
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const CERT_FIX = 'point TLS_CERT_FILE (server.tls.cert_file) at the PEM certificate followed by its chain (certbot: /etc/letsencrypt/live/<domain>/fullchain.pem)';
const KEY_FIX = 'point TLS_KEY_FILE (server.tls.key_file) at the certificate\'s PEM private key (certbot: privkey.pem beside fullchain.pem)';

function readText(key: TlsFileKey, path: string, fix: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist'
      : code === 'EACCES' || code === 'EPERM' ? `cannot be read by this process (user id ${process.getuid?.() ?? '?'}); make it readable by the bridge's user (certbot's files are root's: copy them in a deploy hook, docs/tls.md)`
        : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? 'error'})`;
    throw new TlsFilesError(key, `"${path}" ${why}; fix: ${fix}`);
  }
}

function privateKeyOf(text: string, path: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw new TlsFilesError('server.tls.key_file', `"${path}" holds an encrypted private key, and the bridge takes no passphrase; fix: decrypt it once (openssl pkey -in key.pem -out key-plain.pem) and keep the result readable by the bridge's user only`);
  }
  try {
    return createPrivateKey(text);
  } catch {
    const what = /-----BEGIN CERTIFICATE-----/.test(text) ? 'holds a certificate, not a private key (the two files swapped?)' : 'holds no PEM private key (-----BEGIN PRIVATE KEY-----)';
    throw new TlsFilesError('server.tls.key_file', `"${path}" ${what}; fix: ${KEY_FIX}`);
  }
}

/** Reads both files and checks that they make a pair a TLS server can serve; throws `TlsFilesError`. */
export function readCertificatePair(files: TlsFiles): CertificatePair {
  const certText = readText('server.tls.cert_file', files.certFile, CERT_FIX);
  const keyText = readText('server.tls.key_file', files.keyFile, KEY_FIX);
  const blocks = certText.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    const what = /PRIVATE KEY-----/.test(certText) ? 'holds a private key, not a certificate (the two files swapped?)' : 'holds no PEM certificate (-----BEGIN CERTIFICATE-----; a DER file converts with openssl x509 -inform der -in cert.der -out cert.pem)';
    throw new TlsFilesError('server.tls.cert_file', `"${files.certFile}" ${what}; fix: ${CERT_FIX}`);
  }
  const certificates = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new TlsFilesError('server.tls.cert_file', `certificate ${i + 1} of ${blocks.length} in "${files.certFile}" is damaged (cut short or edited); fix: ${CERT_FIX}`);
    }
  });
  const leaf = certificates[0] as X509Certificate;
  const key = privateKeyOf(keyText, files.keyFile);
  if (!leaf.checkPrivateKey(key)) {
    throw new TlsFilesError('server.tls.key_file', `the private key in "${files.keyFile}" does not belong to the certificate in "${files.certFile}" (${leaf.subject.replace(/\n/g, ', ')}); fix: use the key made with this certificate (certbot: privkey.pem from the same live/<domain>/ folder), or the certificate issued for this key`);
  }
  const cert = `${blocks.join('\n')}\n`;
  try {
    createSecureContext({ cert, key: keyText });
  } catch (err) {
    throw new TlsFilesError('server.tls.cert_file', `the certificate and key cannot be served together (${err instanceof Error ? err.message : String(err)}); fix: ${CERT_FIX}, and ${KEY_FIX}`);
  }
  return {
    cert, key: keyText, fingerprint256: leaf.fingerprint256, serialNumber: leaf.serialNumber, subject: leaf.subject.replace(/\n/g, ', '),
    issuer: leaf.issuer.replace(/\n/g, ', '), subjectAltName: leaf.subjectAltName ?? null,
    validFromMs: Date.parse(leaf.validFrom), validToMs: Date.parse(leaf.validTo), chainLength: certificates.length,
  };
}

export interface CertificateNotice {
  level: 'error' | 'warn';
  message: string;
}

/** Warn this long before the certificate expires (certbot renews 30 days before). */
export const EXPIRY_WARNING_MS = 14 * 86_400_000;

/**
 * What the pair serves that MAX (which checks the chain, the name and the dates, and refuses
 * self-signed certificates: shared/spec max-bot-api §2.1) or Bitrix24 may refuse.
 */
export function certificateNotices(pair: CertificatePair, options: { publicUrl?: string; nowMs: number }): CertificateNotice[] {
  const notices: CertificateNotice[] = [];
  const leaf = new X509Certificate(pair.cert.match(PEM_CERTIFICATE)?.[0] ?? '');
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  if (options.nowMs > pair.validToMs) {
    notices.push({ level: 'error', message: `the certificate expired on ${day(pair.validToMs)}: MAX and Bitrix24 refuse to deliver to it; fix: renew it (certbot renew) — the bridge picks the new files up by itself` });
  } else if (options.nowMs < pair.validFromMs) {
    notices.push({ level: 'error', message: `the certificate is valid only from ${day(pair.validFromMs)}: check this machine's clock (timedatectl) or the certificate` });
  } else if (pair.validToMs - options.nowMs < EXPIRY_WARNING_MS) {
    notices.push({ level: 'warn', message: `the certificate expires on ${day(pair.validToMs)}; fix: renew it (certbot renew runs twice a day when its timer is on: systemctl list-timers certbot*)` });
  }
  const selfSigned = pair.subject === pair.issuer && leaf.verify(leaf.publicKey);
  if (selfSigned && pair.chainLength === 1) {
    notices.push({ level: 'warn', message: 'the certificate is self-signed: MAX refuses self-signed certificates; fix: use one from a public CA (Let\'s Encrypt: certbot certonly --standalone -d <domain>)' });
  } else if (pair.chainLength === 1) {
    notices.push({ level: 'warn', message: `the file holds the certificate alone, without the chain up to its CA (issuer ${pair.issuer}): MAX needs the full chain; fix: use certbot's fullchain.pem (not cert.pem), or append the CA's intermediate certificates to the file` });
  }
  if (options.publicUrl) {
    const host = new URL(options.publicUrl).hostname.replace(/^\[|\]$/g, '');
    const covered = isIP(host) ? leaf.checkIP(host) !== undefined : leaf.checkHost(host) !== undefined;
    if (!covered) notices.push({ level: 'warn', message: `the certificate is not for ${host} of server.public_url (it names ${pair.subjectAltName ?? pair.subject}): MAX refuses it; fix: get a certificate for ${host}, or correct PUBLIC_URL` });
  }
  return notices;
}

/**
 * What changes when either file is replaced (followed through symlinks: certbot's live/ links,
 * a Kubernetes secret's swap): device, inode, size and times of both; a file that is gone reads as such.
 */
export function filesSignature(files: TlsFiles): string {
  return [files.certFile, files.keyFile].map((path) => {
    try {
      const s = statSync(path);
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch (err) {
      return `missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
    }
  }).join('|');
}
