/**
 * `public_url.reachable`: PUBLIC_URL reaches this bridge, the way MAX and Bitrix24 reach it —
 * a self-call from this machine to `${PUBLIC_URL}/doctor/challenge/<nonce>` over the public
 * name, its certificate verified, answered with the HMAC only a bridge holding the same
 * BRIDGE_SECRET_KEY computes (src/domain/doctor-challenge.ts). On https it also says whether
 * the chain is one MAX accepts: not self-signed, sent whole, from a public CA or the Минцифры CA
 * (verified against Node's bundled roots alone, not only through NODE_EXTRA_CA_CERTS), and not
 * about to expire.
 *
 * The call goes out from this machine: a network that does not route a machine's own public
 * address back to it (no NAT hairpin) fails here while the outside world gets through.
 */
import { rootCertificates } from 'node:tls';
import { isLoopbackHost } from '../../config/url-rules.ts';
import { isChallengeAnswer, newChallengeNonce } from '../../domain/doctor-challenge.ts';
import type { DoctorContext } from '../deps.ts';
import { failed, ok, skip, warned, words, type CheckResult, type Words } from '../result.ts';
import { connectionErrorCode, httpGet, isSelfSigned, probeTls, rootNameOf, trustedRoots, type HttpAnswer, type TlsProbe } from '../tls-probe.ts';
import { isMintsifryRoot } from './max-tls.ts';

const ID = 'public_url.reachable';

/** A certificate that expires sooner than this is a warning (certbot renews 30 days ahead). */
export const CERT_EXPIRY_WARN_MS = 14 * 86_400_000;

const UNREACHABLE_FIX: Words = words(
  'Проверьте DNS-запись имени (A/AAAA на этот сервер), что порт 443 открыт снаружи и обратный прокси (или встроенный TLS) запущен и передаёт запросы мосту. Проверка идёт с этой же машины: если сеть не возвращает запросы к своему публичному адресу (NAT hairpin), проверьте адрес снаружи: curl -v <PUBLIC_URL>/health.',
  'Check the name\'s DNS record (A/AAAA to this server), that port 443 is open from outside and the reverse proxy (or the built-in TLS) runs and forwards to the bridge. The call goes out from this machine: if the network does not route its own public address back (no NAT hairpin), check from outside: curl -v <PUBLIC_URL>/health.',
);

const FULL_CHAIN_FIX: Words = words(
  'Отдавайте полную цепочку: сертификат сайта и промежуточные (nginx: ssl_certificate fullchain.pem; Caddy делает это сам).',
  'Serve the full chain: the site\'s certificate and the intermediates (nginx: ssl_certificate fullchain.pem; Caddy does it by itself).',
);

const PUBLIC_CERT_FIX: Words = words(
  'Получите сертификат публичного УЦ (например, Let\'s Encrypt: certbot или Caddy) или УЦ Минцифры и отдавайте его с полной цепочкой.',
  'Get a certificate from a public CA (e.g. Let\'s Encrypt: certbot or Caddy) or the Russian Ministry of Digital Development CA, and serve it with the full chain.',
);

