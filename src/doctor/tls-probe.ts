/**
 * The doctor's own TLS and HTTP(S) calls (node:tls, node:http, node:https rather than fetch:
 * they show the certificate chain the server sent, and take the set of trusted roots per
 * call). By default Node trusts its bundled roots plus NODE_EXTRA_CA_CERTS — exactly what the
 * bridge's own calls trust, so a chain verified here is one the bridge accepts.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { connect, rootCertificates, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';

export interface ChainLink {
  /** The certificate's subject (CN, else O). */
  subject: string;
  /** Who issued it (CN, else O). */
  issuer: string;
  validToMs: number;
}

export interface TlsProbe {
  /** The chain verified against the roots given (and the name matched). */
  authorized: boolean;
  /** OpenSSL's or Node's code when not: UNABLE_TO_GET_ISSUER_CERT_LOCALLY, SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID, CERT_HAS_EXPIRED… */
  error: string | null;
  /** Leaf first, as the server sent it and as far as it could be followed. */
  chain: ChainLink[];
}

const nameOf = (part: PeerCertificate['subject'] | undefined): string => {
  const fields = part as Record<string, string | string[] | undefined> | undefined;
  const pick = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  return pick(fields?.CN) ?? pick(fields?.O) ?? '?';
};

function chainOf(leaf: DetailedPeerCertificate): ChainLink[] {
  const links: ChainLink[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert && Object.keys(cert).length > 0 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    links.push({ subject: nameOf(cert.subject), issuer: nameOf(cert.issuer), validToMs: Date.parse(cert.valid_to) });
    cert = cert.issuerCertificate;
  }
  return links;
}

/** The root the chain ends at (or, when it could not be followed that far, the CA that issued its last link). */
export function rootNameOf(chain: readonly ChainLink[]): string {
  return chain.at(-1)?.issuer ?? '?';
}

/** A leaf that signed itself: no CA vouches for it (MAX refuses these since 25 May 2026). */
export function isSelfSigned(chain: readonly ChainLink[]): boolean {
  return chain.length === 1 && chain[0]?.subject === chain[0]?.issuer;
}

/** Certificates of a PEM file (NODE_EXTRA_CA_CERTS, the system bundle); none when it cannot be read. */
export function readPemFile(path: string | undefined): string[] {
  if (!path) return [];
  try {
    return readFileSync(path, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  } catch {
    return [];
  }
}

/**
 * The roots a doctor's call trusts: Node's own (bundled + NODE_EXTRA_CA_CERTS) when no extra
 * ones are given; else those plus `extra` (Node drops its defaults as soon as `ca` is given, so
 * they are listed again).
 */
export function trustedRoots(extra: readonly string[] | undefined, env: NodeJS.ProcessEnv): string[] | undefined {
  if (!extra || extra.length === 0) return undefined;
  return [...rootCertificates, ...readPemFile(env.NODE_EXTRA_CA_CERTS), ...extra];
}

/** Connects, completes the handshake and reports the chain; never sends a request. */
export function probeTls(host: string, port: number, options: { ca?: string[]; timeoutMs: number }): Promise<TlsProbe> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host, port, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: false, ...(options.ca ? { ca: options.ca } : {}),
    });
    socket.setTimeout(options.timeoutMs, () => socket.destroy(Object.assign(new Error(`no TLS handshake within ${options.timeoutMs} ms`), { code: 'TIMEOUT' })));
    socket.once('secureConnect', () => {
      const error = socket.authorizationError;
      const result: TlsProbe = {
        authorized: socket.authorized,
        error: socket.authorized ? null : typeof error === 'string' ? error : (error as (Error & { code?: string }) | undefined)?.code ?? String(error),
        chain: chainOf(socket.getPeerCertificate(true)),
      };
      socket.end();
      resolve(result);
    });
    socket.once('error', reject);
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One GET, its certificate verified (https) against `ca` or Node's defaults; bodies over 64 KiB are cut. */
export function httpGet(url: string, options: { ca?: string[]; timeoutMs: number }): Promise<HttpAnswer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'GET', headers: { accept: 'application/json' }, ...(options.ca ? { ca: options.ca } : {}), timeout: options.timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 65_536) body += chunk;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'TIMEOUT' })));
    req.once('error', reject);
    req.end();
  });
}

/** The code of a failed connection (ECONNREFUSED, ENOTFOUND, a TLS code), else its message. */
export function connectionErrorCode(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.code ?? e?.message ?? String(err);
}
