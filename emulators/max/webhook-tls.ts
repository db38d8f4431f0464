/**
 * Webhook posts the way the real MAX makes them (strict mode, `strictWebhookUrls`; spec
 * max-bot-api §2.1): over HTTPS to port 443 only, the certificate checked — a chain up to a
 * CA MAX trusts (the public roots Node ships, plus `webhookCaCerts`, as the real service also
 * trusts the Минцифры root), the URL's host named in it, within its dates; self-signed or
 * incomplete chains fail. NODE_EXTRA_CA_CERTS is not consulted: what the test's own process
 * trusts is not what MAX trusts.
 *
 * Tests cannot listen on 443 or own a DNS name, so `webhookAddresses` says where a webhook
 * host's port 443 is reached (`{ 'bridge.test': '127.0.0.1:41234' }`), as DNS and a port forward
 * would; the certificate is still checked against the URL's host.
 */
import { request } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';

export interface WebhookTrust {
  /** PEM certificates MAX trusts besides the public roots (the test's CA). */
  caCerts: readonly string[];
  /** Webhook host → `ip:port` its port 443 is reached at. */
  addresses: Readonly<Record<string, string>>;
}

export interface WebhookPostResult {
  status: number;
}

/** Splits `ip:port` / `[ipv6]:port`. */
function addressOf(text: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (!match) throw new Error(`webhookAddresses: "${text}" is not ip:port`);
  return { host: match[1] as string, port: Number(match[2]) };
}

/** POSTs `body` to `url` (https, port 443) with MAX's trust; rejects with the TLS error's code (e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE). */
export function postWebhookStrict(url: string, init: { headers: Record<string, string>; body: string; signal: AbortSignal }, trust: WebhookTrust): Promise<WebhookPostResult> {
  const target = new URL(url);
  const name = target.hostname.replace(/^\[|\]$/g, '');
  const mapped = trust.addresses[name.toLowerCase()];
  const { host, port } = mapped ? addressOf(mapped) : { host: name, port: 443 };
  return new Promise((resolve, reject) => {
    const req = request({
      host, port, method: 'POST', path: `${target.pathname}${target.search}`, signal: init.signal, agent: false,
      headers: { ...init.headers, host: target.host, 'content-length': String(Buffer.byteLength(init.body)) },
      ca: [...rootCertificates, ...trust.caCerts], rejectUnauthorized: true,
      // SNI and the name check are the URL's host, wherever the connection goes.
      ...(isIP(name) ? {} : { servername: name }),
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert),
    }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.once('error', reject);
      // Cut short (the receiver closed, or the delivery timed out): not an answer.
      res.once('close', () => {
        if (!res.complete) reject(Object.assign(new Error('the answer was cut short'), { code: 'ECONNRESET' }));
      });
    });
    req.once('error', reject);
    req.end(init.body);
  });
}