/** Why a chain does not verify, in words, with the fix. */
function tlsFailure(host: string, probe: TlsProbe): { problem: Words; fix: Words } {
  const error = probe.error ?? 'UNKNOWN';
  if (error === 'DEPTH_ZERO_SELF_SIGNED_CERT' || isSelfSigned(probe.chain)) {
    return { problem: words(`Сертификат ${host} самоподписанный (${error}): MAX такие отвергает (с 25 мая 2026 г.) и вебхуки не доставит.`, `The certificate of ${host} is self-signed (${error}): MAX refuses those (since 25 May 2026) and delivers no webhooks.`), fix: PUBLIC_CERT_FIX };
  }
  if (error === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') {
    const issuer = probe.chain[0]?.issuer ?? '?';
    return { problem: words(`Цепочку сертификата ${host} не проследить до доверенного корня (${error}): сервер не отдаёт промежуточные сертификаты, или выдавшему его УЦ «${issuer}» не доверяют. MAX такую цепочку не примет.`,
      `The certificate chain of ${host} cannot be followed to a trusted root (${error}): the server does not send the intermediates, or its issuer "${issuer}" is not trusted. MAX will not accept it.`),
    fix: words(`${FULL_CHAIN_FIX.ru} ${PUBLIC_CERT_FIX.ru}`, `${FULL_CHAIN_FIX.en} ${PUBLIC_CERT_FIX.en}`) };
  }
  if (error === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { problem: words(`Сертификат, полученный от ${host}, выдан на другое имя (${error}).`, `The certificate ${host} presented is for another name (${error}).`),
      fix: words('Выпустите сертификат на имя из PUBLIC_URL (или исправьте PUBLIC_URL) и проверьте, что DNS ведёт на этот сервер.', 'Issue the certificate for the name in PUBLIC_URL (or fix PUBLIC_URL), and check that DNS points at this server.') };
  }
  if (error === 'CERT_HAS_EXPIRED') {
    return { problem: words(`Сертификат ${host} просрочен (по часам этой машины).`, `The certificate of ${host} has expired (by this machine's clock).`),
      fix: words('Обновите сертификат (certbot renew; Caddy обновляет сам — проверьте его журнал) и перезагрузите прокси; проверьте часы (clock.skew).', 'Renew the certificate (certbot renew; Caddy renews by itself — check its log) and reload the proxy; check the clock (clock.skew).') };
  }
  return { problem: words(`Цепочка сертификатов ${host} не проверяется (${error}): корень — «${rootNameOf(probe.chain)}», ему здесь не доверяют.`, `The certificate chain of ${host} does not verify (${error}): its root is "${rootNameOf(probe.chain)}", not trusted here.`), fix: PUBLIC_CERT_FIX };
}

function chainDetails(probe: TlsProbe): Record<string, unknown> {
  return { root: rootNameOf(probe.chain), chain: probe.chain.map((c) => ({ subject: c.subject, issuer: c.issuer, valid_to: new Date(c.validToMs).toISOString() })) };
}

/** What the answer's body says: the bridge's `{answer}`, or not JSON at all. */
function answerOf(res: HttpAnswer): unknown {
  try {
    return (JSON.parse(res.body) as { answer?: unknown }).answer;
  } catch {
    return undefined;
  }
}

