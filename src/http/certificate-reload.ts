/**
 * Re-reads the built-in HTTPS listener's certificate and key when their files change
 * (certbot's renewal, an administrator's copy), without a restart: the files are looked at
 * every `intervalMs` (followed through symlinks: tls-certificate.ts, filesSignature), and once
 * a change has held still for one look (both files of a renewal written), the new pair is
 * read, checked and installed for new connections (https.Server#setSecureContext); connections
 * in progress keep the pair they began with. A new pair that is not usable (a broken file, a
 * key of another certificate, a file half written) is refused in words and the running one
 * stays, until the files change again.
 */
import type { Logger } from '../log/logger.ts';
import { certificateNotices, filesSignature, readCertificatePair, TlsFilesError, type CertificatePair, type TlsFiles } from './tls-certificate.ts';

/** How often the files are looked at (two stat calls); a change is taken one to two looks later. */
export const CERTIFICATE_CHECK_INTERVAL_MS = 1_000;

export interface CertificateReloadDeps {
  files: TlsFiles;
  /** The pair served now, and the files' signature taken before it was read. */
  served: CertificatePair;
  servedSignature: string;
  /** Serves `pair` to new connections (https.Server#setSecureContext). */
  install(pair: CertificatePair): void;
  /** server.public_url, for the notices (a certificate for another host). */
  publicUrl?: () => string | undefined;
  nowMs: () => number;
  log: Logger;
  intervalMs?: number;
}

/** What one look did. */
export type CertificateCheck = 'unchanged' | 'settling' | 'reloaded' | 'refused';

export class CertificateReload {
  private served: CertificatePair;
  private servedSignature: string;
  /** What the last look saw: a change is taken when two looks agree. */
  private lastSeen: string;
  /** The signature of files already refused: not refused (and logged) again until they change. */
  private refusedSignature: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<CertificateCheck> | null = null;

  constructor(private readonly deps: CertificateReloadDeps) {
    this.served = deps.served;
    this.servedSignature = deps.servedSignature;
    this.lastSeen = deps.servedSignature;
  }

  /** The pair new connections get. */
  current(): CertificatePair {
    return this.served;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.deps.intervalMs ?? CERTIFICATE_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look at the files (what the timer does); looks never overlap. */
  check(): Promise<CertificateCheck> {
    this.checking ??= Promise.resolve().then(() => this.look()).finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private look(): CertificateCheck {
    const signature = filesSignature(this.deps.files);
    if (signature !== this.lastSeen) {
      // Changing now: wait until a look finds them as the previous one did.
      this.lastSeen = signature;
      return 'settling';
    }
    if (signature === this.servedSignature || signature === this.refusedSignature) return 'unchanged';
    const { files, log } = this.deps;
    let pair: CertificatePair;
    try {
      pair = readCertificatePair(files);
      this.deps.install(pair);
    } catch (err) {
      this.refusedSignature = signature;
      const problem = err instanceof TlsFilesError ? err.message : `installing the new certificate failed: ${err instanceof Error ? err.message : String(err)}`;
      log.error({ certFile: files.certFile, keyFile: files.keyFile, problem, servedFingerprint256: this.served.fingerprint256 },
        `the changed TLS certificate files are refused, and the certificate served until now stays (until ${new Date(this.served.validToMs).toISOString().slice(0, 10)}): ${problem}`);
      return 'refused';
    }
    const previous = this.served;
    this.served = pair;
    this.servedSignature = signature;
    this.refusedSignature = null;
    log.info({ certFile: files.certFile, fingerprint256: pair.fingerprint256, serialNumber: pair.serialNumber, validTo: new Date(pair.validToMs).toISOString(), previousFingerprint256: previous.fingerprint256 },
      'the TLS certificate files changed: new connections get the new certificate (those open keep theirs)');
    for (const notice of certificateNotices(pair, { publicUrl: this.deps.publicUrl?.(), nowMs: this.deps.nowMs() })) log[notice.level]({ certFile: files.certFile }, notice.message);
    return 'reloaded';
  }
}
