/**
 * The built-in HTTPS listener's certificate files (src/http/tls-certificate.ts) and their
 * reload (src/http/certificate-reload.ts): what makes a pair unusable is told with the key and
 * the fix; what MAX would refuse is a notice; a change is taken once it holds still, a refused
 * one is logged once and the served pair stays. Real files in a temporary folder.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generate } from 'selfsigned';
import { CertificateReload } from '../../../src/http/certificate-reload.ts';
import { certificateNotices, filesSignature, readCertificatePair, TlsFilesError, type CertificatePair, type TlsFiles } from '../../../src/http/tls-certificate.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { issueServerCertificate, makeTestCa } from '../../helpers/tls-certificates.ts';

const dir = mkdtempSync(join(tmpdir(), 'bridge-tls-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
/** Writes a pair of files and returns their paths. */
function files(cert: string, key: string): TlsFiles {
  n++;
  const certFile = join(dir, `cert-${n}.pem`);
  const keyFile = join(dir, `key-${n}.pem`);
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key);
  return { certFile, keyFile };
}
const problemOf = (f: TlsFiles): TlsFilesError => {
  try {
    readCertificatePair(f);
  } catch (err) {
    assert.ok(err instanceof TlsFilesError, String(err));
    return err;
  }
  assert.fail('the pair was accepted');
};

describe('reading the certificate and key', async () => {
  const ca = await makeTestCa();
  const good = await issueServerCertificate(ca, ['bridge.example.ru']);
  const other = await issueServerCertificate(ca, ['bridge.example.ru']);

  test('a full chain and its key are read as they are served', () => {
    // A fullchain written without a newline between the certificates is mended, not refused.
    const pair = readCertificatePair(files(good.fullchain.replace(/\n-----BEGIN/, '-----BEGIN'), good.key));
    assert.equal(pair.fingerprint256, good.fingerprint256);
    assert.equal(pair.serialNumber, good.serialNumber);
    assert.equal(pair.chainLength, 2);
    assert.match(pair.subjectAltName ?? '', /DNS:bridge\.example\.ru/);
  });

  test('what makes the pair unusable names the key, the file and the fix', async () => {
    const missing = problemOf({ certFile: join(dir, 'nothing.pem'), keyFile: join(dir, 'nothing-key.pem') });
    assert.equal(missing.key, 'server.tls.cert_file');
    assert.match(missing.message, /^server\.tls\.cert_file: ".*nothing\.pem" does not exist; fix: point TLS_CERT_FILE \(server\.tls\.cert_file\) at the PEM certificate followed by its chain/);
    assert.match(problemOf(files('garbage', good.key)).message, /holds no PEM certificate .*openssl x509 -inform der/);
    assert.match(problemOf(files(good.key, good.fullchain)).message, /^server\.tls\.cert_file: .* holds a private key, not a certificate \(the two files swapped\?\)/);
    assert.match(problemOf(files(good.fullchain, good.fullchain)).message, /^server\.tls\.key_file: .* holds a certificate, not a private key/);
    const mismatch = problemOf(files(good.fullchain, other.key));
    assert.equal(mismatch.key, 'server.tls.key_file');
    assert.match(mismatch.message, /does not belong to the certificate .*CN=bridge\.example\.ru.*fix: use the key made with this certificate/);
    const cut = good.fullchain.replace(/(-----BEGIN CERTIFICATE-----\n)[A-Za-z0-9+/]{20}/, '$1');
    assert.match(problemOf(files(cut, good.key)).message, /certificate 1 of 2 in .* is damaged/);
    const encrypted = await generate([{ name: 'commonName', value: 'bridge.example.ru' }], { keyType: 'ec', algorithm: 'sha256', passphrase: 'secret-phrase' });
    assert.match(problemOf(files(encrypted.cert, encrypted.private)).message, /encrypted private key, and the bridge takes no passphrase; fix: decrypt it once \(openssl pkey/);
  });

  test('notices: no chain, self-signed, another host, expiring, expired', async () => {
    const nowMs = Date.now();
    const noticesOf = (pair: CertificatePair, publicUrl = 'https://bridge.example.ru', at = nowMs) => certificateNotices(pair, { publicUrl, nowMs: at }).map((x) => `${x.level}: ${x.message}`);
    assert.deepEqual(noticesOf(readCertificatePair(files(good.fullchain, good.key))), []);
    assert.match(noticesOf(readCertificatePair(files(good.cert, good.key))).join('\n'), /^warn: the file holds the certificate alone, without the chain .*fix: use certbot's fullchain\.pem \(not cert\.pem\)/);
    const selfSigned = await generate([{ name: 'commonName', value: 'bridge.example.ru' }], { keyType: 'ec', algorithm: 'sha256' });
    assert.match(noticesOf(readCertificatePair(files(selfSigned.cert, selfSigned.private))).join('\n'), /^warn: the certificate is self-signed: MAX refuses self-signed certificates/);
    const pair = readCertificatePair(files(good.fullchain, good.key));
    assert.match(noticesOf(pair, 'https://other.example.ru/bridge').join('\n'), /^warn: the certificate is not for other\.example\.ru of server\.public_url \(it names DNS:bridge\.example\.ru\)/);
    assert.match(noticesOf(pair, 'https://bridge.example.ru', pair.validToMs - 3 * 86_400_000).join('\n'), /^warn: the certificate expires on \d{4}-\d\d-\d\d; fix: renew it/);
    assert.match(noticesOf(pair, 'https://bridge.example.ru', pair.validToMs + 1).join('\n'), /^error: the certificate expired on .*MAX and Bitrix24 refuse to deliver to it/);
  });
});

describe('reloading when the files change', async () => {
  const ca = await makeTestCa();
  const [a, b] = [await issueServerCertificate(ca, ['bridge.example.ru']), await issueServerCertificate(ca, ['bridge.example.ru'])];

  test('a change is taken once it holds still; a refused one is logged once and the served pair stays', async () => {
    const f = files(a.fullchain, a.key);
    const signature = filesSignature(f);
    const installed: string[] = [];
    const lines: Array<Record<string, unknown>> = [];
    const reload = new CertificateReload({
      files: f, served: readCertificatePair(f), servedSignature: signature, install: (pair) => void installed.push(pair.fingerprint256),
      nowMs: () => Date.now(), log: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } }),
    });
    assert.equal(await reload.check(), 'unchanged');
    writeFileSync(f.keyFile, b.key);
    // Half a renewal (the key is new, the certificate not yet): only settling, nothing refused.
    assert.equal(await reload.check(), 'settling');
    writeFileSync(f.certFile, b.fullchain);
    assert.equal(await reload.check(), 'settling');
    assert.equal(await reload.check(), 'reloaded');
    assert.deepEqual(installed, [b.fingerprint256]);
    assert.equal(reload.current().fingerprint256, b.fingerprint256);
    assert.equal(await reload.check(), 'unchanged');

    writeFileSync(f.certFile, 'broken');
    assert.equal(await reload.check(), 'settling');
    assert.equal(await reload.check(), 'refused');
    assert.equal(await reload.check(), 'unchanged', 'refused once, not again every look');
    assert.equal(reload.current().fingerprint256, b.fingerprint256);
    assert.deepEqual(installed, [b.fingerprint256]);
    const refused = lines.filter((l) => String(l.msg).includes('refused'));
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.level, 50);
    assert.equal(refused[0]?.servedFingerprint256, b.fingerprint256);
  });
});