export async function publicUrlReachableCheck(ctx: DoctorContext): Promise<CheckResult> {
  const publicUrl = ctx.config.server.public_url;
  if (publicUrl === undefined) return skip(ID, 'PUBLIC_URL', words('Не проверено: PUBLIC_URL не задан.', 'Not checked: PUBLIC_URL is not set.'));
  const url = new URL(publicUrl);
  const https = url.protocol === 'https:';
  const loopback = isLoopbackHost(url.hostname);
  const env = ctx.env ?? process.env;
  const ca = trustedRoots(ctx.extraCaPem, env);
  let probe: TlsProbe | null = null;
  if (https) {
    try {
      probe = await probeTls(url.hostname, Number(url.port || 443), { ca, timeoutMs: ctx.timeoutMs });
    } catch (err) {
      return failed(ID, publicUrl, words(`PUBLIC_URL не открывается с этой машины: ${connectionErrorCode(err)}.`, `PUBLIC_URL cannot be reached from this machine: ${connectionErrorCode(err)}.`), UNREACHABLE_FIX);
    }
    if (!probe.authorized) {
      const { problem, fix } = tlsFailure(url.host, probe);
      return failed(ID, publicUrl, problem, fix, { error: probe.error, ...chainDetails(probe) });
    }
  }
  const nonce = newChallengeNonce();
  let res: HttpAnswer;
  try {
    res = await httpGet(`${publicUrl}/doctor/challenge/${nonce}`, { ca, timeoutMs: ctx.timeoutMs });
  } catch (err) {
    return failed(ID, publicUrl, words(`PUBLIC_URL не отвечает: ${connectionErrorCode(err)}.`, `PUBLIC_URL does not answer: ${connectionErrorCode(err)}.`), UNREACHABLE_FIX);
  }
  const answer = answerOf(res);
  if (res.status !== 200 || typeof answer !== 'string') {
    return failed(ID, publicUrl,
      words(`По PUBLIC_URL отвечает не мост (HTTP ${res.status} на ${url.pathname.replace(/\/$/, '')}/doctor/challenge/…): прокси передаёт мосту не все пути или ведёт на другой сервер.`,
        `Something other than the bridge answers at PUBLIC_URL (HTTP ${res.status} to ${url.pathname.replace(/\/$/, '')}/doctor/challenge/…): the proxy does not forward every path to the bridge, or leads to another server.`),
      words('Передавайте мосту весь адрес (nginx: location / { proxy_pass http://127.0.0.1:3000; }), с заголовками Host и X-Forwarded-Proto; docs/operations.md.',
        'Forward the whole address to the bridge (nginx: location / { proxy_pass http://127.0.0.1:3000; }) with the Host and X-Forwarded-Proto headers; docs/operations.md.'),
      { status: res.status });
  }
  if (ctx.challengeKey === null) {
    return warned(ID, publicUrl, words('Мост отвечает по PUBLIC_URL, но его ответ не проверить: не задан BRIDGE_SECRET_KEY.', 'A bridge answers at PUBLIC_URL, but its answer cannot be checked: BRIDGE_SECRET_KEY is not set.'),
      words('Задайте BRIDGE_SECRET_KEY тот же, с которым работает мост, и повторите проверку.', 'Set the BRIDGE_SECRET_KEY the bridge runs with, and run the check again.'));
  }
  if (!isChallengeAnswer(ctx.challengeKey, nonce, answer)) {
    return failed(ID, publicUrl,
      words('По PUBLIC_URL отвечает другой мост (с другим BRIDGE_SECRET_KEY): вебхуки и события уходят не в этот.', 'Another bridge (with another BRIDGE_SECRET_KEY) answers at PUBLIC_URL: webhooks and events go to it, not to this one.'),
      words('Проверьте, куда ведут DNS и обратный прокси (старая установка, другой сервер), и что у всех процессов моста один BRIDGE_SECRET_KEY.', 'Check where DNS and the reverse proxy lead (an old install, another server), and that every bridge process has the same BRIDGE_SECRET_KEY.'));
  }
  if (!probe) return ok(ID, publicUrl, words('Мост отвечает по PUBLIC_URL (http).', 'The bridge answers at PUBLIC_URL (http).'), { scheme: 'http' });
  const details = chainDetails(probe);
  const root = rootNameOf(probe.chain);
  const leafValidToMs = probe.chain[0]?.validToMs ?? Number.POSITIVE_INFINITY;
  if (!loopback) {
    if (isSelfSigned(probe.chain)) {
      const { problem, fix } = tlsFailure(url.host, { ...probe, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      return failed(ID, publicUrl, problem, fix, details);
    }
    const publiclyTrusted = await probeTls(url.hostname, Number(url.port || 443), { ca: [...rootCertificates], timeoutMs: ctx.timeoutMs }).then((p) => p.authorized, () => false);
    if (!publiclyTrusted && !isMintsifryRoot(root)) {
      return warned(ID, publicUrl,
        words(`Мост отвечает по PUBLIC_URL, но его сертификату здесь доверяют только благодаря NODE_EXTRA_CA_CERTS (корень «${root}»): MAX принимает сертификаты публичных УЦ и УЦ Минцифры, частный УЦ он не примет.`,
          `The bridge answers at PUBLIC_URL, but its certificate is trusted here only through NODE_EXTRA_CA_CERTS (root "${root}"): MAX accepts public CAs and the Russian Ministry of Digital Development CA, not a private CA.`),
        PUBLIC_CERT_FIX, details);
    }
    if (leafValidToMs - ctx.clock.nowMs() < CERT_EXPIRY_WARN_MS) {
      const until = new Date(leafValidToMs).toISOString().slice(0, 10);
      return warned(ID, publicUrl, words(`Мост отвечает по PUBLIC_URL, но сертификат истекает ${until}: после этого MAX перестанет доставлять вебхуки.`, `The bridge answers at PUBLIC_URL, but the certificate expires on ${until}: MAX stops delivering webhooks then.`),
        words('Обновите сертификат (certbot renew и перезагрузка прокси; Caddy обновляет сам — проверьте его журнал).', 'Renew the certificate (certbot renew and reload the proxy; Caddy renews by itself — check its log).'), details);
    }
  }
  return ok(ID, publicUrl, words(`Мост отвечает по PUBLIC_URL по https; цепочка сертификатов проверена (корень «${root}», действует до ${new Date(leafValidToMs).toISOString().slice(0, 10)}).`,
    `The bridge answers at PUBLIC_URL over https; the certificate chain verifies (root "${root}", valid until ${new Date(leafValidToMs).toISOString().slice(0, 10)}).`), details);
}
